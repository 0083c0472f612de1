"""Use cases of the stay: admit a patient for an approved course and discharge them,
the ward board of a day, the bedside check of a wristband and a unit, the record of an
administration with its vital signs, and supporting sessions done or skipped.

Who may do what: nurses and physicians do the ward work (admissions, bedside checks,
administrations, supporting sessions); admins read; coordinators read the ward board
(they organise the stay) but no administration detail; the laboratory has no part
here; a patient reads their own administrations.

The bedside check answers go or no-go with every reason (``respira.treatment.bedside``,
a pure function of the facts) and is stored and audited either way, and written into
the unit's ledger (``respira.products.service.record_event``). An administration needs
a go check of the same unit and patient within the last 30 minutes, reads the unit
``FOR UPDATE`` (``lock_unit_for_administration``) so that two nurses at the same
moment give it once, and answers 409 for a unit already given. Sources: FACT-JACIE
bedside verification and traceability, ISBT 128 DIN (clinical.md §5.5).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from respira.accounts import service as accounts_service
from respira.kit import audit, records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, DomainError, InvalidInput, NotFound
from respira.patients import service as patients_service
from respira.products import service as products_service
from respira.protocols import service as protocols_service
from respira.treatment import bedside
from respira.treatment.models import (
    Administration,
    Admission,
    BedsideCheck,
    SupportingSession,
    VitalSigns,
)
from respira.treatment.schemas import (
    CHECK_VALID_FOR,
    AdministrationIn,
    AdministrationOut,
    AdmissionIn,
    AdmissionOut,
    BedsideCheckIn,
    BedsideCheckOut,
    DischargeIn,
    DueItem,
    SupportingSessionIn,
    SupportingSessionOut,
    WardBoard,
    WardPatient,
)

WARD_ROLES = frozenset({Role.NURSE, Role.PHYSICIAN})
READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE})
BOARD_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.COORDINATOR})
ADMINISTRATION_READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.PATIENT})
WITNESS_ROLES = frozenset({Role.NURSE, Role.PHYSICIAN})
# The chain of identity is the products step's ledger: its readers who may also read
# the patient's record (the laboratory reads units, not patients).
CHAIN_ROLES = products_service.CHAIN_ROLES & patients_service.READ_ROLES

# An admission may start this many days before the course's first day (travel, the
# work-up on arrival) and no later than its last day.
ADMIT_EARLY_DAYS = 2


class MalformedDin(DomainError):
    """A DIN that is not 13 ISBT 128 characters, or whose typed check character is
    wrong: a bad request (400), stored nowhere."""

    status_code = 400
    title = "Bad request"


def parse_din(text: str) -> str:
    """The 13 characters of a scanned DIN, or of a typed one with its check character
    (14), checked by the products step's DIN rules; 400 otherwise."""
    try:
        return products_service.parse_din(text)
    except ValueError as exc:
        raise MalformedDin(f"din: {exc}") from exc


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise InvalidInput(errors)


def _patient_by_code(session: Session, actor: Actor, code: str) -> Any | None:
    """The patient whose record number (the wristband code) is ``code``, or None."""
    wanted = code.strip().upper()
    if not wanted or len(wanted) > 32:
        return None
    page = patients_service.search_patients(session, actor, wanted, 1, 10)
    return next(
        (p for p in page.items if p.medical_record_number.upper() == wanted),
        None,
    )


def _course(session: Session, actor: Actor, course_id: int) -> Any | None:
    try:
        return protocols_service.get_course(session, actor, course_id)
    except NotFound:
        return None


def _is_approved(course: Any) -> bool:
    return course is not None and course.approved_at is not None and course.status == "approved"


# --- bedside checks -------------------------------------------------------------------


def _verdict(
    session: Session, actor: Actor, patient_id: int | None, code: str, din: str, facts: Any
) -> bedside.Verdict:
    course_patient_id = None
    if facts is not None and facts.course_id is not None:
        course = _course(session, actor, facts.course_id)
        if course is not None and _is_approved(course):
            course_patient_id = course.patient_id
    return bedside.verdict(
        patient_id=patient_id,
        patient_code=code,
        unit=facts,
        din=din,
        course_patient_id=course_patient_id,
        now=utcnow(),
    )


