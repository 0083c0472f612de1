"""HTML pages of adverse events: the record form (choose the CTCAE term, then grade it
with that term's grade definitions in view — a two-step form, no script), the event's
page (its reporting clock, its reports and the signing form, acknowledgement,
correction, retraction, history), the correction form, and the "Adverse events" section
of the patient's page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.clinic_time import clinic_today
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, Forbidden, InvalidInput
from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import (
    SIGNATURE_MESSAGES,
    SIGNATURE_REFUSALS,
    Call,
    Post,
    posts,
    uses,
)
from respira.kit.web.templating import gettext_for, patient_banner
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut
from respira.safety import labels, service
from respira.safety.schemas import AdverseEventIn, CorrectionIn, ReasonIn, ReportIn
from respira.treatment import service as treatment_service

router = APIRouter(include_in_schema=False)
REFUSALS = (Conflict, InvalidInput, Forbidden)
RECORD = uses(PageAccess(*service.RECORD_ROLES))
RECORD_POST = posts(PageAccess(*service.RECORD_ROLES))
READ = uses(PageAccess(*service.READ_ROLES))
SIGN_POST = posts(PageAccess(*service.SIGN_ROLES))
REPORT_POST = posts(PageAccess(*service.SIGN_ROLES), signature="password")
_EVENT_FORM_FIELDS = (
    "term",
    "grade",
    "onset_date",
    "resolution_date",
    "causality",
    "administration_id",
    "action",
    "outcome",
    "narrative",
)
DONE = {
    "recorded": N_("The adverse event was recorded."),
    "corrected": N_("The correction was saved with its reason."),
    "signed": N_("The report was signed."),
    "acknowledged": N_("The alert was acknowledged."),
    "retracted": N_("The record was retracted as entered in error."),
}


def page_with_form(
    call: Call,
    template: str,
    context: dict[str, Any],
    refused: Refused | None = None,
    form: Any = None,
    flashes: dict[str, str] | None = None,
) -> Response:
    """A page with a form: shown again after a refusal with its errors (and status), or
    after a redirect with the message of its ``?flag=1``."""
    return call.render(
        template,
        {
            **context,
            "errors": refused.errors if refused else {},
            "form": form or {},
            "flash": call.flash(flashes or {}),
        },
        refused.status_code if refused else 200,
    )


def vocabulary() -> dict[str, Any]:
    return {
        "criteria_labels": labels.CRITERIA,
        "causality_labels": labels.CAUSALITY,
        "causality_meanings": labels.CAUSALITY_MEANINGS,
        "outcome_labels": labels.OUTCOMES,
        "report_kinds": labels.REPORT_KINDS,
    }


# --- the record and correction form ---------------------------------------------------


def _event_form_data(data: dict[str, str]) -> dict[str, Any]:
    """The posted form as the schema's fields (criteria from their checkboxes)."""
    fields: dict[str, Any] = {k: data.get(k, "") for k in _EVENT_FORM_FIELDS}
    fields["serious_criteria"] = [c for c in service.SERIOUS_CRITERIA if data.get(f"criterion-{c}")]
    return fields


def _form_page(
    call: Call,
    patient: PatientOut,
    form: dict[str, Any],
    action: str,
    event: Any = None,
    refused: Refused | None = None,
) -> Response:
    """The record form (``event`` None) or the correction form, with a term chosen
    (``?term=``, or the posted or stored one) its grade definitions."""
    if "term" in call.request.query_params:
        form = {**form, "term": call.request.query_params["term"]}
    context = {
        **patient_banner(patient),
        **vocabulary(),
        "action": action,
        "event": event,
        "catalogue": service.ctcae(),
        "term": service.ctcae().term(str(form.get("term") or "")),
        "administrations": treatment_service.list_administrations(
            call.session, call.actor, patient.id
        ),
    }
    return page_with_form(call, "safety/event_form.html", context, refused, form)


@router.get("/patients/{patient_id}/adverse-events/new")
def record_form(patient_id: int, call: Call = RECORD) -> Response:
    patient = patients_service.get_patient(call.session, call.actor, patient_id)
    form = {
        "onset_date": clinic_today().isoformat(),
        "administration_id": call.request.query_params.get("administration_id", ""),
    }
    return _form_page(call, patient, form, f"/patients/{patient_id}/adverse-events")


@router.post("/patients/{patient_id}/adverse-events")
def record_event(patient_id: int, post: Post = RECORD_POST) -> Response:
    fields = _event_form_data(post.data)
    outcome = post.submit(AdverseEventIn, fields, service.record_event, patient_id)

    def again(refused: Refused) -> Response:
        patient = patients_service.get_patient(post.session, post.actor, patient_id)
        action = f"/patients/{patient_id}/adverse-events"
        return _form_page(post, patient, post.data, action, refused=refused)

    return post.answer(outcome, again, lambda e: f"/adverse-events/{e.id}?recorded=1")


