"""HTML pages of the stay: the ward board of the day, the bedside check (GO / NO-GO in
large text with the reasons), the administration form with its vital-signs rows, an
administration's page, admission, discharge and supporting-session buttons, and the
"Treatment" section of the patient's page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.clinic_time import clinic_today, clinic_wall_clock, clinic_zone
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, DomainError, InvalidInput, NotFound
from respira.kit.i18n import fmt_number
from respira.kit.marks import N_
from respira.kit.texts import Gettext
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import FieldProblem, Refused, clinic_moment, clinic_moments, parse
from respira.kit.web.routes import Call, Post, posts, see_other, uses
from respira.kit.web.templating import gettext_for, patient_banner, problem_text, request_lang
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut
from respira.products.schemas import CHAIN_EVENT_TEXT
from respira.protocols.schemas import MODALITY_LABELS
from respira.treatment import service
from respira.treatment.bedside import clinic_clock, reason_text
from respira.treatment.schemas import (
    PHASE_WORDS,
    PHASES,
    REACTIONS,
    ROUTE_LABELS,
    VITAL_LABELS,
    AdministrationIn,
    AdmissionIn,
    BedsideCheckIn,
    DischargeIn,
    SupportingSessionIn,
    VitalsIn,
)

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)

WARD = uses(PageAccess(*service.WARD_ROLES))
WARD_POST = posts(PageAccess(*service.WARD_ROLES))

# The words the pages show for stored codes, marked for translation (the templates show
# them with ``_()`` in the reader's language).
VITALS_LEGEND = {
    "before": N_("Vital signs before"),
    "during": N_("Vital signs during"),
    "after": N_("Vital signs after"),
}
# What the ward board's items say (``respira.treatment.ward`` writes them in English
# for the API), written from the items' structured fields in the reader's language.
_ITEM_LABEL = {
    "infusion": N_("IV infusion, day %(day)s"),
    "nebulisation": N_("Nebulisation, day %(day)s"),
}


def _day(value: str | None) -> dt.date:
    """The day asked for, or today on the clinic's calendar."""
    try:
        return dt.date.fromisoformat(value) if value else clinic_today()
    except ValueError:
        return clinic_today()


def _now_local_input() -> str:
    """Now on the clinic's wall clock, as a ``datetime-local`` field's value."""
    return clinic_wall_clock(utcnow())


def _item_label(item: Any, gettext: Gettext) -> str:
    """A ward board item's label in the reader's language."""
    if item.kind == "supporting" and item.modality:
        return gettext(MODALITY_LABELS.get(item.modality, item.label))
    msgid = _ITEM_LABEL.get(item.kind)
    return gettext(msgid) % {"day": item.day} if msgid and item.day is not None else item.label


_DOSE_TEXT = {
    "infusion": N_("%(dose)s ×10⁶ cells/kg"),
    "nebulisation": N_("%(dose)s ×10⁶ cells"),
}


def _item_dose(item: Any, gettext: Gettext, lang: str) -> str:
    """A ward board item's dose ("1 ×10⁶ cells/kg"), its number in the reader's way."""
    msgid = _DOSE_TEXT.get(item.kind)
    if msgid is None or item.dose_million_cells is None:
        return str(item.dose or "")
    return gettext(msgid) % {"dose": fmt_number(item.dose_million_cells, lang)}


def _item_detail(item: Any, gettext: Gettext) -> str:
    """A ward board item's detail (given when and by whom, done, skipped and why) in the
    reader's language."""
    if item.given_at is not None:
        text = gettext(N_("given %(time)s by %(name)s"))  # the clinic's time, its zone named
        return text % {"time": clinic_clock(item.given_at, "%H:%M"), "name": item.given_by}
    if item.skip_reason is not None:
        return gettext(N_("skipped: %(reason)s")) % {"reason": item.skip_reason}
    if item.kind == "supporting" and item.done:
        return gettext(N_("done"))
    return str(item.detail or "")


# --- the ward board -------------------------------------------------------------------


