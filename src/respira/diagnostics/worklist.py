"""The diagnostics step's part of a physician's worklist (issue 14): visits with
unfinished work.

A visit is **unfinished** when it is the patient's newest visit that stands (not
retracted as entered in error; newest by visit date, then by id) and it lacks a record
that stands of any of the four parts a screening reads from a work-up: spirometry, an
asthma-control questionnaire, a marker panel, and the treatment history. Imaging is
recorded only when clinically indicated and is not counted. An older visit of the
patient is not listed: the newest one is where the work-up is completed. Oldest visit
first: the one waiting longest heads the list.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from respira.diagnostics.models import (
    DiagnosticVisit,
    MarkerPanel,
    QuestionnaireResponse,
    SpirometrySession,
    TreatmentHistory,
)
from respira.kit.actors import Actor, Role
from respira.kit.marks import N_
from respira.kit.step import WorkItem, WorkRow
from respira.patients.service import Patient

# At most this many visits are listed (the count says how many are unfinished).
ROWS = 25

# The parts of a work-up a screening reads, each with its words for people.
PARTS: tuple[tuple[Any, str], ...] = (
    (SpirometrySession, N_("spirometry")),
    (QuestionnaireResponse, N_("asthma-control questionnaire")),
    (MarkerPanel, N_("inflammation markers")),
    (TreatmentHistory, N_("treatment history")),
)


def _has(model: Any, visit_id: Any) -> Any:
    return exists(select(model.id).where(model.visit_id == visit_id, model.retracted_at.is_(None)))


def unfinished_visits(session: Session, limit: int) -> tuple[int, list[tuple[Any, list[str]]]]:
    """How many visits are unfinished, and the oldest ``limit`` of them, each with the
    words of the parts it lacks."""
    ranked = (
        select(
            DiagnosticVisit.id,
            func.row_number()
            .over(
                partition_by=DiagnosticVisit.patient_id,
                order_by=(DiagnosticVisit.visit_date.desc(), DiagnosticVisit.id.desc()),
            )
            .label("rank"),
        )
        .where(DiagnosticVisit.retracted_at.is_(None))
        .subquery()
    )
    newest = select(ranked.c.id).where(ranked.c.rank == 1)
    has = [_has(model, DiagnosticVisit.id).label(f"has_{i}") for i, (model, _) in enumerate(PARTS)]
    lacking = or_(*(not_(_has(model, DiagnosticVisit.id)) for model, _ in PARTS))
    where = and_(DiagnosticVisit.id.in_(newest), lacking)
    count = session.scalar(select(func.count()).select_from(DiagnosticVisit).where(where)) or 0
    rows = session.execute(
        select(
            DiagnosticVisit.id,
            DiagnosticVisit.visit_date,
            Patient.first_name,
            Patient.last_name,
            Patient.medical_record_number,
            *has,
        )
        .join(Patient, Patient.id == DiagnosticVisit.patient_id)
        .where(where)
        .order_by(DiagnosticVisit.visit_date, DiagnosticVisit.id)
        .limit(limit)
    ).all()
    return count, [
        (row, [words for i, (_, words) in enumerate(PARTS) if not row[f"has_{i}"]])
        for row in (r._mapping for r in rows)
    ]


def items(session: Session, actor: Actor) -> list[WorkItem]:
    """Physicians: the visits with unfinished work."""
    if actor.role != Role.PHYSICIAN:
        return []
    count, found = unfinished_visits(session, ROWS)
    return [
        WorkItem(
            label=N_("Visits with unfinished work"),
            count=count,
            href=None,
            urgency="attention" if count else "normal",
            rows=tuple(
                WorkRow(
                    text="{last_name}, {first_name} ({medical_record_number})".format(**row),
                    href=f"/visits/{row['id']}",
                    note=N_("visit of %(date)s; missing: %(parts)s"),
                    params={"date": row["visit_date"], "parts": tuple(missing)},
                )
                for row, missing in found
            ),
        )
    ]
