"""Treated patients for the safety tests, made through the real use cases: the stay's
``Clinic`` (tests/treatment/treatment_helpers.py) makes an eligible patient, an
approved course and a released lot whose unit is thawed for the first infusion; here
the nurse scans it at the bedside and records the administration."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from respira.kit.db import utcnow
from respira.kit.validation import today_utc
from respira.treatment import service as treatment
from respira.treatment.schemas import AdministrationIn, BedsideCheckIn
from tests.treatment.treatment_helpers import Clinic, vitals


@dataclass
class Treated:
    pid: int
    mrn: str
    course: Any
    administration_id: int
    din: str
    lot_id: int
    spare_dins: list[str]


def administer(clinic: Clinic, pid: int, course: Any, din: str) -> int:
    """Scan the wristband and the unit, then record the infusion (the clinic's nurse,
    with the clinic's second nurse as witness): the administration's id."""
    nurse = clinic.nurse.actor
    with clinic.db.transaction() as s:
        check = treatment.check_at_bedside(
            s, nurse, BedsideCheckIn(patient_code=clinic.mrn(pid), din=din)
        )
        assert check.ok, check.reasons
    now = utcnow()
    body = AdministrationIn.model_validate(
        {
            "din": din,
            "patient_id": pid,
            "course_id": course.id,
            "route": "iv",
            "started_at": (now - dt.timedelta(minutes=20)).isoformat(),
            "ended_at": (now - dt.timedelta(minutes=5)).isoformat(),
            "volume_ml": 50,
            "rate_ml_per_h": 200,
            "vitals": [vitals("before"), vitals("after", temperature_c=38.4)],
            "witness_email": clinic.witness.email,
        }
    )
    with clinic.db.transaction() as s:
        return treatment.record_administration(s, nurse, body).id


def treated_patient(clinic: Clinic, *, units: int = 1) -> Treated:
    """An eligible patient whose first infusion of an approved course was given today;
    ``units`` - 1 more units of the same lot stay in stock."""
    pid = clinic.eligible_patient()
    course = clinic.course(pid)
    dins = clinic.lot(units=units)
    clinic.prepare(course, dins[:1], infusion_day=1)
    administration_id = administer(clinic, pid, course, dins[0])
    return Treated(
        pid, clinic.mrn(pid), course, administration_id, dins[0], clinic.lot_ids[dins[0]], dins[1:]
    )


def event(**overrides: Any) -> dict[str, Any]:
    """An adverse event as the API takes it: a mild fever today, possibly related."""
    body: dict[str, Any] = {
        "term": "Fever",
        "grade": 1,
        "onset_date": today_utc().isoformat(),
        "serious_criteria": [],
        "causality": "possible",
    }
    body.update(overrides)
    return body


def serious_reaction(administration_id: int, **overrides: Any) -> dict[str, Any]:
    """A grade-3 infusion related reaction that prolonged the stay: a SUSAR? No: an
    infusion reaction is not on the reference list, so unexpected, and probable."""
    return event(
        term="Infusion related reaction",
        grade=3,
        serious_criteria=["hospitalisation"],
        causality="probable",
        administration_id=administration_id,
        action="infusion stopped; hydrocortisone and clemastine IV",
        **overrides,
    )


def errors(response: Any) -> dict[str, str]:
    """A 422 answer's messages by field."""
    assert response.status_code == 422, response.text
    return {d["field"]: d["msg"] for d in response.json()["detail"]}
