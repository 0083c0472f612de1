"""The audit trail for administrators: ``GET /api/v1/audit`` and the ``/audit`` page,
filtered (patient, user, kind of record, action, date range) and paged by ``seq``; the
CSV export of the filtered trail (``/audit/export``, ``/api/v1/audit/export``), itself
audited; and the patient page's "who looked at this record" section."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy.orm import Session

from respira.accounts import service as accounts_service
from respira.audit_trail import describe, service
from respira.kit.actors import Actor, Role
from respira.kit.clinic_time import clinic_zone
from respira.kit.errors import Forbidden, InvalidInput
from respira.kit.i18n import translations
from respira.kit.marks import N_
from respira.kit.web.deps import ApiAccess, PageAccess
from respira.kit.web.routes import Call, uses
from respira.kit.web.templating import gettext_for, request_lang

api = APIRouter(prefix="/api/v1/audit", tags=["audit"])
pages = APIRouter(include_in_schema=False)

RECENT_LIMIT = 50
PAGE_LIMIT = 200
MAX_LIMIT = 1000


class AuditRecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: dt.datetime
    actor_id: int | None
    actor_role: str
    actor_name: str
    entity_type: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    hash: str
    prev_hash: str
    description: str = ""

    @field_validator("before", "after", mode="before")
    @classmethod
    def _decoded(cls, value: object) -> object:
        """The stored JSON text of a record's before/after (an empty text is none)."""
        if isinstance(value, str):
            return json.loads(value) if value else None
        return value


def _english(message: str) -> str:
    return message


def _api_filters(
    patient_id: int | None,
    actor_id: int | None,
    entity_type: str | None,
    entity_id: str | None,
    action: str | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> service.Filters:
    return service.Filters(
        patient_id=patient_id,
        actor_id=actor_id,
        entity_type=entity_type or None,
        entity_id=entity_id or None,
        action=action or None,
        date_from=date_from,
        date_to=date_to,
    )


@api.get("", response_model=list[AuditRecordOut])
def audit_trail(
    entity_type: str | None = Query(default=None, min_length=1, max_length=64),
    entity_id: str | None = Query(default=None, min_length=1, max_length=64),
    patient_id: int | None = Query(default=None, ge=1, description="the records of a patient"),
    actor_id: int | None = Query(default=None, ge=1, description="the records of a user"),
    action: str | None = Query(default=None, min_length=1, max_length=32),
    date_from: dt.date | None = Query(default=None, description="first day (clinic's calendar)"),
    date_to: dt.date | None = Query(default=None, description="last day (clinic's calendar)"),
    after_seq: int = Query(default=0, ge=0, description="an entity's history: after this seq"),
    before_seq: int | None = Query(default=None, ge=1, description="newest first: below this"),
    limit: int = Query(default=PAGE_LIMIT, ge=1, le=MAX_LIMIT),
    call: Call = uses(ApiAccess(Role.ADMIN)),
) -> list[AuditRecordOut]:
    """The trail, filtered: an entity's history (``entity_type`` and ``entity_id``) oldest
    first from ``after_seq``; otherwise newest first below ``before_seq``. ``limit``
    records at a time; when more follow, a ``Link: <…>; rel="next"`` header names the
    next page. Each record carries a ``description`` in English ("Date of birth:
    1980-03-14 → 1980-03-15")."""
    filters = _api_filters(patient_id, actor_id, entity_type, entity_id, action, date_from, date_to)
    if filters.patient_id is not None:
        service.catch_up_links(call.request.app.state.db)
    found = service.page(
        call.session, call.actor, filters, after_seq=after_seq, before_seq=before_seq, limit=limit
    )
    if found.next_seq is not None:
        key = "after_seq" if filters.history else "before_seq"
        nxt = call.request.url.include_query_params(**{key: found.next_seq})
        call.response.headers["Link"] = f'<{nxt.path}?{nxt.query}>; rel="next"'
    entries = service.describe_page(call.session, found.records, _english, "en")
    return [
        AuditRecordOut.model_validate(r).model_copy(update={"description": _line(e)})
        for r, e in zip(found.records, entries, strict=True)
    ]


def _line(entry: describe.Entry) -> str:
    return "; ".join([entry.summary, *(describe.change_line(c) for c in entry.changes)])


def _csv_response(call: Call, filters: service.Filters, gettext: Any, lang: str) -> Response:
    with call.request.app.state.db.transaction() as session:
        service.record_export(session, call.actor, filters)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    rows = service.export_rows(call.request.app.state.db, call.actor, filters, gettext, lang)
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-trail-{stamp}.csv"'},
    )


@api.get("/export")
def export_api(
    entity_type: str | None = Query(default=None, min_length=1, max_length=64),
    entity_id: str | None = Query(default=None, min_length=1, max_length=64),
    patient_id: int | None = Query(default=None, ge=1),
    actor_id: int | None = Query(default=None, ge=1),
    action: str | None = Query(default=None, min_length=1, max_length=32),
    date_from: dt.date | None = Query(default=None),
    date_to: dt.date | None = Query(default=None),
    call: Call = uses(ApiAccess(Role.ADMIN)),
) -> Response:
    """The filtered trail as CSV (streamed); the export is itself an audit record."""
    filters = _api_filters(patient_id, actor_id, entity_type, entity_id, action, date_from, date_to)
    if filters.patient_id is not None:
        service.catch_up_links(call.request.app.state.db)
    return _csv_response(call, filters, _english, "en")