def check_at_bedside(session: Session, actor: Actor, data: BedsideCheckIn) -> BedsideCheckOut:
    """Go or no-go for the unit and the patient of the wristband, stored and audited
    either way, and written into the unit's ledger when the DIN names a unit."""
    require_role(actor, WARD_ROLES)
    din = parse_din(data.din)
    patient = _patient_by_code(session, actor, data.patient_code)
    patient_id = patient.id if patient is not None else None
    facts = products_service.bedside_facts(session, din)
    result = _verdict(session, actor, patient_id, data.patient_code, din, facts)
    row = BedsideCheck(
        checked_at=utcnow(),
        checked_by_id=actor.user_id,
        checked_by_name=actor.name,
        patient_code=data.patient_code[:64],
        patient_id=patient_id,
        din=din,
        din_entered=data.din[:32],
        unit_id=facts.unit_id if facts is not None else None,
        course_id=facts.course_id if facts is not None else None,
        ok=result.ok,
        reason_codes=list(result.codes),
        reasons=list(result.reasons),
    )
    session.add(row)
    session.flush()
    out = BedsideCheckOut.model_validate(row)
    if facts is not None:
        detail = (
            f"bedside check {row.id}: GO for patient {data.patient_code}"
            if result.ok
            else f"bedside check {row.id}: NO-GO for patient {data.patient_code}: "
            + "; ".join(result.reasons)
        )
        products_service.record_event(session, actor, facts.unit_id, "bedside_check", detail)
    audit.record(
        session,
        actor,
        entity_type="bedside_check",
        entity_id=row.id,
        action="create",
        after=out.model_dump(mode="json", exclude={"checked_at", "checked_by_name"}),
    )
    session.commit()
    return out


def _recent_go_check(
    session: Session, unit_id: int, patient_id: int, now: dt.datetime
) -> BedsideCheck | None:
    return session.scalars(
        select(BedsideCheck)
        .where(
            BedsideCheck.unit_id == unit_id,
            BedsideCheck.patient_id == patient_id,
            BedsideCheck.ok.is_(True),
            BedsideCheck.checked_at >= now - CHECK_VALID_FOR,
        )
        .order_by(BedsideCheck.checked_at.desc(), BedsideCheck.id.desc())
        .limit(1)
    ).first()


# --- administrations ------------------------------------------------------------------


def _witness(session: Session, actor: Actor, email: str) -> Any:
    """The witness's account: an active nurse or physician other than the operator."""
    try:
        wanted = accounts_service.normalise_email(email)
    except InvalidInput:
        raise InvalidInput({"witness_email": "not a valid email address"}) from None
    user = next((u for u in accounts_service.list_users(session) if u.email == wanted), None)
    if user is None or not user.is_active:
        raise InvalidInput({"witness_email": f"no active staff account has the email {wanted}"})
    if user.role not in WITNESS_ROLES:
        raise InvalidInput(
            {"witness_email": "the witness must be a nurse or a physician of the clinic"}
        )
    if user.id == actor.user_id:
        raise InvalidInput(
            {"witness_email": "the witness must be a second person, not the operator"}
        )
    return user


def _open_admission(session: Session, patient_id: int) -> Admission | None:
    return session.scalars(
        select(Admission).where(
            Admission.patient_id == patient_id,
            Admission.discharged_at.is_(None),
            Admission.retracted_at.is_(None),
        )
    ).first()


