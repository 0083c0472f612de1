"""Routes of the shell itself: the home page, the language switcher, the favicon and
the health check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from respira.accounts.pages import safe_next
from respira.app import steps
from respira.kit import i18n
from respira.kit.actors import Actor
from respira.kit.db import Database
from respira.kit.step import WorkItem
from respira.kit.web.deps import Public
from respira.kit.web.http import remember_language
from respira.kit.web.routes import Call, uses
from respira.kit.web.templating import TEMPLATE_DIR, gettext_for, nav_for, request_lang

router = APIRouter(include_in_schema=False)

WorklistProvider = Callable[[Session, Actor], list[WorkItem]]
# Items are shown most urgent first, and in the order of the road within an urgency.
URGENCY_ORDER = {"overdue": 0, "attention": 1, "normal": 2}


def worklist(
    session: Session, actor: Actor, providers: Iterable[WorklistProvider] | None = None
) -> list[WorkItem]:
    """The actor's worklist from every step's providers (``Step.worklists``), all read
    in one read transaction so that its counts agree with each other and with the rows
    listed, whatever is committed meanwhile: on SQLite a read transaction sees one
    snapshot of the database; on PostgreSQL the transaction is made REPEATABLE READ
    (READ ONLY) for it, where READ COMMITTED would give each query its own snapshot."""
    if actor.user_id is None:
        return []
    if session.get_bind().dialect.name == "postgresql":
        session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
    found = [
        item
        for provider in (steps.load().worklists() if providers is None else providers)
        for item in provider(session, actor)
    ]
    return sorted(found, key=lambda item: URGENCY_ORDER.get(item.urgency, len(URGENCY_ORDER)))


@dataclass(frozen=True)
class ShownRow:
    text: str
    note: str
    href: str
    urgency: str


@dataclass(frozen=True)
class ShownItem:
    label: str
    count: int
    href: str | None
    urgency: str
    rows: list[ShownRow]
    more: int


def shown(items: Iterable[WorkItem], request: Request) -> list[ShownItem]:
    """The items in the reader's language, their dates, times and numbers in the
    reader's locale (times in the clinic's time zone); a tuple among the parameters is
    a list of marked words."""
    lang = request_lang(request)
    gettext = gettext_for(request)

    def value(v: Any) -> str:
        if isinstance(v, dt.datetime):
            return i18n.fmt_datetime(v, lang)
        if isinstance(v, dt.date):
            return i18n.fmt_date(v, lang)
        if isinstance(v, int | float | Decimal) and not isinstance(v, bool):
            return i18n.fmt_number(v, lang)
        if isinstance(v, tuple | list):
            return ", ".join(gettext(word) for word in v)
        return str(v)

    def say(text: str, params: Mapping[str, Any]) -> str:
        if not text:
            return ""
        translated: str = gettext(text)
        return translated % {k: value(v) for k, v in params.items()} if params else translated

    return [
        ShownItem(
            label=say(item.label, item.params),
            count=item.count,
            href=item.href,
            urgency=item.urgency,
            rows=[ShownRow(r.text, say(r.note, r.params), r.href, r.urgency) for r in item.rows],
            more=max(0, item.count - len(item.rows)),
        )
        for item in items
    ]


@router.get("/")
def home(call: Call = uses(Public())) -> Response:
    """The start page: for a signed-in user the worklist of their role (and the pages of
    their role when it has no worklist); the clinic's public start page otherwise."""
    work = shown(worklist(call.session, call.actor), call.request)
    return call.render("home.html", {"links": nav_for(call.actor), "work": work})


@router.get("/language")
def switch_language(
    lang: str = Query(max_length=16),
    next: str = Query(default="/", max_length=500),
    _: Actor = Depends(Public(api=True)),
) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in i18n.available_languages():
        remember_language(response, lang)
    return response


FAVICON = TEMPLATE_DIR.parent / "static" / "favicon.ico"


@router.get("/favicon.ico")
def favicon(_: Actor = Depends(Public(api=True))) -> Response:
    """The icon browsers ask for at the site's root, by convention; pages link the
    cacheable copies under ``/static/`` (``favicon.svg``, ``favicon.ico``)."""
    return FileResponse(FAVICON, media_type="image/x-icon")


@router.get("/healthz")
def healthz(request: Request, _: Actor = Depends(Public(api=True))) -> Response:
    db: Database = request.app.state.db
    try:
        db.ping()
    except (SQLAlchemyError, OSError):
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
