"""Registry exits: staff record that a patient withdrew from follow-up, died, or was lost
to follow-up, and retract a record entered in error.

An exit is the registry's account of missing data (the issue: "how many were due,
completed, late, missed, withdrawn, died"): from its day every window of the patient's
courses that was not yet answered counts as withdrawn, died or lost instead of missed,
and the Kaplan–Meier time to a first exacerbation is censored there. So recording or
retracting one reprojects the patient's courses in the same transaction.

Rules (each refusal names its field and changes nothing):

- physicians and coordinators record and retract; admins read; a patient sees none;
- the day is not in the future (the clinic's calendar) and not before the patient's
  first treated course began (there is no follow-up to leave before it);
- the patient must have a treated course;
- nothing can follow a death: a new exit after a live ``died`` is refused (409; retract
  that record first if it was wrong);
- a retraction needs a reason; a retracted exit stays readable and stops counting.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from respira.followup import service as followup
from respira.kit import records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.outcomes.models import OutcomeExit
from respira.outcomes.projection import SYSTEM, project_patient
from respira.outcomes.schemas import ExitIn, ExitOut, ExitRetractIn
from respira.patients import service as patients
from respira.protocols import service as protocols

ENTITY = "outcome_exit"
EXIT_WRITE_ROLES = frozenset({Role.PHYSICIAN, Role.COORDINATOR})
EXIT_READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR})


def list_exits(session: Session, actor: Actor, patient_id: int) -> list[ExitOut]:
    """The patient's registry exits, newest day first, retracted ones too."""
    require_role(actor, EXIT_READ_ROLES)
    patients.get_visible(session, actor, patient_id)
    rows = session.scalars(
        sa.select(OutcomeExit)
        .where(OutcomeExit.patient_id == patient_id)
        .order_by(OutcomeExit.on_date.desc(), OutcomeExit.id.desc())
    )
    return [ExitOut.model_validate(r) for r in rows]


def course_began(session: Session, course_id: int) -> dt.date | None:
    """When a treated course began: its start day, or its follow-up anchor (the last
    infusion) when that is earlier (a schedule made with a back-dated infusion)."""
    found = followup.course_follow_up(session, course_id)
    if found is None:
        return None
    return min(found[0].anchor_date, protocols.get_course(session, SYSTEM, course_id).start_date)


def _first_course_start(session: Session, patient_id: int) -> dt.date | None:
    """When the patient's first treated course began, or None."""
    days = [
        day
        for course_id in followup.scheduled_course_ids(session, patient_id)
        if (day := course_began(session, course_id)) is not None
    ]
    return min(days) if days else None


def record_exit(session: Session, actor: Actor, patient_id: int, data: ExitIn) -> ExitOut:
    """Record an exit, audited, and reproject the patient's courses; committed."""
    require_role(actor, EXIT_WRITE_ROLES)
    patient = patients.get_for_update(session, actor, patient_id)
    first = _first_course_start(session, patient.id)
    if first is None:
        raise InvalidInput(
            {
                "__all__": Msg(
                    N_("The patient has no treated course: there is no follow-up to leave.")
                )
            }
        )
    today = followup.clinic_today()
    if data.on_date > today:
        raise InvalidInput({"on_date": Msg(N_("cannot be in the future"))})
    if data.on_date < first:
        raise InvalidInput(
            {
                "on_date": Msg(
                    N_("cannot be before the first treated course started (%(day)s)"),
                    day=first.isoformat(),
                )
            }
        )
    died = session.scalars(
        sa.select(OutcomeExit).where(
            OutcomeExit.patient_id == patient.id,
            OutcomeExit.kind == "died",
            OutcomeExit.retracted_at.is_(None),
        )
    ).first()
    if died is not None:
        raise Conflict(
            Msg(
                N_(
                    "The registry records that the patient died on %(day)s; retract that "
                    "record first if it was entered in error."
                ),
                day=died.on_date.isoformat(),
            )
        )
    row = OutcomeExit(
        patient_id=patient.id,
        kind=data.kind,
        on_date=data.on_date,
        reason=data.reason,
        **records.stamp(actor),
    )
    out = records.store(session, actor, row, entity_type=ENTITY, out=ExitOut, commit=False)
    project_patient(session, patient.id)
    session.commit()
    return out


def retract_exit(session: Session, actor: Actor, exit_id: int, data: ExitRetractIn) -> ExitOut:
    """Retract an exit entered in error (with its reason), audited, and reproject the
    patient's courses; committed. A second retraction is 409."""
    require_role(actor, EXIT_WRITE_ROLES)
    row = session.get(OutcomeExit, exit_id)
    if row is None:
        raise NotFound("no such registry exit")
    patients.get_for_update(session, actor, row.patient_id)
    row = records.lock_row(session, OutcomeExit, exit_id)
    assert row is not None
    records.retract(session, actor, row, entity_type=ENTITY, reason=data.reason, commit=False)
    project_patient(session, row.patient_id)
    session.commit()
    return ExitOut.model_validate(row)


def get_exit(session: Session, actor: Actor, exit_id: int) -> ExitOut:
    require_role(actor, EXIT_READ_ROLES)
    row = session.get(OutcomeExit, exit_id)
    if row is None:
        raise NotFound("no such registry exit")
    patients.get_visible(session, actor, row.patient_id)
    return ExitOut.model_validate(row)


def has_treated_course(session: Session, patient_id: int) -> bool:
    """Whether the patient has a treated (discharged, scheduled) course."""
    return bool(followup.scheduled_course_ids(session, patient_id))