def record_administration(
    session: Session, actor: Actor, data: AdministrationIn
) -> AdministrationOut:
    """Record one unit given: the unit read ``FOR UPDATE`` (a unit is given once: 409),
    a go check of this unit and patient in the last 30 minutes, the facts still a go,
    the unit marked administered in the products step's ledger."""
    require_role(actor, WARD_ROLES)
    _raise_if(data.problems())
    din = parse_din(data.din)
    witness = _witness(session, actor, data.witness_email)
    patients_service.get_visible(session, actor, data.patient_id)
    course = _course(session, actor, data.course_id)
    if course is None:
        raise InvalidInput({"course_id": "no such course"})
    if course.patient_id != data.patient_id:
        raise InvalidInput({"course_id": "the course is another patient's"})
    if not _is_approved(course):
        raise InvalidInput({"course_id": "the course is not approved"})
    facts = products_service.lock_unit_for_administration(session, din)  # 404 if none
    if facts.unit_status == "administered":
        raise Conflict(f"the unit {din} was already given")
    now = utcnow()
    check = _recent_go_check(session, facts.unit_id, data.patient_id, now)
    if check is None:
        raise InvalidInput(
            {
                "din": "no GO bedside check of this unit and this patient in the last "
                f"{int(CHECK_VALID_FOR.total_seconds() // 60)} minutes: scan the wristband "
                "and the unit first"
            }
        )
    if facts.course_id != data.course_id:
        raise InvalidInput({"din": "the unit is allocated to another course"})
    result = bedside.verdict(
        patient_id=data.patient_id,
        patient_code=str(data.patient_id),
        unit=facts,
        din=din,
        course_patient_id=course.patient_id,
        now=now,
    )
    if not result.ok:
        raise InvalidInput({"din": "no-go now: " + "; ".join(result.reasons)})
    admission = _open_admission(session, data.patient_id)
    row = Administration(
        unit_id=facts.unit_id,
        din=din,
        patient_id=data.patient_id,
        course_id=data.course_id,
        admission_id=admission.id if admission is not None else None,
        bedside_check_id=check.id,
        infusion_day=facts.infusion_day,
        route=data.route,
        started_at=data.started_at,
        ended_at=data.ended_at,
        volume_ml=data.volume_ml,
        rate_ml_per_h=data.rate_ml_per_h,
        witness_id=witness.id,
        witness_name=witness.name,
        reactions=list(data.reactions),
        reaction_notes=data.reaction_notes,
        vitals=[VitalSigns(**vs.model_dump()) for vs in data.vitals],
        **records.stamp(actor),
    )
    with records.flush_or_conflict(session, f"the unit {din} was already given"):
        session.add(row)
    products_service.mark_administered(session, actor, facts.unit_id, row.id)
    out = AdministrationOut.model_validate(row)
    audit.record(
        session,
        actor,
        entity_type="administration",
        entity_id=row.id,
        action="create",
        after=out.model_dump(mode="json", exclude={"recorded_at"}),
    )
    session.commit()
    return out


def _load_administration(session: Session, actor: Actor, administration_id: int) -> Administration:
    row = session.scalars(
        select(Administration)
        .where(Administration.id == administration_id)
        .options(selectinload(Administration.vitals))
    ).first()
    if row is None or records.hidden_from(actor, row.patient_id, row.retracted):
        raise NotFound("no such administration")
    return row


def get_administration(session: Session, actor: Actor, administration_id: int) -> AdministrationOut:
    require_role(actor, ADMINISTRATION_READ_ROLES)
    return AdministrationOut.model_validate(_load_administration(session, actor, administration_id))


