"""A patient's diet restrictions: the food allergies and intolerances staff record on the
patient (never edited; retracted with the reason when entered in error or outgrown),
and what the kitchen is told — those that stand, and the positive food sensitisations
of the diagnostic allergy panel (``respira.logistics.foods`` decides which allergens
are foods), each with its source.

A sensitisation of a food group the record already names is not repeated: the record's
entry, with its severity, says more than the test. Of one allergen tested at several
visits the newest test is shown.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.diagnostics import service as diagnostics_service
from respira.kit import records
from respira.kit.actors import Actor, require_role
from respira.kit.validation import fold
from respira.logistics import rows
from respira.logistics.foods import food_group
from respira.logistics.models import DietRestriction
from respira.logistics.roles import DIET_READ_ROLES, DIET_WRITE_ROLES
from respira.logistics.schemas import (
    DietLine,
    DietOut,
    RestrictionIn,
    RestrictionOut,
    RetractionIn,
)
from respira.patients import service as patients_service

ENTITY = "diet_restriction"


def record_restriction(
    session: Session, actor: Actor, patient_id: int, data: RestrictionIn
) -> RestrictionOut:
    """Record a food allergy or intolerance on the patient (committed)."""
    require_role(actor, DIET_WRITE_ROLES)
    patient = patients_service.get_for_update(session, actor, patient_id)
    row = DietRestriction(patient_id=patient.id, **data.model_dump(), **records.stamp(actor))
    return records.store(session, actor, row, entity_type=ENTITY, out=RestrictionOut)


def retract_restriction(
    session: Session, actor: Actor, restriction_id: int, data: RetractionIn
) -> RestrictionOut:
    """Retract a restriction entered in error or no longer true, with the reason
    (committed); 409 when it was retracted already."""
    require_role(actor, DIET_WRITE_ROLES)
    row = rows.locked(session, actor, DietRestriction, restriction_id, "diet restriction")
    records.retract(session, actor, row, entity_type=ENTITY, reason=data.reason)
    return RestrictionOut.model_validate(row)


def _rows(session: Session, patient_ids: list[int]) -> list[DietRestriction]:
    if not patient_ids:
        return []
    return list(
        session.scalars(
            select(DietRestriction)
            .where(DietRestriction.patient_id.in_(patient_ids))
            .order_by(DietRestriction.recorded_at, DietRestriction.id)
        )
    )


def lines_of(session: Session, patient_id: int, rows: list[DietRestriction]) -> list[DietLine]:
    """What the kitchen keeps off the patient's plate: the live restrictions of
    ``rows`` (the patient's), then the allergy panel's food sensitisations not already
    named. Severe ones first."""
    live = [r for r in rows if not r.retracted]
    lines = [
        DietLine(
            substance=r.substance,
            kind=r.kind,
            severity=r.severity,
            note=r.note,
            source="record",
            restriction_id=r.id,
        )
        for r in live
    ]
    groups = {food_group(r.substance) for r in live} - {None}
    seen: set[str] = set()
    for found in diagnostics_service.positive_sensitisations(session, patient_id):
        group = food_group(found.allergen)
        key = fold(found.allergen)
        if group is None or group in groups or key in seen:
            continue
        seen.add(key)
        lines.append(
            DietLine(
                substance=found.allergen,
                kind="allergy",
                severity=None,
                note=None,
                source="allergy_panel",
                tested_on=found.tested_on,
                method=found.method,
            )
        )
    order = {"severe": 0, "moderate": 1, "mild": 2, None: 3}
    return sorted(lines, key=lambda line: order[line.severity])


def lines_for(session: Session, patient_id: int) -> list[DietLine]:
    """``lines_of`` of one patient."""
    return lines_of(session, patient_id, _rows(session, [patient_id]))


def diets_of(session: Session, patient_ids: list[int]) -> dict[int, list[DietLine]]:
    """``lines_of`` for several patients (the kitchen list), reading the record once."""
    rows = _rows(session, patient_ids)
    return {
        pid: lines_of(session, pid, [r for r in rows if r.patient_id == pid]) for pid in patient_ids
    }


def get_diet(session: Session, actor: Actor, patient_id: int) -> DietOut:
    """The patient's diet as the kitchen reads it, and every restriction recorded
    (retracted ones with their reason)."""
    require_role(actor, DIET_READ_ROLES)
    patient = patients_service.get_visible(session, actor, patient_id)
    rows = _rows(session, [patient.id])
    return DietOut(
        patient_id=patient.id,
        lines=lines_of(session, patient.id, rows),
        recorded=[RestrictionOut.model_validate(r) for r in rows],
    )