@router.get("/ward")
def ward_page(call: Call = uses(PageAccess(*service.BOARD_ROLES))) -> Response:
    query = call.request.query_params
    day = _day(query.get("day"))
    gettext = gettext_for(call.request)
    lang = request_lang(call.request)
    return call.render(
        "treatment/ward.html",
        {
            "board": service.ward_board(call.session, call.actor, day),
            "day": day,
            "prev_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "can_work": call.actor.role in service.WARD_ROLES,
            "now_input": _now_local_input(),
            "zone": clinic_zone(),
            "flash": query.get("done"),
            "error": query.get("error"),
            "item_label": lambda item: _item_label(item, gettext),
            "item_detail": lambda item: _item_detail(item, gettext),
            "item_dose": lambda item: _item_dose(item, gettext, lang),
        },
    )


def _back_to_ward(day: str | None, **params: str) -> RedirectResponse:
    query = urlencode({"day": _day(day).isoformat(), **params})
    return see_other(f"/ward?{query}")


# The fields of the board's buttons that a person fills in, by the words that name them
# in the board's error line (the others are the board's own hidden values).
_WARD_FIELD_LABELS = {
    "admitted_at": N_("Admitted at"),
    "note": N_("Discharge note"),
    "reason": N_("Reason"),
}


def _ward_error(request: Request, errors: Mapping[str, str]) -> str:
    """The board's error line in the reader's language: each problem of a button (a
    form that does not parse, a service's refusal) as a sentence for people, named by
    its field where a person fills that field in."""
    lang = request_lang(request)
    gettext = gettext_for(request)
    lines = []
    for field, problem in errors.items():
        text = problem_text(problem, lang)
        label = _WARD_FIELD_LABELS.get(field)
        lines.append(f"{gettext(label)}: {text}" if label else text)
    return "; ".join(lines)


def _on_the_ward(
    post: Post,
    schema: type[M],
    fields: tuple[str, ...],
    use_case: Callable[..., object],
    *ids: int,
    done: str,
    moments: tuple[str, ...] = (),
) -> RedirectResponse:
    """A button of the ward board: parse the form's ``fields`` (those in ``moments``
    typed on the clinic's wall clock), run ``use_case(session, actor, *ids, body)``, and
    go back to the board of the day with ``done`` or the errors in the reader's
    language (``_ward_error``)."""
    day = post.data.get("day")
    values = {k: post.data.get(k, "") for k in fields}
    problems = clinic_moments(values, *moments)
    if problems:
        return _back_to_ward(day, error=_ward_error(post.request, problems))
    body, errors = parse(schema, values)
    if body is None:
        return _back_to_ward(day, error=_ward_error(post.request, errors))
    outcome = post.attempt(
        lambda: use_case(post.session, post.actor, *ids, body),
        refusals=(Conflict, InvalidInput, NotFound),
    )
    if isinstance(outcome, Refused):
        return _back_to_ward(day, error=_ward_error(post.request, outcome.errors))
    return _back_to_ward(day, done=done)


@router.post("/patients/{patient_id}/admissions")
def admit(patient_id: int, post: Post = WARD_POST) -> Response:
    fields = ("course_id", "admitted_at")
    return _on_the_ward(
        post,
        AdmissionIn,
        fields,
        service.admit,
        patient_id,
        done=N_("Admitted."),
        moments=("admitted_at",),
    )


@router.post("/admissions/{admission_id}/discharge")
def discharge(admission_id: int, post: Post = WARD_POST) -> Response:
    return _on_the_ward(
        post,
        DischargeIn,
        ("note",),
        service.discharge,
        admission_id,
        done=N_("Discharged."),
    )


@router.post("/ward/supporting-sessions")
def supporting_session(post: Post = WARD_POST) -> Response:
    fields = ("course_id", "modality", "day", "reason", "done")
    return _on_the_ward(
        post,
        SupportingSessionIn,
        fields,
        service.record_supporting_session,
        done=N_("Session recorded."),
    )


# --- the bedside check ----------------------------------------------------------------


def _reasons(check: Any, gettext: Gettext, lang: str) -> list[str]:
    """A bedside check's stored reasons in the reader's language."""
    pairs = zip(check.reason_codes, check.reasons, strict=False)
    return [reason_text(code, text, gettext, lang) for code, text in pairs]


def _check_form(
    call: Call,
    form: dict[str, Any],
    refused: Refused | None = None,
    result: Any = None,
    next_link: str | None = None,
) -> Response:
    reasons: list[str] = []
    if result is not None:
        reasons = _reasons(result, gettext_for(call.request), request_lang(call.request))
    return call.render_form(
        "treatment/bedside_check.html",
        {"form": form, "result": result, "reasons": reasons, "next_link": next_link},
        refused,
    )


