"""The demo clinic's patients: synthetic people drawn from lists of common given and
family names of the clinic's main countries, with the demo's fixed random seed so
that the demo is the same on every machine. Everything here is invented."""

from __future__ import annotations

import datetime as dt
import random

from respira.kit.actors import Actor
from respira.kit.step import DemoContext
from respira.patients import matching, service
from respira.patients.schemas import PatientIn

PATIENT_COUNT = 50

# Per country: given names (female, male), family names (the masculine form where the
# language inflects them for sex), the language, and how a phone number is written.
_NAMES = {
    "DE": (
        ["Anna", "Sophie", "Marie", "Lena"],
        ["Lukas", "Jonas", "Felix", "Paul"],
        ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker"],
        "de",
    ),
    "RU": (
        ["Olga", "Irina", "Natalia", "Elena"],
        ["Dmitri", "Sergei", "Alexei"],
        ["Ivanov", "Smirnov", "Kuznetsov", "Popov", "Sokolov", "Volkov"],
        "ru",
    ),
    "GB": (
        ["Amelia", "Isla", "Emily"],
        ["Oliver", "George", "Harry", "Jack"],
        ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans"],
        "en",
    ),
    "US": (
        ["Olivia", "Emma", "Ava"],
        ["James", "Michael", "David", "Daniel"],
        ["Johnson", "Miller", "Davis", "Garcia", "Martinez", "Anderson"],
        "en",
    ),
    "KZ": (
        ["Aigerim", "Dana", "Madina"],
        ["Nursultan", "Arman", "Yerlan"],
        ["Akhmetov", "Nurlanov", "Seitkali", "Bekov", "Omarov"],
        "ru",
    ),
    "AE": (
        ["Fatima", "Aisha", "Mariam"],
        ["Omar", "Khalid", "Yousef"],
        ["Al Mansouri", "Al Hashimi", "Haddad", "Nasser", "Saleh"],
        "ar",
    ),
}
# The order in which a first name is drawn (the demo's seed depends on it): the lists
# above, female and male names interleaved as they were first written.
_FIRST_NAMES = {
    "DE": ["Anna", "Lukas", "Sophie", "Jonas", "Marie", "Felix", "Lena", "Paul"],
    "RU": ["Olga", "Dmitri", "Irina", "Sergei", "Natalia", "Alexei", "Elena"],
    "GB": ["Oliver", "Amelia", "George", "Isla", "Harry", "Emily", "Jack"],
    "US": ["James", "Olivia", "Michael", "Emma", "David", "Ava", "Daniel"],
    "KZ": ["Aigerim", "Nursultan", "Dana", "Arman", "Madina", "Yerlan"],
    "AE": ["Fatima", "Omar", "Aisha", "Khalid", "Mariam", "Yousef"],
}
# Russian and Kazakh family names ending in -ov/-ev/-in take -a for a woman.
_INFLECTED = frozenset({"RU", "KZ"})


def family_name(country: str, masculine: str, female: bool) -> str:
    if female and country in _INFLECTED and masculine.endswith(("ov", "ev", "in")):
        return masculine + "a"
    return masculine


def phone(country: str, area: int, subscriber: int) -> str:
    """A number written as people of the country write it, with the country's calling
    code; in the ranges set aside for drama and fiction where a country has one (UK:
    020 7946 0xxx, Ofcom; US and Canada: 555-01xx, NANPA)."""
    code = matching.DIALLING_CODES[country]
    if country == "GB":
        return f"+44 20 7946 0{subscriber % 1000:03d}"
    if country == "US":
        return f"+1 {(212, 312, 415, 617)[area % 4]} 555 01{subscriber % 100:02d}"
    if country in ("RU", "KZ"):
        city = {"RU": (495, 812, 383), "KZ": (727, 717)}[country][
            area % (3 if country == "RU" else 2)
        ]
        digits = f"{subscriber:07d}"
        return f"+7 {city} {digits[:3]}-{digits[3:5]}-{digits[5:]}"
    if country == "AE":
        return f"+971 {(2, 4, 6)[area % 3]} {subscriber:07d}"
    return f"+{code} {(30, 40, 89, 221)[area % 4]} {subscriber:07d}"


def synthetic_patients(n: int, rng: random.Random) -> list[PatientIn]:
    """``n`` invented patients: no two with the same name, names, sex, language and
    phone numbers consistent with their country, each with their own email address."""
    out = []
    countries = list(_NAMES)
    taken: set[tuple[str, str]] = set()
    for _ in range(n):
        country = rng.choice(countries)
        females, _males, family_names, lang = _NAMES[country]
        first = rng.choice(_FIRST_NAMES[country])
        female = first in females
        age = rng.randint(18, 72)
        dob = dt.date(2026 - age, rng.randint(1, 12), rng.randint(1, 28))
        height = round(rng.gauss(165 if female else 178, 7), 1)
        bmi = rng.uniform(19, 33)
        pick = family_names.index(rng.choice(family_names))
        # Another family name of the country when the name is taken (no random draw,
        # so that the rest of the demo is drawn as before).
        for k in range(len(family_names)):
            last = family_name(country, family_names[(pick + k) % len(family_names)], female)
            if (first, last) not in taken:
                break
        taken.add((first, last))
        local = matching.fold_latin(f"{first}.{last}").replace(" ", "")
        number = rng.randint(100, 999)
        rng.randint(1, 99)  # was the calling code, drawn at random (kept for the seed)
        out.append(
            PatientIn(
                first_name=first,
                last_name=last,
                date_of_birth=dob,
                sex_at_birth="female" if female else "male",
                country=country,
                preferred_language=lang,
                email=f"{local}.{number}@mail.example",
                phone=phone(country, rng.randint(100, 999), rng.randint(1000000, 9999999)),
                height_cm=height,
                weight_kg=round(bmi * (height / 100) ** 2, 1),
                smoking_pack_years=rng.choice([0, 0, 0, 0, 1.5, 3, 8]),
            )
        )
    return out


def seed(ctx: DemoContext) -> None:
    system = Actor.system("respira-demo")
    created = [
        service.add_patient(ctx.session, system, p, reason="demo clinic")
        for p in synthetic_patients(ctx.patient_count, ctx.rng)
    ]
    ctx.session.commit()
    ctx.patient_ids.extend(p.id for p in created)
    ctx.counts["synthetic patients"] = len(created)
