"""Shared helpers of the protocol tests: a course body as the API takes it, harvests,
and the ids the access matrix needs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from respira.kit.actors import Actor
from respira.kit.validation import today_utc


def days_from_today(n: int) -> dt.date:
    return today_utc() + dt.timedelta(days=n)


def course_body(**overrides: Any) -> dict[str, Any]:
    """A plan within the default limits: cord cells, 5 days from a week ahead, two IV
    infusions of 1.0 ×10^6 cells/kg at 70 kg, one nebulised dose, physiotherapy."""
    body: dict[str, Any] = {
        "source": "allogeneic_cord",
        "start_date": days_from_today(7).isoformat(),
        "stay_days": 5,
        "weight_kg": 70.0,
        "infusions": [
            {"day": 1, "dose_million_cells_per_kg": 1.0},
            {"day": 3, "dose_million_cells_per_kg": 1.0},
        ],
        "nebulisations": [{"day": 2, "amount_million_cells": 10}],
        "supporting": [{"modality": "physiotherapy", "count": 3, "days": [1, 2, 3]}],
        "premedication": "Cetirizine 10 mg by mouth 30 minutes before each IV infusion",
    }
    body.update(overrides)
    return body


def infusions(*doses: float, first_day: int = 1) -> list[dict[str, Any]]:
    return [
        {"day": first_day + n, "dose_million_cells_per_kg": dose} for n, dose in enumerate(doses)
    ]


def make_harvest(db: Any, patient_id: int, tissue: str, harvested_on: dt.date) -> int:
    from respira.products import service
    from respira.products.schemas import HarvestIn

    with db.transaction() as session:
        out = service.create_harvest(
            session,
            Actor.system("test"),
            HarvestIn(
                patient_id=patient_id,
                tissue=tissue,
                harvested_on=harvested_on,
                volume_ml=60.0,
                operator="Dr. Harvest",
            ),
        )
    return out.id


def protocols_access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    """A course of the patient, stored directly (the access matrix needs a record that
    exists, not the rules that lead to one)."""
    from respira.protocols.models import Course, CourseInfusion, ProgrammeLimits
    from respira.protocols.service import DEFAULT_LIMITS

    with db.transaction() as session:
        limits = session.query(ProgrammeLimits).filter_by(version=1).one_or_none()
        if limits is None:
            limits = ProgrammeLimits(version=1, created_by_name="test", **DEFAULT_LIMITS)
            session.add(limits)
            session.flush()
        start = days_from_today(30)
        course = Course(
            patient_id=patient_id,
            number=1,
            version=1,
            status="draft",
            source="allogeneic_cord",
            start_date=start,
            stay_days=3,
            end_date=start + dt.timedelta(days=2),
            weight_kg=70.0,
            weight_measured_on=today_utc(),
            limits_id=limits.id,
            created_by_name="test",
            infusions=[
                CourseInfusion(
                    day=1, on_date=start, dose_million_cells_per_kg=1.0, cells_total=70_000_000
                )
            ],
        )
        session.add(course)
        session.flush()
        return {"course_id": course.id}
