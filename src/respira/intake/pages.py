"""HTML pages of the intake step.

The public part (``/consultation``) is for patients: every word on it goes through the
message catalogues, including its validation messages and the pages that answer a
refused submission (rate limit, oversized body, expired form), which
``PublicPageRoute`` renders in the visitor's language instead of the staff-facing
generic error page. The triage part (``/consultation-requests``) is for coordinators
and admins.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_timedelta
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy.orm import Session

from respira.audit_trail import web as audit_words
from respira.intake import service
from respira.intake.http import PayloadTooLarge, rate_limit_for
from respira.intake.messages import CONSENT_TEXT, CONSENT_TEXT_VERSION, ERRORS, KIND_LABELS
from respira.intake.schemas import (
    CONTACT_TIME_MAX,
    DECLINE_REASON_MAX,
    DESCRIPTION_MAX,
    EMAIL_MAX,
    KINDS,
    NAME_MAX,
    NOTES_MAX,
    PHONE_INPUT_MAX,
    STATUSES,
    ConsultationRequestIn,
    ConsultationRequestOut,
    ConsultationRequestPatch,
    ConversionOut,
)
from respira.kit import audit, i18n, validation
from respira.kit.actors import Actor, Role
from respira.kit.errors import Forbidden, InvalidInput, RateLimited
from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess, Public
from respira.kit.web.forms import Refused, parse
from respira.kit.web.routes import Call, Post, posts, see_other, uses
from respira.kit.web.templating import gettext_for, render, request_lang
from respira.patients.schemas import PatientIn, PatientOut
from respira.patients.service import ProbableDuplicate
from respira.patients.web import duplicate_refusal, stated_distinct

TRIAGE = service.TRIAGE_ROLES
TRIAGE_PAGE = uses(PageAccess(*TRIAGE))
TRIAGE_POST = posts(PageAccess(*TRIAGE))
log = logging.getLogger("respira.intake")

# The honeypot: a field people never see (visually hidden, out of the tab order,
# hidden from assistive technology) but form-filling robots do fill in.
HONEYPOT = "website"
FORM_FIELDS = tuple(ConsultationRequestIn.model_fields)

# Languages offered for the clinic's reply, each named in itself. The API accepts any
# BCP 47 tag; the page offers the languages of the clinic's main countries.
LANGUAGE_CHOICES = (
    "en", "de", "ru", "uk", "kk", "pl", "fr", "es", "it", "pt", "tr", "ar", "he", "zh",
)  # fmt: skip


class PublicPageRoute(APIRoute):
    """A public page route whose refusals are answered in the visitor's language."""

    def get_route_handler(self) -> Any:
        handler = super().get_route_handler()

        async def translated(request: Request) -> Response:
            try:
                return await handler(request)
            except RateLimited as exc:
                return rate_limited_page(request, exc)
            except PayloadTooLarge:
                return public_error_page(request, 413, "too_large")
            except Forbidden:
                # The only refusal of a public form is its expired or missing token.
                return public_error_page(request, 403, "expired")

        return translated


public_router = APIRouter(include_in_schema=False, route_class=PublicPageRoute)
router = APIRouter(include_in_schema=False)


# --- the public form ------------------------------------------------------------------


def localized_countries(lang: str) -> list[tuple[str, str]]:
    """ISO 3166-1 countries named in the page's language, in alphabetical order."""
    return i18n.country_choices(lang)


def language_choices() -> list[tuple[str, str]]:
    return [(code, i18n.language_name(code)) for code in LANGUAGE_CHOICES]


def translated_errors(request: Request, exc: ValidationError) -> dict[str, str]:
    gettext = gettext_for(request)
    out: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "__all__"
        code = err["type"] if err["type"] in ERRORS else "not_text"
        params = err.get("ctx") or {}
        text: str = gettext(ERRORS[code])
        out.setdefault(field, text % params if params else text)
    return out


