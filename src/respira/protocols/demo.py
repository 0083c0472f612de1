"""Treatment courses for the demo clinic: for the patients whose latest signed screening
decided eligible (asked of screening): an approved course under way today with a repeat
course three months later, an approved course that was revised (its first version
superseded, the differences shown), and drafts — one of them autologous, from an adipose
harvest the laboratory recorded. With few eligible patients the scenarios share them,
each patient's stays three months apart.

Everything goes through the real use cases with the demo physician's password: the
approvals are real e-signatures, and the medication at approval comes from the
patient's treatment history in diagnostics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.clinic_time import clinic_today
from respira.kit.step import DemoContext
from respira.patients import service as patients_service
from respira.products import service as products_service
from respira.products.schemas import HarvestIn
from respira.protocols import service
from respira.protocols.schemas import CourseIn


def _body(weight: float, start: dt.date, **changes: Any) -> CourseIn:
    values: dict[str, Any] = {
        "source": "allogeneic_cord",
        "start_date": start,
        "stay_days": 5,
        "weight_kg": weight,
        "infusions": [
            {"day": 1, "dose_million_cells_per_kg": 1.0},
            {"day": 3, "dose_million_cells_per_kg": 1.5},
        ],
        "nebulisations": [
            {"day": 2, "amount_million_cells": 10},
            {"day": 4, "amount_million_cells": 10},
        ],
        "supporting": [
            {"modality": "physiotherapy", "count": 4, "days": [1, 2, 3, 4]},
            {"modality": "lymphatic_drainage", "count": 2, "days": [2, 4]},
            {"modality": "hypoxy_hyperoxy", "count": 3, "days": [2, 3, 5]},
        ],
        "premedication": "Cetirizine 10 mg by mouth 30 minutes before each IV infusion",
    }
    values.update(changes)
    return CourseIn.model_validate(values)


def seed_demo(
    session: Session,
    patient_ids: Sequence[int],
    physician: Actor,
    *,
    password: str,
    lab: Actor | None = None,
) -> int:
    """Courses for the eligible patients among ``patient_ids`` (the scenarios go round
    them, each patient's stays three months apart when there are few); returns how
    many course versions were stored. ``physician`` must be a physician's account and
    ``password`` its password."""
    eligible = [pid for pid in patient_ids if service.eligibility(session, physician, pid).eligible]
    if not eligible:
        return 0
    today = clinic_today()
    next_free: dict[int, dt.date] = {}
    stored = 0

    def patient(n: int) -> int:
        return eligible[n % len(eligible)]

    def slot(pid: int, earliest: dt.date) -> dt.date:
        start = max(earliest, next_free.get(pid, today))
        next_free[pid] = start + dt.timedelta(days=91)
        return start

    def weight(pid: int) -> float:
        found = patients_service.find(session, pid)
        return float(found.weight_kg) if found and found.weight_kg else 70.0

    def approve(course_id: int) -> None:
        service.approve_course(
            session, physician, course_id, password=password, meaning=service.APPROVAL_MEANING
        )

    # Under way today, and the repeat course three months later.
    pid = patient(0)
    first = service.draft_course(session, physician, pid, _body(weight(pid), slot(pid, today)))
    approve(first.id)
    repeat = service.draft_course(
        session,
        physician,
        pid,
        _body(weight(pid), slot(pid, today), repeat_of_id=first.id),
    )
    approve(repeat.id)
    stored += 2

    # Approved, then revised (a higher second dose, a third infusion, one more day):
    # the first version is superseded.
    pid = patient(1)
    start = slot(pid, today + dt.timedelta(days=14))
    v1 = service.draft_course(session, physician, pid, _body(weight(pid), start))
    approve(v1.id)
    v2 = service.revise_course(
        session,
        physician,
        v1.id,
        _body(
            weight(pid),
            start,
            stay_days=6,
            infusions=[
                {"day": 1, "dose_million_cells_per_kg": 1.0},
                {"day": 3, "dose_million_cells_per_kg": 2.0},
                {"day": 6, "dose_million_cells_per_kg": 1.0},
            ],
        ),
    )
    approve(v2.id)
    stored += 2

    # A draft awaiting approval.
    pid = patient(2)
    service.draft_course(
        session, physician, pid, _body(weight(pid), slot(pid, today + dt.timedelta(days=21)))
    )
    stored += 1

    if lab is not None:
        # Autologous: the laboratory's adipose harvest ten days ago; the plan starts on
        # the first possible day (harvest + the adipose lead time) or the patient's next
        # free slot.
        pid = patient(3)
        harvested = today - dt.timedelta(days=10)
        harvest = products_service.create_harvest(
            session,
            lab,
            HarvestIn(
                patient_id=pid,
                tissue="adipose",
                harvested_on=harvested,
                volume_ml=120.0,
                operator="Dr. Paula Pulmo",
            ),
        )
        lead = service.limits_in_force(session).lead_time_adipose_days
        service.draft_course(
            session,
            physician,
            pid,
            _body(
                weight(pid),
                slot(pid, harvested + dt.timedelta(days=lead)),
                source="autologous_adipose",
                harvest_id=harvest.id,
            ),
        )
        stored += 1
    return stored


def seed(ctx: DemoContext) -> None:
    physician, password = ctx.accounts["physician"]
    lab = ctx.accounts.get("lab")
    ctx.counts["treatment courses"] = seed_demo(
        ctx.session,
        ctx.patient_ids,
        physician,
        password=password,
        lab=lab[0] if lab else None,
    )
