"""The demo clinic's patients: synthetic people drawn from lists of common given and
family names of the clinic's main countries, with the demo's fixed random seed so
that the demo is the same on every machine. Everything here is invented."""

from __future__ import annotations

import datetime as dt
import random

from respira.kit.actors import Actor
from respira.kit.step import DemoContext
from respira.patients import service
from respira.patients.schemas import PatientIn

PATIENT_COUNT = 50

_NAMES = {
    "DE": (
        ["Anna", "Lukas", "Sophie", "Jonas", "Marie", "Felix", "Lena", "Paul"],
        ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker"],
        "de",
    ),
    "RU": (
        ["Olga", "Dmitri", "Irina", "Sergei", "Natalia", "Alexei", "Elena"],
        ["Ivanov", "Smirnova", "Kuznetsov", "Popova", "Sokolov", "Volkova"],
        "ru",
    ),
    "GB": (
        ["Oliver", "Amelia", "George", "Isla", "Harry", "Emily", "Jack"],
        ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans"],
        "en",
    ),
    "US": (
        ["James", "Olivia", "Michael", "Emma", "David", "Ava", "Daniel"],
        ["Johnson", "Miller", "Davis", "Garcia", "Martinez", "Anderson"],
        "en",
    ),
    "KZ": (
        ["Aigerim", "Nursultan", "Dana", "Arman", "Madina", "Yerlan"],
        ["Akhmetov", "Nurlanova", "Seitkali", "Bekova", "Omarov"],
        "ru",
    ),
    "AE": (
        ["Fatima", "Omar", "Aisha", "Khalid", "Mariam", "Yousef"],
        ["Al Mansouri", "Al Hashimi", "Haddad", "Nasser", "Saleh"],
        "ar",
    ),
}
_FEMALE = {
    "Anna",
    "Sophie",
    "Marie",
    "Lena",
    "Olga",
    "Irina",
    "Natalia",
    "Elena",
    "Amelia",
    "Isla",
    "Emily",
    "Olivia",
    "Emma",
    "Ava",
    "Aigerim",
    "Dana",
    "Madina",
    "Fatima",
    "Aisha",
    "Mariam",
}


def synthetic_patients(n: int, rng: random.Random) -> list[PatientIn]:
    out = []
    countries = list(_NAMES)
    for _ in range(n):
        country = rng.choice(countries)
        first_names, last_names, lang = _NAMES[country]
        first = rng.choice(first_names)
        female = first in _FEMALE
        age = rng.randint(18, 72)
        dob = dt.date(2026 - age, rng.randint(1, 12), rng.randint(1, 28))
        height = round(rng.gauss(165 if female else 178, 7), 1)
        bmi = rng.uniform(19, 33)
        out.append(
            PatientIn(
                first_name=first,
                last_name=rng.choice(last_names),
                date_of_birth=dob,
                sex_at_birth="female" if female else "male",
                country=country,
                preferred_language=lang,
                email=f"{first.lower()}.{rng.randint(100, 999)}@mail.example",
                phone=f"+{rng.randint(1, 99)} {rng.randint(100, 999)} "
                f"{rng.randint(1000000, 9999999)}",
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