@router.get("/ward/bedside-check")
def bedside_check_form(call: Call = WARD) -> Response:
    return _check_form(call, {"patient_code": call.request.query_params.get("patient_code", "")})


@router.post("/ward/bedside-check")
def bedside_check(post: Post = WARD_POST) -> Response:
    form = {"patient_code": post.data.get("patient_code", ""), "din": post.data.get("din", "")}
    body, errors = parse(BedsideCheckIn, form)
    if body is None:
        return _check_form(post, form, Refused(errors, 422, False))
    outcome = post.attempt(
        lambda: service.check_at_bedside(post.session, post.actor, body),
        refusals=(service.MalformedDin,),
        message_field={service.MalformedDin: "din"},
    )
    if isinstance(outcome, Refused):
        message = outcome.errors.get("din", "")
        din_error = {"din": message.removeprefix("din: ")}
        return _check_form(post, form, Refused(din_error, outcome.status_code, outcome.stale))
    next_link = None
    if outcome.ok:
        next_link = "/ward/administrations/new?" + urlencode(
            {
                "din": outcome.din,
                "patient_id": outcome.patient_id,
                "course_id": outcome.course_id or "",
            }
        )
    return _check_form(post, {"patient_code": "", "din": ""}, None, outcome, next_link)


# --- administrations ------------------------------------------------------------------


def _admin_form(
    call: Call, patient: PatientOut | None, form: dict[str, Any], refused: Refused | None = None
) -> Response:
    ctx: dict[str, Any] = patient_banner(patient) if patient is not None else {"patient": None}
    errors = refused.errors if refused is not None else {}
    identity = errors.get("patient_id") or errors.get("course_id")  # hidden fields
    return call.render_form(
        "treatment/administration_form.html",
        {
            **ctx,
            "form": form,
            # in the reader's language: ``_()`` formats its values as they are
            "identity_error": problem_text(identity, request_lang(call.request))
            if identity
            else None,
            "phases": PHASES,
            "vital_labels": VITAL_LABELS,
            "reactions": REACTIONS,
            "routes": list(ROUTE_LABELS.items()),
            "vitals_legend": VITALS_LEGEND,
            "zone": clinic_zone(),
        },
        refused,
    )


def _patient_or_none(session: Session, actor: Actor, raw: str | None) -> PatientOut | None:
    try:
        return patients_service.get_patient(session, actor, int(raw or ""))
    except (ValueError, DomainError):
        return None


@router.get("/ward/administrations/new")
def administration_form(call: Call = WARD) -> Response:
    q = call.request.query_params
    patient = _patient_or_none(call.session, call.actor, q.get("patient_id"))
    now = _now_local_input()
    form = {
        "din": q.get("din", ""),
        "patient_id": q.get("patient_id", ""),
        "course_id": q.get("course_id", ""),
        "route": "iv",
        "started_at": now,
        "ended_at": now,
    }
    return _admin_form(call, patient, form)


def _vitals_rows(data: dict[str, str]) -> tuple[list[VitalsIn], dict[str, str]]:
    rows: list[VitalsIn] = []
    errors: dict[str, str] = {}
    for phase in PHASES:
        values = {name: data.get(f"{phase}-{name}", "") for name in VITAL_LABELS}
        if not any(v.strip() for v in values.values()):
            continue
        row, row_errors = parse(VitalsIn, {"phase": phase, **values})
        if row is not None:
            row_errors = row.problems()
        for name, message in row_errors.items():
            errors[f"{phase}-{name}"] = message
        if row is not None and not row_errors:
            rows.append(row)
    return rows, errors


