"""The demo clinic: one account per role and about fifty synthetic patients, so that a
newcomer sees a living clinic. Everything here is invented; names are drawn from lists
of common given and family names of the clinic's main countries, with a fixed random
seed so that the demo is the same on every machine (the passwords are not: they are
random and printed once)."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select

from respira.actors import Actor, Role
from respira.auth import service as auth_service
from respira.auth.models import User
from respira.db import Database
from respira.patients import service as patient_service
from respira.patients.schemas import PatientIn

DEMO_DOMAIN = "demo.respira.example"
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


@dataclass
class DemoResult:
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    patients: int = 0
    requests: int = 0
    visits: int = 0
    screenings: int = 0


def _password() -> str:
    return secrets.token_urlsafe(12)


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


def seed(
    database: Database, *, patients: int = PATIENT_COUNT, seed_value: int = 20261123
) -> DemoResult | None:
    """Seed the demo clinic once. Returns None when it is already there.

    The clinic has something at every step of the road: consultation requests in
    several languages and triage states (one converted into a patient), registered
    patients without a work-up yet, diagnostic visits (spirometry with bronchodilator
    test, markers, questionnaires, history), and screenings — approved and declined
    with real e-signatures of the demo physician, and some waiting for review.
    """
    from respira.diagnostics import demo as diagnostics_demo
    from respira.intake import demo as intake_demo
    from respira.screening import demo as screening_demo

    system = Actor.system("respira-demo")
    with database.transaction() as session:
        if session.scalar(select(User.id).where(User.email == f"admin@{DEMO_DOMAIN}")):
            return None
        rng = random.Random(seed_value)  # noqa: S311 (synthetic data, not security)
        result = DemoResult()
        created = [
            patient_service.add_patient(session, system, p, reason="demo clinic")
            for p in synthetic_patients(patients, rng)
        ]
        session.commit()
        patient_ids = [p.id for p in created]
        result.patients = len(created)
        staff = [
            (Role.ADMIN, "Ada Admin"),
            (Role.PHYSICIAN, "Dr. Paula Pulmo"),
            (Role.COORDINATOR, "Carla Coordinator"),
            (Role.LAB, "Leo Lab"),
        ]
        physician: Actor | None = None
        physician_password = ""
        for role, name in staff:
            password = _password()
            email = f"{role.value}@{DEMO_DOMAIN}"
            view = auth_service.create_user(
                session, system, email=email, name=name, role=role, password=password
            )
            result.accounts.append((role.value, email, password))
            if role == Role.PHYSICIAN:
                physician = Actor(view.id, view.role, view.name)
                physician_password = password
        first = created[0]
        password = _password()
        email = f"patient@{DEMO_DOMAIN}"
        auth_service.create_user(
            session,
            system,
            email=email,
            name=f"{first.first_name} {first.last_name}",
            role=Role.PATIENT,
            password=password,
            patient_id=first.id,
        )
        result.accounts.append((Role.PATIENT.value, email, password))

        result.requests = intake_demo.seed_demo(session, rng)
        session.commit()
        # Two patients in five have had no work-up yet; the rest have visits, and a
        # dozen of those have been screened.
        worked_up = patient_ids[: int(len(patient_ids) * 0.6)]
        result.visits = diagnostics_demo.seed_demo(session, rng, worked_up)
        session.commit()
        assert physician is not None
        result.screenings = screening_demo.seed_demo(
            session, rng, worked_up, physician, password=physician_password
        )
    return result