def _form_page(
    request: Request, form: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    gettext = gettext_for(request)
    lang = request_lang(request)
    return render(
        request,
        "intake/form.html",
        {
            "form": form,
            "errors": errors,
            "countries": localized_countries(lang),
            "language_choices": language_choices(),
            "kinds": [(k, gettext(KIND_LABELS[k])) for k in KINDS],
            "consent_text": gettext(CONSENT_TEXT),
            "consent_version": CONSENT_TEXT_VERSION,
            "honeypot": HONEYPOT,
            "limits": {
                "name": NAME_MAX,
                "email": EMAIL_MAX,
                "phone": PHONE_INPUT_MAX,
                "contact_time": CONTACT_TIME_MAX,
                "description": DESCRIPTION_MAX,
            },
        },
        status_code,
    )


@public_router.get("/consultation")
def consultation_form(call: Call = uses(Public())) -> Response:
    lang = request_lang(call.request)
    return _form_page(
        call.request,
        {"kind": "consultation", "preferred_language": lang if lang in LANGUAGE_CHOICES else ""},
        {},
    )


@public_router.post("/consultation")
def submit_consultation(post: Post = posts(Public(form=True))) -> Response:
    request, data = post.request, post.data
    rate = rate_limit_for(request)
    service.check_rate(post.session, rate)
    kind = data.get("kind") if data.get("kind") in KINDS else "consultation"
    if data.get(HONEYPOT, "").strip():
        log.info("consultation form: honeypot filled in; submission discarded")
        service.swallow_honeypot(post.session, rate)
        return see_other(f"/consultation/thanks?kind={kind}")
    values: dict[str, Any] = {f: data.get(f, "") for f in FORM_FIELDS}
    values["consent"] = data.get("consent") == "yes"
    try:
        body = ConsultationRequestIn.model_validate(values)
    except ValidationError as exc:
        form = {k: v for k, v in data.items() if k != HONEYPOT}
        return _form_page(request, form, translated_errors(request, exc), 422)
    language = request_lang(request)
    out = service.submit_request(post.session, body, rate=rate, channel="web", language=language)
    return see_other(f"/consultation/thanks?kind={body.kind}&ref={out.id}")


@public_router.get("/consultation/thanks")
def consultation_thanks(
    kind: str = Query(default="consultation", max_length=16),
    ref: int | None = Query(default=None, ge=1, le=2**31 - 1),
    call: Call = uses(Public()),
) -> Response:
    """The thank-you page, with the request's reference (its number on the staff pages)."""
    kind = kind if kind in KINDS else "consultation"
    return call.render("intake/thanks.html", {"kind": kind, "reference": ref})


def rate_limited_page(request: Request, exc: RateLimited) -> Response:
    lang = request_lang(request)
    # threshold 0.9: a wait of 54 minutes or more reads "in 1 hour", so that the page
    # does not say "60 minutes" when the window has one second less to run.
    wait = format_timedelta(
        dt.timedelta(seconds=exc.retry_after_s),
        threshold=0.9,
        add_direction=True,
        locale=lang,
    )
    return render(
        request,
        "intake/rate_limited.html",
        {"wait": wait},
        429,
        headers={"Retry-After": str(exc.retry_after_s)},
    )


def public_error_page(request: Request, status_code: int, problem: str) -> Response:
    return render(request, "intake/public_error.html", {"problem": problem}, status_code)


# --- triage ----------------------------------------------------------------------------

QUEUE_PAGE_SIZE = 25
STATUS_LABELS = {
    "new": N_("New"),
    "contacted": N_("Contacted"),
    "scheduled": N_("Scheduled"),
    "converted": N_("Converted to patient"),
    "declined": N_("Declined"),
}
ACTION_LABELS = {
    "contacted": N_("Mark as contacted"),
    "scheduled": N_("Mark as scheduled"),
    "declined": N_("Decline"),
}
STAFF_KIND_LABELS = {"consultation": N_("Online consultation"), "callback": N_("Call-back")}


def language_label(tag: str) -> str:
    """A BCP 47 tag named in its own language ("pt-BR" → "português (Brasil)"), or the
    tag itself when CLDR does not know it."""
    try:
        locale = Locale.parse(tag, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return tag
    return locale.get_display_name(locale) or tag


def _staff_context() -> dict[str, Any]:
    return {
        "language_label": language_label,
        "status_labels": STATUS_LABELS,
        "kind_labels": STAFF_KIND_LABELS,
        "country_names": validation.country_names(),
    }


def _queue_filter(
    status: str, country: str | None, language: str | None
) -> tuple[service.QueueFilter, dict[str, str]]:
    errors: dict[str, str] = {}
    if status == "open":
        statuses: tuple[str, ...] = service.OPEN_STATUSES
    elif status == "all":
        statuses = ()
    elif status in STATUSES:
        statuses = (status,)
    else:
        errors["status"] = N_("choose a status from the list")
        statuses = service.OPEN_STATUSES
    code = lang = None
    if country:
        try:
            code = validation.country_code(country)
        except ValueError as exc:
            errors["country"] = str(exc)
    if language:
        try:
            lang = validation.language_tag(language)
        except ValueError as exc:
            errors["language"] = str(exc)
    return service.QueueFilter(statuses=statuses, country=code, language=lang), errors


@router.get("/consultation-requests")
def queue_page(
    status: str = Query(default="open", max_length=16),
    country: str | None = Query(default=None, max_length=2),
    language: str | None = Query(default=None, max_length=35),
    page: int = Query(default=1, ge=1, le=100_000),
    call: Call = TRIAGE_PAGE,
) -> Response:
    flt, errors = _queue_filter(status, country, language)
    if errors:
        raise InvalidInput(errors)
    session, actor = call.session, call.actor
    result = service.list_requests(session, actor, flt, page, QUEUE_PAGE_SIZE)
    countries, languages = service.filter_options(session, actor)
    return call.render(
        "intake/queue.html",
        {
            **_staff_context(),
            "result": result,
            "duplicate_flags": service.contact_duplicates(session, result.items),
            "counts": service.status_counts(session, actor),
            "filters": {
                "status": status,
                "country": flt.country or "",
                "language": flt.language or "",
            },
            "country_options": countries,
            "language_options": languages,
        },
    )


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    who: str
    action: str
    changes: list[tuple[str, str]]
    reason: str | None


def _history(session: Session, request_id: int, gettext: Any) -> list[HistoryEntry]:
    """The request's audit records, as changed fields and their new values, with the
    fields, a status and the actor's role in the reader's words (the audit trail's)."""
    out = []
    for rec in audit.history(session, service.ENTITY, request_id):
        after = json.loads(rec.after) if rec.after and rec.action != "create" else {}
        changes = [
            (
                audit_words.field_label(service.ENTITY, field, gettext),
                _history_value(field, value, gettext),
            )
            for field, value in after.items()
        ]
        who = f"{rec.actor_name} ({audit_words.role_label(rec.actor_role, gettext)})"
        reason = rec.reason if rec.action == "convert" else None
        out.append(HistoryEntry(rec.at, who, rec.action, changes, reason))
    return out


def _history_value(field: str, value: Any, gettext: Any) -> str:
    if value is None:
        return "—"
    if field == "status" and value in STATUS_LABELS:
        return str(gettext(STATUS_LABELS[value]))
    return str(value)


def _detail(
    call: Call,
    req: ConsultationRequestOut,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
    flash: str | None = None,
) -> Response:
    actions = [s for s in ACTION_LABELS if service.can_transition(req.status, s)]
    return call.render(
        "intake/detail.html",
        {
            **_staff_context(),
            "req": req,
            "actions": actions,
            "action_labels": ACTION_LABELS,
            "can_convert": service.can_transition(req.status, "converted"),
            "history": _history(call.session, req.id, gettext_for(call.request)),
            "errors": errors or {},
            "form": form or {},
            "flash": flash,
            "limits": {"decline_reason": DECLINE_REASON_MAX, "notes": NOTES_MAX},
        },
        status_code,
    )


VERSION_MISSING = N_("The form is missing the request's version; reload the page.")
_FLASH = {
    "status": N_("Status changed."),
    "notes": N_("Notes saved."),
}


@router.get("/consultation-requests/{consultation_request_id}")
def detail_page(
    consultation_request_id: int,
    saved: str | None = Query(default=None, max_length=16),
    call: Call = TRIAGE_PAGE,
) -> Response:
    req = service.get_request(call.session, call.actor, consultation_request_id)
    return _detail(call, req, flash=_FLASH.get(saved or ""))


def _version(data: dict[str, str]) -> int | None:
    text = data.get("version", "")
    return int(text) if text.isdigit() else None


def _change(post: Post, request_id: int, fields: tuple[str, ...], what: str) -> Response:
    session, actor, data = post.session, post.actor, post.data
    values = {f: data[f] for f in fields if f in data}
    if "status" in values and values["status"] != "declined":
        values.pop("decline_reason", None)
    body, errors = parse(ConsultationRequestPatch, values)
    version = _version(data)
    if version is None:
        errors["__all__"] = gettext_for(post.request)(VERSION_MISSING)
    status_code = 422
    if body is not None and version is not None:
        outcome = post.attempt(
            lambda: service.update_request(session, actor, request_id, body, version)
        )
        if not isinstance(outcome, Refused):
            return see_other(f"/consultation-requests/{request_id}?saved={what}")
        errors, status_code = outcome.errors, outcome.status_code
    current = service.get_request(session, actor, request_id)
    return _detail(post, current, errors=errors, form=data, status_code=status_code)


@router.post("/consultation-requests/{consultation_request_id}/status")
def change_status(consultation_request_id: int, post: Post = TRIAGE_POST) -> Response:
    return _change(post, consultation_request_id, ("status", "decline_reason"), "status")


@router.post("/consultation-requests/{consultation_request_id}/notes")
def change_notes(consultation_request_id: int, post: Post = TRIAGE_POST) -> Response:
    return _change(post, consultation_request_id, ("notes",), "notes")


def _convert_page(
    call: Call,
    req: ConsultationRequestOut,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    version: int | str | None = None,
    **duplicates: Any,
) -> Response:
    return call.render(
        "intake/convert.html",
        {
            **_staff_context(),
            "req": req,
            "form": form,
            "errors": errors,
            "countries": validation.country_names(),
            "version": req.version if version is None else version,
            **duplicates,
        },
        status_code,
    )


def _convertible(req: ConsultationRequestOut) -> None:
    service.require_convertible(req.status, req.patient_id)


@router.get("/consultation-requests/{consultation_request_id}/convert")
def convert_form(consultation_request_id: int, call: Call = TRIAGE_PAGE) -> Response:
    req = service.get_request(call.session, call.actor, consultation_request_id)
    _convertible(req)
    values = service.conversion_form_values(call.session, call.actor, consultation_request_id)
    form = {k: ("" if v is None else v) for k, v in values.items()}
    return _convert_page(call, req, form, {})


@router.post("/consultation-requests/{consultation_request_id}/convert")
def convert(consultation_request_id: int, post: Post = TRIAGE_POST) -> Response:
    session, actor, data = post.session, post.actor, post.data
    req = service.get_request(session, actor, consultation_request_id)
    version = _version(data)
    reason = data.get("reason", "").strip()[:500] or None
    body, errors = parse(PatientIn, {k: data.get(k, "") for k in PatientIn.model_fields})
    if version is None:
        errors["__all__"] = gettext_for(post.request)(VERSION_MISSING)
    if body is None or version is None:
        return _convert_page(post, req, data, errors, 422, data.get("version", ""))
    stated = stated_distinct(data)

    def use_case() -> ConversionOut | ProbableDuplicate:
        try:
            return service.convert_to_patient(
                session, actor, consultation_request_id, body, version, reason=reason,
                not_a_duplicate_of=stated,
            )  # fmt: skip
        except ProbableDuplicate as exc:  # shown with its candidates, not as a refusal
            return exc

    outcome = post.attempt(use_case)
    if isinstance(outcome, ProbableDuplicate):
        refused, shown = duplicate_refusal(post, outcome)
        return _convert_page(post, req, data, refused.errors, 409, version, **shown)
    if isinstance(outcome, Refused):
        current = service.get_request(session, actor, consultation_request_id)
        return _convert_page(post, current, data, outcome.errors, outcome.status_code, version)
    return see_other(f"/patients/{outcome.patient.id}?created=1")


# --- the patient's page: where the patient came from -----------------------------------


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    origin = service.request_for_patient(session, patient.id)
    if origin is None:
        return None
    return {
        "language_label": language_label,
        "origin": origin,
        "kind_label": STAFF_KIND_LABELS[origin.kind],
        "show_link": actor.role in TRIAGE,
        "show_notes": actor.role in TRIAGE or actor.role == Role.PHYSICIAN,
    }