def _correction_page(call: Call, event_id: int, form: Any, refused: Refused | None) -> Response:
    event = service.get_detail(call.session, call.actor, event_id)
    patient = patients_service.get_patient(call.session, call.actor, event.patient_id)
    if form is None:
        form = {k: getattr(event, k) for k in _EVENT_FORM_FIELDS}
        form.update({f"criterion-{c}": "on" for c in event.serious_criteria})
        form["version"] = event.version
    action = f"/adverse-events/{event_id}/correct"
    return _form_page(call, patient, form, action, event=event, refused=refused)


@router.get("/adverse-events/{event_id}/correct")
def correct_form(event_id: int, call: Call = RECORD) -> Response:
    return _correction_page(call, event_id, None, None)


@router.post("/adverse-events/{event_id}/correct")
def correct_event(event_id: int, post: Post = RECORD_POST) -> Response:
    fields = {**_event_form_data(post.data), "reason": post.data.get("reason", "")}
    version = post.data.get("version", "")
    outcome = post.submit(
        CorrectionIn,
        fields,
        lambda session, actor, body: service.correct_event(
            session, actor, event_id, body, int(version) if version.isdigit() else 0
        ),
    )
    return post.answer(
        outcome,
        lambda refused: _correction_page(post, event_id, post.data, refused),
        f"/adverse-events/{event_id}?corrected=1",
    )


# --- the event's page -----------------------------------------------------------------


def _clocks(event: Any) -> dict[str, Any]:
    """The initial and follow-up report countdowns of a serious event."""
    now = utcnow()
    out: dict[str, Any] = {"initial_clock": None, "follow_up_clock": None}
    for kind, due_at in (("initial", event.report_due_at), ("follow_up", event.follow_up_due_at)):
        if due_at is not None:
            met = next((r.signed_at for r in event.reports if r.kind == kind), None)
            out[f"{kind}_clock"] = service.countdown(due_at, now, met)
    return out


def _event_page(
    call: Call, event_id: int, refused: Refused | None = None, form: Any = None
) -> Response:
    event = service.get_detail(call.session, call.actor, event_id)
    patient = patients_service.get_patient(call.session, call.actor, event.patient_id)
    term = service.ctcae().term(event.term)
    role = call.actor.role
    context = {
        **patient_banner(patient),
        **vocabulary(),
        **_clocks(event),
        "e": event,
        "grade_definition": term.grades.get(event.grade) if term else None,
        "can_sign": role in service.SIGN_ROLES and not event.retracted,
        "can_correct": role in service.RECORD_ROLES and not event.retracted,
        "next_kind": "follow_up" if event.reports else "initial",
        # The signature's meaning is stored in English; the page says it in the reader's words.
        "meanings": {
            "initial": gettext_for(call.request)(service.INITIAL_MEANING),
            "follow_up": gettext_for(call.request)(service.FOLLOW_UP_MEANING),
        },
    }
    return page_with_form(call, "safety/event.html", context, refused, form, DONE)


@router.get("/adverse-events/{event_id}")
def event_page(event_id: int, call: Call = READ) -> Response:
    return _event_page(call, event_id)


@router.post("/adverse-events/{event_id}/reports")
def sign_report(event_id: int, post: Post = REPORT_POST) -> Response:
    outcome = post.submit(
        ReportIn,
        {k: post.data.get(k, "") for k in ("kind", "text", "password")},
        service.sign_report,
        event_id,
        refusals=SIGNATURE_REFUSALS,
        message_field=SIGNATURE_MESSAGES,
    )
    form = {"text": post.data.get("text", "")}
    return post.answer(
        outcome,
        lambda refused: _event_page(post, event_id, refused, form),
        f"/adverse-events/{event_id}?signed=1",
    )


@router.post("/adverse-events/{event_id}/acknowledge")
def acknowledge(event_id: int, post: Post = SIGN_POST) -> Response:
    outcome = post.attempt(
        lambda: service.acknowledge(post.session, post.actor, event_id), refusals=REFUSALS
    )
    return post.answer(
        outcome,
        lambda refused: _event_page(post, event_id, refused),
        f"/adverse-events/{event_id}?acknowledged=1",
    )


@router.post("/adverse-events/{event_id}/retract")
def retract(event_id: int, post: Post = SIGN_POST) -> Response:
    outcome = post.submit(
        ReasonIn,
        {"reason": post.data.get("reason", "")},
        lambda session, actor, body: service.retract_event(session, actor, event_id, body.reason),
        refusals=REFUSALS,
    )
    return post.answer(
        outcome,
        lambda refused: _event_page(post, event_id, refused),
        f"/adverse-events/{event_id}?retracted=1",
    )


# --- the patient's page ---------------------------------------------------------------


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    if actor.role not in service.READ_ROLES:
        return None
    return {
        "events": service.list_events(session, actor, patient.id),
        "patient_id": patient.id,
        "can_record": actor.role in service.RECORD_ROLES,
        "outcome_labels": labels.OUTCOMES,
    }