def list_administrations(
    session: Session, actor: Actor, patient_id: int
) -> list[AdministrationOut]:
    """A patient's administrations, newest first."""
    require_role(actor, ADMINISTRATION_READ_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    stmt = (
        select(Administration)
        .where(Administration.patient_id == patient_id)
        .options(selectinload(Administration.vitals))
        .order_by(Administration.started_at.desc(), Administration.id.desc())
    )
    if actor.role == Role.PATIENT:
        stmt = stmt.where(Administration.retracted_at.is_(None))
    return [AdministrationOut.model_validate(r) for r in session.scalars(stmt)]


# --- admissions -----------------------------------------------------------------------


def admit(session: Session, actor: Actor, patient_id: int, data: AdmissionIn) -> AdmissionOut:
    """Admit a patient for an approved course of theirs, on or around its start."""
    require_role(actor, WARD_ROLES)
    patient = patients_service.get_for_update(session, actor, patient_id)
    course = _course(session, actor, data.course_id)
    if course is None or course.patient_id != patient.id:
        raise InvalidInput({"course_id": "no such course of this patient"})
    if not _is_approved(course):
        raise InvalidInput({"course_id": "the course is not approved; it cannot start a stay"})
    day = data.admitted_at.astimezone(dt.UTC).date()
    earliest = course.start_date - dt.timedelta(days=ADMIT_EARLY_DAYS)
    if not earliest <= day <= course.end_date:
        raise InvalidInput(
            {
                "admitted_at": f"the course's stay runs {course.start_date.isoformat()} to "
                f"{course.end_date.isoformat()}; admit from {earliest.isoformat()} "
                "to its last day"
            }
        )
    if data.admitted_at > utcnow() + dt.timedelta(minutes=5):
        raise InvalidInput({"admitted_at": "the admission time is in the future"})
    if _open_admission(session, patient.id) is not None:
        raise Conflict("the patient is already admitted; discharge them first")
    row = Admission(
        patient_id=patient.id,
        course_id=course.id,
        admitted_at=data.admitted_at,
        **records.stamp(actor),
    )
    return records.store(
        session,
        actor,
        row,
        entity_type="admission",
        out=AdmissionOut,
        audit_after=lambda o: o.model_dump(mode="json"),
    )


def discharge(session: Session, actor: Actor, admission_id: int, data: DischargeIn) -> AdmissionOut:
    require_role(actor, WARD_ROLES)
    row = records.lock_row(session, Admission, admission_id)
    if row is None or row.retracted:
        raise NotFound("no such admission")
    if row.discharged_at is not None:
        raise Conflict("the patient was already discharged from this admission")
    at = data.discharged_at or utcnow()
    if at < row.admitted_at:
        raise InvalidInput({"discharged_at": "the discharge is before the admission"})
    if at > utcnow() + dt.timedelta(minutes=5):
        raise InvalidInput({"discharged_at": "the discharge time is in the future"})
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
    session.commit()
    return out


def list_admissions(session: Session, actor: Actor, patient_id: int) -> list[AdmissionOut]:
    require_role(actor, BOARD_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    rows = session.scalars(
        select(Admission)
        .where(Admission.patient_id == patient_id)
        .order_by(Admission.admitted_at.desc(), Admission.id.desc())
    )
    return [AdmissionOut.model_validate(r) for r in rows]


# --- supporting sessions --------------------------------------------------------------


def record_supporting_session(
    session: Session, actor: Actor, data: SupportingSessionIn
) -> SupportingSessionOut:
    require_role(actor, WARD_ROLES)
    _raise_if(data.problems())
    course = _course(session, actor, data.course_id)
    if course is None:
        raise InvalidInput({"course_id": "no such course"})
    if not _is_approved(course):
        raise InvalidInput({"course_id": "the course is not approved"})
    planned = {s.modality for s in course.supporting}
    if data.modality not in planned:
        raise InvalidInput(
            {
                "modality": "the course plans no such supporting modality"
                + (f" (it plans: {', '.join(sorted(planned))})" if planned else "")
            }
        )
    if not course.start_date <= data.day <= course.end_date:
        raise InvalidInput({"day": "the day is outside the course's stay"})
    row = SupportingSession(
        course_id=course.id,
        patient_id=course.patient_id,
        modality=data.modality,
        day=data.day,
        done=data.done,
        reason=data.reason,
        **records.stamp(actor),
    )
    with records.flush_or_conflict(
        session, f"the {data.modality} session of {data.day.isoformat()} is already recorded"
    ):
        session.add(row)
    return records.store(
        session, actor, row, entity_type="supporting_session", out=SupportingSessionOut
    )


# --- the ward board -------------------------------------------------------------------


def _day_of_stay(course: Any, day: dt.date) -> int:
    return int((day - course.start_date).days) + 1


def ward_board(session: Session, actor: Actor, day: dt.date) -> WardBoard:
    """Who is in on the day and what their course has due: infusions with the dose and
    cells, nebulisations, supporting sessions, each done or not yet."""
    require_role(actor, BOARD_ROLES)
    courses = protocols_service.approved_courses_on(session, day)
    if not courses:
        return WardBoard(day=day, patients=[])
    ids = [c.id for c in courses]
    pids = {c.patient_id for c in courses}
    admissions: dict[int, Admission] = {}
    for a in session.scalars(
        select(Admission)
        .where(Admission.course_id.in_(ids), Admission.retracted_at.is_(None))
        .order_by(Admission.admitted_at)
    ):
        admissions[a.course_id] = a
    given = session.scalars(
        select(Administration).where(
            Administration.course_id.in_(ids), Administration.retracted_at.is_(None)
        )
    ).all()
    sessions_done = {
        (s.course_id, s.modality): s
        for s in session.scalars(
            select(SupportingSession).where(
                SupportingSession.course_id.in_(ids),
                SupportingSession.day == day,
                SupportingSession.retracted_at.is_(None),
            )
        )
    }
    patients = {pid: patients_service.find(session, pid) for pid in pids}
    out: list[WardPatient] = []
    for course in courses:
        stay_day = _day_of_stay(course, day)
        due: list[DueItem] = []
        for inf in course.infusions:
            if inf.date != day:
                continue
            done = next(
                (g for g in given if g.course_id == course.id and g.infusion_day == inf.day), None
            )
            due.append(
                DueItem(
                    kind="infusion",
                    label=f"IV infusion, day {inf.day}",
                    dose=f"{inf.dose_million_cells_per_kg:g} ×10⁶ cells/kg",
                    cells=float(inf.cells_total),
                    done=done is not None,
                    record_id=done.id if done else None,
                    detail=f"given {done.started_at:%H:%M} UTC by {done.recorded_by_name}"
                    if done
                    else None,
                )
            )
        for neb in course.nebulisations:
            if neb.date != day:
                continue
            done = next(
                (
                    g
                    for g in given
                    if g.course_id == course.id
                    and g.route == "nebulised"
                    and g.started_at.astimezone(dt.UTC).date() == day
                ),
                None,
            )
            due.append(
                DueItem(
                    kind="nebulisation",
                    label=f"Nebulisation, day {neb.day}",
                    dose=f"{neb.amount_million_cells:g} ×10⁶ cells",
                    cells=neb.amount_million_cells * 1e6,
                    done=done is not None,
                    record_id=done.id if done else None,
                )
            )
        for sup in course.supporting:
            if stay_day not in sup.days:
                continue
            rec = sessions_done.get((course.id, sup.modality))
            due.append(
                DueItem(
                    kind="supporting",
                    label=sup.modality.replace("_", " "),
                    modality=sup.modality,
                    done=rec is not None,
                    record_id=rec.id if rec else None,
                    detail=None
                    if rec is None
                    else ("done" if rec.done else f"skipped: {rec.reason}"),
                )
            )
        adm = admissions.get(course.id)
        p = patients[course.patient_id]
        assert p is not None
        out.append(
            WardPatient(
                patient_id=p.id,
                name=f"{p.last_name}, {p.first_name}",
                medical_record_number=p.medical_record_number,
                course_id=course.id,
                course_number=str(course.number),
                admission_id=adm.id if adm else None,
                admitted_at=adm.admitted_at if adm else None,
                discharged_at=adm.discharged_at if adm else None,
                in_ward=adm is not None and adm.discharged_at is None,
                due=due,
            )
        )
    out.sort(key=lambda w: (not w.in_ward, w.name))
    return WardBoard(day=day, patients=out)


def patient_chains(session: Session, actor: Actor, patient_id: int) -> list[Any]:
    """The chain of identity of every unit of the patient (the products step's)."""
    return list(products_service.patient_chains(session, actor, patient_id))


# --- the patient's page ---------------------------------------------------------------


def patient_summary(session: Session, actor: Actor, patient_id: int) -> dict[str, Any]:
    administrations = list_administrations(session, actor, patient_id)
    admissions = list_admissions(session, actor, patient_id) if actor.role in BOARD_ROLES else []
    return {"administrations": administrations, "admissions": admissions}
