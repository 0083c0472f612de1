"""HTML pages of the registry exits: the "Follow-up exits" section of the patient's page
(the exits with their state, and the way to record one), the form that records an exit
and the form that retracts one, each shown again with its errors next to the fields."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.config import get_settings
from respira.kit.marks import N_
from respira.kit.texts import Msg, translate
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import GENERIC_MESSAGES, Refused
from respira.kit.web.routes import Call, Post, posts, uses
from respira.kit.web.templating import gettext_for, patient_banner
from respira.outcomes import service
from respira.outcomes.schemas import ExitIn, ExitRetractIn
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut

router = APIRouter(include_in_schema=False)
WRITE = uses(PageAccess(*service.EXIT_WRITE_ROLES))
WRITE_POST = posts(PageAccess(*service.EXIT_WRITE_ROLES))

KIND_LABELS = {
    "withdrawn": N_("Withdrew from follow-up"),
    "died": N_("Died"),
    "lost": N_("Lost to follow-up"),
}
# The schema's own messages, in words a person reads (and the catalogues translate).
FIELD_MESSAGES = {
    "kind": N_("Choose what happened."),
    "on_date": N_("Enter the day as a date."),
    "reason": N_("Say why, in at most 1000 characters."),
}


def clinic_moment(at: dt.datetime | None) -> tuple[dt.date, str, str] | None:
    """A stored moment as the clinic reads it: its day and time in the clinic's time
    zone, and the zone's name."""
    if at is None:
        return None
    zone = get_settings().clinic_timezone
    local = at.astimezone(ZoneInfo(zone))
    return local.date(), local.strftime("%H:%M"), zone


def _errors(call: Call, refused: Refused | None) -> dict[str, str]:
    if refused is None:
        return {}
    gettext = gettext_for(call.request)
    found: dict[str, str] = {}
    for field, message in refused.errors.items():
        # The form's own words for what the schema refused in general terms; a refusal
        # of the service (a day in the future) is kept as it was said.
        generic = not isinstance(message, Msg) or message.msgid in GENERIC_MESSAGES
        if generic and field in FIELD_MESSAGES and refused.status_code == 422:
            message = Msg(FIELD_MESSAGES[field])
        found[field] = translate(message, gettext)
    return found


def _page(
    call: Call,
    template: str,
    patient: Any,
    context: dict[str, Any],
    refused: Refused | None = None,
) -> Response:
    return call.render(
        template,
        {
            **patient_banner(patient),
            **context,
            "kind_labels": KIND_LABELS,
            "moment": clinic_moment,
            "errors": _errors(call, refused),
        },
        refused.status_code if refused else 200,
    )


@router.get("/patients/{patient_id}/registry-exits/new")
def record_form(patient_id: int, call: Call = WRITE) -> Response:
    patient = patients_service.get_patient(call.session, call.actor, patient_id)
    return _page(call, "outcomes/exit_form.html", patient, {"form": {}})


@router.post("/patients/{patient_id}/registry-exits")
def record_exit(patient_id: int, post: Post = WRITE_POST) -> Response:
    fields = {name: post.data.get(name, "") for name in ("kind", "on_date", "reason")}
    outcome = post.submit(ExitIn, fields, service.record_exit, patient_id)

    def again(refused: Refused) -> Response:
        patient = patients_service.get_patient(post.session, post.actor, patient_id)
        return _page(post, "outcomes/exit_form.html", patient, {"form": fields}, refused)

    return post.answer(outcome, again, f"/patients/{patient_id}#registry-exits")


def _retract_page(
    call: Call, exit_id: int, form: dict[str, str], refused: Refused | None
) -> Response:
    leaving = service.get_exit(call.session, call.actor, exit_id)
    patient = patients_service.get_patient(call.session, call.actor, leaving.patient_id)
    context = {"exit": leaving, "form": form}
    return _page(call, "outcomes/exit_retract.html", patient, context, refused)


@router.get("/registry-exits/{exit_id}/retract")
def retract_form(exit_id: int, call: Call = WRITE) -> Response:
    return _retract_page(call, exit_id, {}, None)


@router.post("/registry-exits/{exit_id}/retract")
def retract_exit(exit_id: int, post: Post = WRITE_POST) -> Response:
    fields = {"reason": post.data.get("reason", "")}
    outcome = post.submit(ExitRetractIn, fields, service.retract_exit, exit_id)
    return post.answer(
        outcome,
        lambda refused: _retract_page(post, exit_id, fields, refused),
        lambda out: f"/patients/{out.patient_id}#registry-exits",
    )


# --- the patient's page ---------------------------------------------------------------


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    """The section for staff who read exits, on the page of a patient with a treated
    course (or with an exit on record); hidden otherwise."""
    if actor.role not in service.EXIT_READ_ROLES:
        return None
    exits = service.list_exits(session, actor, patient.id)
    if not exits and not service.has_treated_course(session, patient.id):
        return None
    return {
        "patient_id": patient.id,
        "exits": exits,
        "can_record": actor.role in service.EXIT_WRITE_ROLES,
        "kind_labels": KIND_LABELS,
        "moment": clinic_moment,
    }