@router.post("/ward/administrations")
def record_administration(post: Post = WARD_POST) -> Response:
    data = post.data
    patient = _patient_or_none(post.session, post.actor, data.get("patient_id"))
    form = dict(data)
    vitals, errors = _vitals_rows(data)
    reactions = [r for r in REACTIONS if data.get(f"reaction-{r}")]
    fields: dict[str, Any] = {
        k: data.get(k, "")
        for k in (
            "din",
            "patient_id",
            "course_id",
            "route",
            "started_at",
            "ended_at",
            "volume_ml",
            "rate_ml_per_h",
            "witness_email",
        )
    }
    fields["reaction_notes"] = data.get("reaction_notes") or None
    fields["reactions"] = reactions
    fields["vitals"] = [v.model_dump() for v in vitals]
    skipped: dict[str, FieldProblem] = {}  # wall-clock times that did not happen
    for name in ("started_at", "ended_at"):
        fields[name], problem = clinic_moment(name, fields[name])
        if problem is not None:
            skipped[name] = problem
            fields[name] = ""  # no moment: the schema's other rules have nothing to judge
    body, field_errors = parse(AdministrationIn, fields)
    errors.update({k: v for k, v in field_errors.items() if k != "vitals" or not errors})
    if body is not None:
        errors.update({k: v for k, v in body.problems().items() if not k.startswith("vitals.")})
    errors.update(skipped)
    if body is None or errors:
        return _admin_form(post, patient, form, Refused(errors, 422, False))
    outcome = post.attempt(
        lambda: service.record_administration(post.session, post.actor, body),
        refusals=(Conflict, InvalidInput, NotFound, service.MalformedDin),
        message_field={service.MalformedDin: "din", NotFound: "din"},
    )
    return post.answer(
        outcome,
        lambda refused: _admin_form(post, patient, form, refused),
        lambda administration: f"/administrations/{administration.id}?recorded=1",
    )


@router.get("/administrations/{administration_id}")
def administration_page(
    administration_id: int, call: Call = uses(PageAccess(*service.ADMINISTRATION_READ_ROLES))
) -> Response:
    record = service.get_administration(call.session, call.actor, administration_id)
    patient = patients_service.get_patient(call.session, call.actor, record.patient_id)
    return call.render(
        "treatment/administration.html",
        {
            **patient_banner(patient),
            "a": record,
            "vital_labels": VITAL_LABELS,
            "route_labels": ROUTE_LABELS,
            "phase_text": PHASE_WORDS,
            "flash": call.flash({"recorded": N_("Administration recorded.")}),
        },
    )


# --- the patient's page ---------------------------------------------------------------


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    if actor.role not in service.ADMINISTRATION_READ_ROLES:
        return None
    return {
        **service.patient_summary(session, actor, patient.id),
        "patient_id": patient.id,
        "route_labels": ROUTE_LABELS,
        "can_see_chain": actor.role in service.CHAIN_ROLES,
    }


# --- the patient's chain of identity --------------------------------------------------


@router.get("/patients/{patient_id}/chain-of-identity")
def chain_of_identity(
    patient_id: int, call: Call = uses(PageAccess(*service.CHAIN_ROLES))
) -> Response:
    """Every unit of the patient (of their harvests, or allocated to their courses) as
    one timeline each, read from the products step's ledger."""
    patient = patients_service.get_patient(call.session, call.actor, patient_id)
    chains = service.patient_chains(call.session, call.actor, patient_id)
    details = [e.detail for chain in chains for e in chain.events if e.kind == "bedside_check"]
    checks = service.checks_named(call.session, call.actor, details)
    gettext = gettext_for(call.request)
    lang = request_lang(call.request)
    return call.render(
        "treatment/chain.html",
        {
            **patient_banner(patient),
            "chains": chains,
            "words": {"event": CHAIN_EVENT_TEXT},
            "event_detail": lambda e: _event_detail(e, checks, gettext, lang),
        },
    )


# A bedside check's entry in the unit's ledger (stored in English), written from the
# check it names.
_CHECK_ENTRY = {
    True: N_("bedside check %(id)s: GO for patient %(code)s"),
    False: N_("bedside check %(id)s: NO-GO for patient %(code)s: %(reasons)s"),
}


def _event_detail(event: Any, checks: dict[int, Any], gettext: Gettext, lang: str) -> str:
    """An entry of a unit's ledger in the reader's language where the treatment step
    wrote it (a bedside check); as stored otherwise."""
    check = service.check_named(event.detail, checks) if event.kind == "bedside_check" else None
    if check is None:
        return str(event.detail or "")
    reasons = "; ".join(_reasons(check, gettext, lang))
    return gettext(_CHECK_ENTRY[check.ok]) % {
        "id": check.id,
        "code": check.patient_code,
        "reasons": reasons,
    }
