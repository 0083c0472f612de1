"""Recording, correcting, retracting and acknowledging adverse events.

Recording an event works out what follows from what the recorder entered (the rules are
in ``respira.safety.rules`` and the catalogue, clinical.md §4.1-4.2):

- the CTCAE term's canonical name, the catalogue's version and the MedDRA code;
- the administration it follows (the patient's own, not retracted, given on or before
  the onset), and through it the course, the unit and the lot (products step);
- one reaction, one term: no "Infusion related reaction" beside an "Allergic reaction"
  or "Anaphylaxis" of the same infusion (422 naming the event already recorded);
- the grade-5 rule (outcome fatal, death criterion), seriousness, the binary causality;
- expectedness against the reference list version in force on the course's start day
  (the onset day when no administration), stored with the event;
- for a serious event, the reporting clock from now (first knowledge) and the alert
  into the outbox, in the same transaction.

A correction changes the fields it names, works the rest out again, and is audited with
its reason (the history is the audit trail); a correction that makes an event serious
starts its clock and raises its alert. Nothing is deleted: a record entered in error is
retracted with a reason and stops counting.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit import audit, events, records
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_day
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.patient_rows import rows_of_patient
from respira.kit.texts import Msg
from respira.kit.trail import Trail
from respira.kit.validation import latest_today
from respira.patients import service as patients_service
from respira.products import service as products_service
from respira.protocols import service as protocols_service
from respira.safety import alerts, catalogue, expected, rules
from respira.safety.models import AdverseEvent, SafetyReport
from respira.safety.roles import READ_ROLES, RECORD_ROLES, SIGN_ROLES
from respira.safety.schemas import (
    AdverseEventDetail,
    AdverseEventIn,
    AdverseEventOut,
    CorrectionIn,
    HistoryEntry,
    ReportOut,
    event_fields,
)
from respira.treatment import service as treatment_service

ENTITY = "adverse_event"
TRAIL = Trail(ENTITY)


def _raise_if(problems: dict[str, str]) -> None:
    if problems:
        raise InvalidInput(problems)


def _administration(session: Session, actor: Actor, patient_id: int, data: AdverseEventIn) -> Any:
    if data.administration_id is None:
        return None
    try:
        adm = treatment_service.get_administration(session, actor, data.administration_id)
    except NotFound:
        raise InvalidInput({"administration_id": N_("no such administration")}) from None
    if adm.patient_id != patient_id:
        raise InvalidInput({"administration_id": N_("the administration is another patient's")})
    return adm


def _exclusive_problem(
    session: Session, event_id: int | None, administration_id: int | None, term: str
) -> dict[str, str]:
    excluded = rules.exclusive_terms(term)
    if administration_id is None or not excluded:
        return {}
    other = session.scalars(
        select(AdverseEvent).where(
            AdverseEvent.administration_id == administration_id,
            AdverseEvent.term.in_(excluded),
            AdverseEvent.retracted_at.is_(None),
            AdverseEvent.id != (event_id or 0),
        )
    ).first()
    if other is None:
        return {}
    return {
        "term": Msg(
            N_(
                "%(term)s (event %(id)s) is already recorded for this infusion: CTCAE records "
                "an allergic reaction to the infused agent as either Infusion related reaction "
                "or Allergic reaction, never both; correct event %(id)s instead"
            ),
            term=Msg(other.term),
            id=str(other.id),
        )
    }


def _product(session: Session, actor: Actor, adm: Any) -> dict[str, Any]:
    """The course, unit and lot of the administration an event follows (none without)."""
    if adm is None:
        return dict.fromkeys(("course_id", "unit_id", "din", "lot_id", "lot_code"))
    unit = products_service.get_unit(session, actor, adm.din)
    return {
        "course_id": adm.course_id,
        "unit_id": adm.unit_id,
        "din": adm.din,
        "lot_id": unit.lot_id,
        "lot_code": unit.lot_code,
    }


def _derive(
    session: Session, actor: Actor, patient_id: int, data: AdverseEventIn, event_id: int | None
) -> dict[str, Any]:
    """Every column that follows from what was entered (raises InvalidInput)."""
    _raise_if(data.problems())
    term = catalogue.ctcae().term(data.term)
    assert term is not None  # problems() refused an unknown term
    adm = _administration(session, actor, patient_id, data)
    # The day of the infusion on the clinic's calendar, as the onset date is typed.
    administered_on = clinic_day(adm.started_at) if adm is not None else None
    problems = rules.date_problems(
        data.onset_date, data.resolution_date, latest_today(), administered_on
    )
    problems.update(_exclusive_problem(session, event_id, data.administration_id, term.name))
    _raise_if(problems)
    consistent = rules.grade_five_rule(data.grade, data.serious_criteria, data.outcome)
    if adm is not None:
        start = protocols_service.get_course(session, actor, adm.course_id).start_date
    else:
        start = data.onset_date
    reference = expected.in_force(session, start)
    return {
        "administration_id": data.administration_id,
        **_product(session, actor, adm),
        "term": term.name,
        "meddra_code": term.meddra_code,
        "ctcae_version": catalogue.ctcae().version,
        "grade": data.grade,
        "onset_date": data.onset_date,
        "resolution_date": data.resolution_date,
        "serious_criteria": consistent.criteria,
        "serious": rules.is_serious(consistent.criteria),
        "causality": data.causality,
        "related": rules.is_related(data.causality),
        "expected": expected.is_expected(reference, term.name),
        "expected_list_version": reference.version,
        "action": data.action,
        "outcome": consistent.outcome,
        "narrative": data.narrative,
    }


def _set_clock(row: AdverseEvent, now: dt.datetime) -> bool:
    """Start, move or stop the reporting clock after the event's facts changed; whether
    the event has just become serious (its alert is due)."""
    if not row.serious:
        row.clock = row.clock_started_at = row.report_due_at = row.follow_up_due_at = None
        return False
    became_serious = row.clock_started_at is None
    if became_serious:
        row.clock_started_at = now
    assert row.clock_started_at is not None
    due = rules.reporting_clock(
        row.clock_started_at,
        expected=row.expected,
        related=row.related,
        criteria=row.serious_criteria,
    )
    row.clock = due.clock.name
    row.report_due_at = due.report_due_at
    row.follow_up_due_at = due.follow_up_due_at
    return became_serious


def _alert(session: Session, actor: Actor, row: AdverseEvent, now: dt.datetime) -> None:
    mrn = patients_service.get_visible(session, actor, row.patient_id).medical_record_number
    alerts.raise_alert(session, row, mrn, now)


def record_event(
    session: Session, actor: Actor, patient_id: int, data: AdverseEventIn
) -> AdverseEventOut:
    require_role(actor, RECORD_ROLES)
    patients_service.get_for_update(session, actor, patient_id)
    now = utcnow()
    row = AdverseEvent(
        patient_id=patient_id,
        **_derive(session, actor, patient_id, data, None),
        **records.stamp(actor),
    )
    if _set_clock(row, now):
        session.add(row)
        session.flush()
        _alert(session, actor, row, now)
    out = records.store(session, actor, row, entity_type=ENTITY, out=AdverseEventOut, commit=False)
    _announce(session, actor, row, "safety.adverse_event_recorded")
    session.commit()
    return out


def _announce(session: Session, actor: Actor, row: AdverseEvent, name: str) -> None:
    """Tell later steps (the outcome registry) in this transaction."""
    events.emit(
        session, actor, name, patient_id=row.patient_id, event_id=row.id, course_id=row.course_id
    )


def live_for_update(session: Session, event_id: int) -> AdverseEvent:
    row = records.lock_row(session, AdverseEvent, event_id)
    if row is None:
        raise NotFound("no such adverse event")
    if row.retracted:
        raise Conflict(N_("this adverse event was retracted (entered in error); it cannot change"))
    return row


def _snapshot(row: AdverseEvent) -> dict[str, Any]:
    return AdverseEventOut.model_validate(row).model_dump(
        mode="json", exclude={"version", "recorded_at", "recorded_by_name"}
    )


def correct_event(
    session: Session, actor: Actor, event_id: int, data: CorrectionIn, expected_version: int
) -> AdverseEventOut:
    """Change what ``data`` names (under the version the client read), work the rest
    out again, audit the change with its reason."""
    require_role(actor, RECORD_ROLES)
    row = live_for_update(session, event_id)
    records.check_version(row.version, expected_version, "adverse event")
    merged = data.corrected(event_fields(row))
    before = _snapshot(row)
    for name, value in _derive(session, actor, row.patient_id, merged, row.id).items():
        setattr(row, name, value)
    now = utcnow()
    became_serious = _set_clock(row, now)
    records.flush(session, "the adverse event was changed by someone else at this moment")
    old, new = audit.diff(before, _snapshot(row))
    if not new:
        raise InvalidInput({"__all__": N_("the correction changes nothing")})
    TRAIL.record(session, actor, row.id, "correct", before=old, after=new, reason=data.reason)
    if became_serious:
        _alert(session, actor, row, now)
    _announce(session, actor, row, "safety.adverse_event_corrected")
    session.commit()
    return AdverseEventOut.model_validate(row)


def retract_event(session: Session, actor: Actor, event_id: int, reason: str) -> AdverseEventOut:
    """Mark an event entered in error (the wrong patient, a duplicate): it stays
    readable, stops counting, and its alert banner goes."""
    require_role(actor, SIGN_ROLES)
    row = live_for_update(session, event_id)
    records.retract(session, actor, row, entity_type=ENTITY, reason=reason, commit=False)
    _announce(session, actor, row, "safety.adverse_event_retracted")
    session.commit()
    return AdverseEventOut.model_validate(row)


def acknowledge(
    session: Session, actor: Actor, event_id: int, *, commit: bool = True
) -> AdverseEventOut:
    """A physician has seen the serious event: its banner goes for everyone."""
    require_role(actor, SIGN_ROLES)
    row = live_for_update(session, event_id)
    if not row.serious:
        raise Conflict(N_("only a serious adverse event raises an alert to acknowledge"))
    if row.acknowledged_at is not None:
        raise Conflict(
            Msg(N_("%(name)s acknowledged this event already"), name=row.acknowledged_by_name)
        )
    row.acknowledged_at = utcnow()
    row.acknowledged_by_id = actor.user_id
    row.acknowledged_by_name = actor.name
    records.flush(session, "the adverse event was changed by someone else at this moment")
    after = {"acknowledged_at": row.acknowledged_at, "acknowledged_by": actor.name}
    TRAIL.record(
        session, actor, row.id, "acknowledge", before={"acknowledged_at": None}, after=after
    )
    if commit:
        session.commit()
    return AdverseEventOut.model_validate(row)


# --- reads --------------------------------------------------------------------------------


def load(session: Session, actor: Actor, event_id: int) -> AdverseEvent:
    require_role(actor, READ_ROLES)
    row = session.get(AdverseEvent, event_id)
    if row is None or records.hidden_from(actor, row.patient_id, row.retracted):
        raise NotFound("no such adverse event")
    return row


def get_event(session: Session, actor: Actor, event_id: int) -> AdverseEventOut:
    return AdverseEventOut.model_validate(load(session, actor, event_id))


def history(session: Session, event_id: int) -> list[HistoryEntry]:
    out = []
    for rec in audit.history(session, ENTITY, event_id):
        out.append(
            HistoryEntry(
                at=rec.at,
                by=rec.actor_name,
                action=rec.action,
                before=audit_json(rec.before),
                after=audit_json(rec.after),
                reason=rec.reason,
            )
        )
    return out


def audit_json(text: str | None) -> dict[str, Any] | None:
    return json.loads(text) if text else None


def get_detail(session: Session, actor: Actor, event_id: int) -> AdverseEventDetail:
    row = load(session, actor, event_id)
    patient = patients_service.get_visible(session, actor, row.patient_id)
    reports = session.scalars(
        select(SafetyReport).where(SafetyReport.event_id == row.id).order_by(SafetyReport.number)
    )
    clock = next((c for c in rules.config().clocks if c.name == row.clock), None)
    return AdverseEventDetail.model_validate(
        {
            **AdverseEventOut.model_validate(row).model_dump(),
            "medical_record_number": patient.medical_record_number,
            "reports": [ReportOut.model_validate(r) for r in reports],
            "history": history(session, row.id),
            "clock_label": clock.label if clock else None,
            "clock_source": clock.source if clock else None,
        }
    )


def list_events(session: Session, actor: Actor, patient_id: int) -> list[AdverseEventOut]:
    """A patient's adverse events, newest onset first (retracted ones too, marked)."""
    require_role(actor, READ_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    order = (AdverseEvent.onset_date.desc(), AdverseEvent.id.desc())
    rows = rows_of_patient(session, AdverseEvent, patient_id, *order)
    return [AdverseEventOut.model_validate(r) for r in records.visible_items(actor, rows)]


def open_serious(session: Session, actor: Actor) -> list[AdverseEventOut]:
    """Live serious events whose alert is not acknowledged or whose reports are due
    (the overview's list), soonest due first."""
    require_role(actor, READ_ROLES)
    reported = select(SafetyReport.event_id).where(SafetyReport.kind == "initial")
    rows = session.scalars(
        select(AdverseEvent)
        .where(
            AdverseEvent.serious.is_(True),
            AdverseEvent.retracted_at.is_(None),
            (AdverseEvent.acknowledged_at.is_(None)) | (AdverseEvent.id.not_in(reported)),
        )
        .order_by(AdverseEvent.report_due_at, AdverseEvent.id)
    )
    return [AdverseEventOut.model_validate(r) for r in rows]