# --- the page ----------------------------------------------------------------------


def _page_filters(params: dict[str, str]) -> tuple[service.Filters, dict[str, str]]:
    """The page's filters from its query string; a value a person mistyped is named
    next to its field instead of answering 422."""
    errors: dict[str, str] = {}

    def number(name: str) -> int | None:
        raw = params.get(name, "").strip()
        if not raw:
            return None
        if raw.isdigit() and int(raw) > 0:
            return int(raw)
        errors[name] = N_("enter a number, e.g. 17")
        return None

    def day(name: str) -> dt.date | None:
        raw = params.get(name, "").strip()
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            errors[name] = N_("enter a full date, e.g. 2026-03-14")
            return None

    def text(name: str, length: int) -> str | None:
        return params.get(name, "").strip()[:length] or None

    values = {
        "patient_id": number("patient_id"),
        "actor_id": number("actor_id"),
        "entity_type": text("entity_type", 64),
        "entity_id": text("entity_id", 64),
        "action": text("action", 32),
        "date_from": day("date_from"),
        "date_to": day("date_to"),
    }
    try:
        filters = service.Filters(**values)  # type: ignore[arg-type]
    except InvalidInput as refused:
        errors.update({k: str(v) for k, v in refused.errors.items()})
        filters = service.Filters()
    return filters, errors


def _staff(session: Session) -> list[Any]:
    return [u for u in accounts_service.list_users(session) if u.role != Role.PATIENT]


@pages.get("/audit")
def audit_page(call: Call = uses(PageAccess(Role.ADMIN))) -> Response:
    params = dict(call.request.query_params)
    filters, errors = _page_filters(params)
    after_seq = int(params["after_seq"]) if params.get("after_seq", "").isdigit() else 0
    before_seq = int(params["before_seq"]) if params.get("before_seq", "").isdigit() else None
    if filters.patient_id is not None:
        service.catch_up_links(call.request.app.state.db)
    session = call.session
    limit = PAGE_LIMIT if filters.history else RECENT_LIMIT
    found = service.page(
        session, call.actor, filters, after_seq=after_seq, before_seq=before_seq, limit=limit
    )
    gettext = gettext_for(call.request)
    lang = request_lang(call.request)
    query = filters.active()
    next_key = "after_seq" if filters.history else "before_seq"
    return call.render(
        "audit/list.html",
        {
            "entries": service.describe_page(session, found.records, gettext, lang),
            "errors": {k: gettext(v) for k, v in errors.items()},
            "form": {k: params.get(k, "") for k in _FORM_FIELDS},
            "staff_options": [
                (u.id, f"{u.name} ({describe.role_label(u.role, gettext)})")
                for u in _staff(session)
            ],
            "kind_options": _options(describe.KINDS, gettext),
            "action_options": _options(describe.ACTIONS, gettext),
            "history": filters.history,
            "limit": limit,
            "next_seq": found.next_seq,
            "next_query": urlencode({**query, next_key: found.next_seq}),
            "paged": bool(after_seq or before_seq),
            "zone": clinic_zone(),
            "query": query,
        },
    )


def _options(labels: dict[str, str], gettext: Any) -> list[tuple[str, str]]:
    """A select's options: (value, label in the reader's language), sorted by label."""
    return sorted(((k, gettext(v)) for k, v in labels.items()), key=lambda kv: kv[1].casefold())


_FORM_FIELDS = (
    "patient_id",
    "actor_id",
    "entity_type",
    "entity_id",
    "action",
    "date_from",
    "date_to",
)


@pages.get("/audit/export")
def audit_export(call: Call = uses(PageAccess(Role.ADMIN))) -> Response:
    filters, errors = _page_filters(dict(call.request.query_params))
    if errors:
        raise InvalidInput(errors)
    if filters.patient_id is not None:
        service.catch_up_links(call.request.app.state.db)
    lang = request_lang(call.request)
    return _csv_response(call, filters, translations(lang).gettext, lang)


# --- the patient page's section: who looked at this record ---------------------------


def access_section(session: Session, actor: Actor, patient: Any) -> dict[str, Any] | None:
    """For the patient themself and for admins: who read this record, newest first."""
    if actor.role not in (Role.PATIENT, Role.ADMIN):
        return None
    found = service.accesses(session, actor, patient.id)
    return {
        "accesses": found,
        "patient_id": patient.id,
        "is_admin": actor.role == Role.ADMIN,
        "roles": describe.ROLES,
        "places": describe.PLACES,
        "place": describe.place_parts,
        "when": describe.when_text,
    }


@pages.get("/my/record-access")
def my_record_access(call: Call = uses(PageAccess(Role.PATIENT))) -> Response:
    """The patient's own page: who looked at my record."""
    patient_id = call.actor.patient_id
    if patient_id is None:  # a patient account always has its patient; defence in depth
        raise Forbidden("this account has no patient record")
    section = access_section(call.session, call.actor, SimpleNamespace(id=patient_id))
    return call.render("audit/my_access.html", {"section": section})
