"""Admission for an approved course, on or around its start, and discharge; a
patient's admissions. A patient has one open admission at a time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit import audit, events, records
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_day
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.patients import service as patients_service
from respira.treatment.models import Administration, Admission
from respira.treatment.roles import BOARD_ROLES, WARD_ROLES
from respira.treatment.schemas import AdmissionIn, AdmissionOut, DischargeIn
from respira.treatment.shared import course_or_none, in_future, is_approved, patient_records

# An admission may start this many days before the course's first day (travel, the
# work-up on arrival) and no later than its last day.
ADMIT_EARLY_DAYS = 2


def open_admission(session: Session, patient_id: int) -> Admission | None:
    return session.scalars(
        select(Admission).where(
            Admission.patient_id == patient_id,
            Admission.discharged_at.is_(None),
            Admission.retracted_at.is_(None),
        )
    ).first()


def admit(session: Session, actor: Actor, patient_id: int, data: AdmissionIn) -> AdmissionOut:
    """Admit a patient for an approved course of theirs, on or around its start."""
    require_role(actor, WARD_ROLES)
    patient = patients_service.get_for_update(session, actor, patient_id)
    course = course_or_none(session, actor, data.course_id)
    if course is None or course.patient_id != patient.id:
        raise InvalidInput({"course_id": N_("no such course of this patient")})
    if not is_approved(course):
        raise InvalidInput({"course_id": N_("the course is not approved; it cannot start a stay")})
    day = clinic_day(data.admitted_at)  # the course's days are the clinic's calendar's
    earliest = course.start_date - dt.timedelta(days=ADMIT_EARLY_DAYS)
    if not earliest <= day <= course.end_date:
        raise InvalidInput(
            {
                "admitted_at": Msg(
                    N_(
                        "the course's stay runs %(start)s to %(end)s; admit from %(earliest)s "
                        "to its last day"
                    ),
                    start=course.start_date.isoformat(),
                    end=course.end_date.isoformat(),
                    earliest=earliest.isoformat(),
                )
            }
        )
    if in_future(data.admitted_at):
        raise InvalidInput({"admitted_at": N_("the admission time is in the future")})
    if open_admission(session, patient.id) is not None:
        raise Conflict(N_("the patient is already admitted; discharge them first"))
    row = Admission(
        patient_id=patient.id,
        course_id=course.id,
        admitted_at=data.admitted_at,
        **records.stamp(actor),
    )
    return records.store(session, actor, row, entity_type="admission", out=AdmissionOut)


def discharge(session: Session, actor: Actor, admission_id: int, data: DischargeIn) -> AdmissionOut:
    require_role(actor, WARD_ROLES)
    row = records.lock_row(session, Admission, admission_id)
    if row is None or row.retracted:
        raise NotFound(N_("no such admission"))
    if row.discharged_at is not None:
        raise Conflict(N_("the patient was already discharged from this admission"))
    at = data.discharged_at or utcnow()
    if at < row.admitted_at:
        raise InvalidInput({"discharged_at": N_("the discharge is before the admission")})
    if in_future(at):
        raise InvalidInput({"discharged_at": N_("the discharge time is in the future")})
    row.discharged_at = at
    row.discharged_by_id = actor.user_id
    row.discharged_by_name = actor.name
    row.discharge_note = data.note
    session.flush()
    out = AdmissionOut.model_validate(row)
    audit.record(
        session,
        actor,
        entity_type="admission",
        entity_id=row.id,
        action="discharge",
        before={"discharged_at": None},
        after={"discharged_at": at.isoformat(), "note": data.note},
    )
    # The steps after the stay (the follow-up schedule, the patient's portal account)
    # act on the discharge in this transaction: all of it commits or none.
    events.emit(
        session,
        actor,
        "treatment.discharged",
        patient_id=row.patient_id,
        admission_id=row.id,
        course_id=row.course_id,
        last_administration_at=last_administration_at(session, row.course_id),
    )
    session.commit()
    return out


def last_administration_at(session: Session, course_id: int) -> dt.datetime | None:
    """When the course's last live administration started (the follow-up clock)."""
    return session.scalar(
        select(Administration.started_at)
        .where(Administration.course_id == course_id, Administration.retracted_at.is_(None))
        .order_by(Administration.started_at.desc())
        .limit(1)
    )


def list_admissions(session: Session, actor: Actor, patient_id: int) -> list[AdmissionOut]:
    return patient_records(
        session, actor, BOARD_ROLES, Admission, patient_id, Admission.admitted_at, AdmissionOut
    )
