"""The record of an administration: one unit given, with its vital signs, the operator
and a witness. It needs a go bedside check of the same unit and patient within
``CHECK_VALID_FOR``, reads the unit ``FOR UPDATE``
(``respira.products.service.lock_unit_for_administration``) so that two nurses at the
same moment give it once, and answers 409 for a unit already given."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from respira.accounts import service as accounts_service
from respira.kit import records
from respira.kit.actors import Actor, require_role
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.patients import service as patients_service
from respira.products import service as products_service
from respira.treatment import bedside
from respira.treatment.admissions import list_admissions, open_admission
from respira.treatment.bedside_checks import recent_go_check
from respira.treatment.models import Administration, VitalSigns
from respira.treatment.roles import (
    ADMINISTRATION_READ_ROLES,
    BOARD_ROLES,
    WARD_ROLES,
    WITNESS_ROLES,
)
from respira.treatment.schemas import (
    CHECK_VALID_FOR,
    AdministrationIn,
    AdministrationOut,
)
from respira.treatment.shared import approved_course, parse_din, patient_records, raise_if

# What the record takes from the form as it is; the rest the use case works out.
_AS_ENTERED: set[str] = {
    "route",
    "started_at",
    "ended_at",
    "volume_ml",
    "rate_ml_per_h",
    "reactions",
    "reaction_notes",
}


def _witness(session: Session, actor: Actor, email: str) -> Any:
    """The witness's account: an active nurse or physician other than the operator."""
    try:
        wanted = accounts_service.normalise_email(email)
    except InvalidInput:
        raise InvalidInput({"witness_email": N_("not a valid email address")}) from None
    user = next((u for u in accounts_service.list_users(session) if u.email == wanted), None)
    if user is None or not user.is_active:
        raise InvalidInput(
            {
                "witness_email": Msg(
                    N_("no active staff account has the email %(email)s"), email=wanted
                )
            }
        )
    if user.role not in WITNESS_ROLES:
        raise InvalidInput(
            {"witness_email": N_("the witness must be a nurse or a physician of the clinic")}
        )
    if user.id == actor.user_id:
        raise InvalidInput(
            {"witness_email": N_("the witness must be a second person, not the operator")}
        )
    return user


def record_administration(
    session: Session, actor: Actor, data: AdministrationIn
) -> AdministrationOut:
    """Record one unit given: the unit read ``FOR UPDATE`` (a unit is given once: 409),
    a go check of this unit and patient in the last 30 minutes, the facts still a go,
    the unit marked administered in the products step's ledger."""
    require_role(actor, WARD_ROLES)
    raise_if(data.problems())
    din = parse_din(data.din)
    witness = _witness(session, actor, data.witness_email)
    patients_service.get_visible(session, actor, data.patient_id)
    course = approved_course(session, actor, data.course_id, data.patient_id)
    facts = products_service.lock_unit_for_administration(session, din)  # 404 if none
    if facts.unit_status == "administered":
        raise Conflict(Msg(N_("the unit %(din)s was already given"), din=din))
    now = utcnow()
    check = recent_go_check(session, facts.unit_id, data.patient_id, now)
    if check is None:
        raise InvalidInput(
            {
                "din": Msg(
                    N_(
                        "no GO bedside check of this unit and this patient in the last "
                        "%(minutes)s minutes: scan the wristband and the unit first"
                    ),
                    minutes=int(CHECK_VALID_FOR.total_seconds() // 60),
                )
            }
        )
    if facts.course_id != data.course_id:
        raise InvalidInput({"din": N_("the unit is allocated to another course")})
    result = bedside.verdict(
        patient_id=data.patient_id,
        patient_code=str(data.patient_id),
        unit=facts,
        din=din,
        course_patient_id=course.patient_id,
        now=now,
    )
    if not result.ok:
        reasons = bedside.verdict_reasons(result)
        raise InvalidInput({"din": Msg(N_("no-go now: %(reasons)s"), reasons=reasons)})
    admission = open_admission(session, data.patient_id)
    row = Administration(
        unit_id=facts.unit_id,
        din=din,
        patient_id=data.patient_id,
        course_id=data.course_id,
        admission_id=admission.id if admission is not None else None,
        bedside_check_id=check.id,
        infusion_day=facts.infusion_day,
        witness_id=witness.id,
        witness_name=witness.name,
        vitals=[VitalSigns(**vs.model_dump()) for vs in data.vitals],
        **data.model_dump(include=_AS_ENTERED),
        **records.stamp(actor),
    )
    with records.flush_or_conflict(session, f"the unit {din} was already given"):
        session.add(row)
    products_service.mark_administered(session, actor, facts.unit_id, row.id)
    return records.store(
        session,
        actor,
        row,
        entity_type="administration",
        out=AdministrationOut,
        audit_after=lambda o: o.model_dump(mode="json", exclude={"recorded_at"}),
    )


def _load_administration(session: Session, actor: Actor, administration_id: int) -> Administration:
    row = session.scalars(
        select(Administration)
        .where(Administration.id == administration_id)
        .options(selectinload(Administration.vitals))
    ).first()
    if row is None or records.hidden_from(actor, row.patient_id, row.retracted):
        raise NotFound(N_("no such administration"))
    return row


def get_administration(session: Session, actor: Actor, administration_id: int) -> AdministrationOut:
    require_role(actor, ADMINISTRATION_READ_ROLES)
    return AdministrationOut.model_validate(_load_administration(session, actor, administration_id))


def list_administrations(
    session: Session, actor: Actor, patient_id: int
) -> list[AdministrationOut]:
    """A patient's administrations, newest first."""
    return patient_records(
        session,
        actor,
        ADMINISTRATION_READ_ROLES,
        Administration,
        patient_id,
        Administration.started_at,
        AdministrationOut,
        selectinload(Administration.vitals),
    )


# --- the patient's page ---------------------------------------------------------------


def patient_chains(session: Session, actor: Actor, patient_id: int) -> list[Any]:
    """The chain of identity of every unit of the patient (the products step's)."""
    return list(products_service.patient_chains(session, actor, patient_id))


def patient_summary(session: Session, actor: Actor, patient_id: int) -> dict[str, Any]:
    administrations = list_administrations(session, actor, patient_id)
    admissions = list_admissions(session, actor, patient_id) if actor.role in BOARD_ROLES else []
    return {"administrations": administrations, "admissions": admissions}


def treated_patient_count(session: Session) -> int:
    """Patients with at least one live administration: the denominator of the
    programme's safety rates (no patient is identified, so no role is needed)."""
    count = session.scalar(
        select(func.count(func.distinct(Administration.patient_id))).where(
            Administration.retracted_at.is_(None)
        )
    )
    return int(count or 0)
