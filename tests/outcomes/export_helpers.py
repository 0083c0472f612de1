"""What the export tests share: the export key in the settings, and a small registry of
real patient rows (names, emails, phones, record numbers, dates of birth) with synthetic
registry courses, windows and adverse events inserted directly, so that every identifier
of the source is known and can be searched for in the files."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from respira.kit.actors import Actor
from respira.kit.config import get_settings
from respira.kit.db import Database
from respira.outcomes.models import OutcomeAdverseEvent, OutcomeCourse, OutcomeWindow
from respira.outcomes.registry import MEASURES
from respira.patients import service as patients_service
from respira.patients.models import Patient
from respira.patients.schemas import PatientIn

EXPORT_KEY = "test-export-key-" + "q7" * 12  # 40 characters, a test secret
OTHER_KEY = "another-export-key-" + "z9" * 12

# Names with letters that are no hexadecimal digits, so that a hash can never spell one.
FIRST_NAMES = ("Margarethe", "Ottilie", "Vsevolod", "Ingmar", "Rosalind", "Yuriy", "Solveig")
LAST_NAMES = ("Quistorp", "Wyszynski", "Thorvaldsen", "Kozhukhov", "Lindgren", "Pohjola")
DAY_MONTHS = {1: 30, 3: 91, 6: 182, 12: 365}  # due day after treatment
WINDOW_DAYS = 14


@pytest.fixture
def export_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("RESPIRA_OUTCOMES_EXPORT_KEY", EXPORT_KEY)
    get_settings.cache_clear()
    yield EXPORT_KEY
    monkeypatch.delenv("RESPIRA_OUTCOMES_EXPORT_KEY")
    get_settings.cache_clear()


@dataclass
class SourcePatient:
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    mrn: str
    date_of_birth: dt.date

    def identifiers(self) -> list[str]:
        digits = "".join(ch for ch in self.phone if ch.isdigit())
        return [
            self.first_name,
            self.last_name,
            self.email,
            self.email.split("@")[0],
            self.phone,
            digits,
            self.mrn,
            self.mrn.split("-")[1],  # the record number's digits
            self.date_of_birth.isoformat(),
        ]


@dataclass
class Registry:
    today: dt.date
    patients: dict[int, SourcePatient] = field(default_factory=dict)
    courses: dict[int, dict[str, Any]] = field(default_factory=dict)  # registry row id ->
    windows: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)

    def identifiers(self) -> list[str]:
        return [text for p in self.patients.values() for text in p.identifiers()]


def _value(rng: random.Random, measure: str, baseline: bool) -> float | None:
    if rng.random() < 0.12:
        return None  # missing
    low, high = {
        "act": (8, 25),
        "acq": (0.2, 4.5),
        "rescue_puffs_per_week": (0, 40),
        "fev1_l": (1.1, 4.2),
        "fev1_pp": (45, 105),
        "fev1_z": (-4.5, 0.8),
        "feno_ppb": (8, 120),
        "eosinophils_per_ul": (50, 900),
        "ocs_mg_per_day": (0, 20),
    }[measure]
    value = rng.uniform(low, high)
    if measure == "act":
        return float(round(value))
    return round(value, 2)


def build_registry(db: Database, *, patients: int = 8, seed: int = 5) -> Registry:
    """``patients`` patients (one of them 93 years old, one 89, one treated twice, one
    who died, one treated so recently that its windows are upcoming), their courses with
    four windows each (some answered, some missed, values missing at random), and a few
    adverse events."""
    rng = random.Random(seed)
    today = dt.date.today()
    registry = Registry(today)
    actor = Actor.system("test")
    with db.transaction() as session:
        for i in range(patients):
            first = f"{FIRST_NAMES[i % len(FIRST_NAMES)]}"
            last = f"{LAST_NAMES[i % len(LAST_NAMES)]}{'x' * (i // len(LAST_NAMES))}"
            email = f"{first.lower()}.{last.lower()}{i}@mail.example"
            phone = f"+49 30 77{i:02d}{rng.randrange(1000, 9999)}"
            age = {0: 93, 1: 89}.get(i, rng.randrange(19, 80))
            born = today.replace(year=today.year - age - 1) + dt.timedelta(
                days=rng.randrange(1, 300)
            )
            p = patients_service.add_patient(
                session,
                actor,
                PatientIn.model_validate(
                    {
                        "first_name": first,
                        "last_name": last,
                        "date_of_birth": born.isoformat(),
                        "sex_at_birth": "female" if i % 2 else "male",
                        "country": "DE",
                        "preferred_language": "de",
                        "email": email,
                        "phone": phone,
                    }
                ),
            )
            row = session.get(Patient, p.id)
            assert row is not None
            registry.patients[p.id] = SourcePatient(
                p.id, first, last, email, phone, row.medical_record_number, born
            )
            for number in (1, 2) if i == 2 else (1,):
                ago = 15 if i == 3 else rng.randrange(200, 900) - (number - 1) * 150
                treated = today - dt.timedelta(days=ago)
                died = today - dt.timedelta(days=ago - 100) if i == 4 else None
                course = OutcomeCourse(
                    origin="synthetic",
                    patient_id=p.id,
                    course_number=number,
                    treated_on=treated,
                    cell_source=rng.choice(["allogeneic_cord", "autologous_bone_marrow"]),
                    dose_million_cells_per_kg=rng.choice([1.0, 1.5, 2.0]),
                    phenotype=rng.choice(["allergic", "eosinophilic", "type-2-low"]),
                    gina_step=rng.choice([4, 5]),
                    baseline_control=rng.choice(["not_well_controlled", "well_controlled"]),
                    sex="female" if i % 2 else "male",
                    age_years=age,
                    instrument="act",
                    exacerbations_12m_baseline=rng.randrange(0, 5),
                    exacerbations_after=rng.randrange(0, 3),
                    exposure_days_after=min(ago, 365),
                    first_exacerbation_day=rng.choice([None, 40, 120]),
                    exit_kind="died" if died else None,
                    exit_on=died,
                    **{f"{m}_baseline": _value(rng, m, True) for m in MEASURES},
                )
                session.add(course)
                session.flush()
                registry.courses[course.id] = {
                    "patient_id": p.id,
                    "treated_on": treated,
                    "exit_on": died,
                    "age": age,
                    "sex": course.sex,
                    **{f"{m}_baseline": getattr(course, f"{m}_baseline") for m in MEASURES},
                }
                for month, day in DAY_MONTHS.items():
                    due = treated + dt.timedelta(days=day)
                    answered = None
                    if due + dt.timedelta(days=WINDOW_DAYS) < today and rng.random() < 0.75:
                        answered = due + dt.timedelta(days=rng.randrange(-10, 20))
                    if died is not None and answered is not None and answered >= died:
                        answered = None
                    values = {m: _value(rng, m, False) if answered else None for m in MEASURES}
                    window = OutcomeWindow(
                        outcome_course_id=course.id,
                        month=month,
                        due_date=due,
                        window_start=due - dt.timedelta(days=WINDOW_DAYS),
                        window_end=due + dt.timedelta(days=WINDOW_DAYS),
                        answered_on=answered,
                        exacerbations=rng.randrange(0, 2) if answered else None,
                        **values,
                    )
                    session.add(window)
                    registry.windows[(course.id, month)] = {
                        "due_date": due,
                        "window_start": window.window_start,
                        "window_end": window.window_end,
                        "answered_on": answered,
                        **values,
                    }
                for onset in rng.sample([0, 1, 2, 30], rng.randrange(0, 3)):
                    session.add(
                        OutcomeAdverseEvent(
                            outcome_course_id=course.id,
                            term=rng.choice(["Fever", "Headache", "Chills"]),
                            grade=rng.choice([1, 2]),
                            serious=False,
                            related=rng.random() < 0.6,
                            onset_day=onset,
                        )
                    )
    return registry


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def number(text: str) -> float:
    return float(text) if text != "" else float("nan")
