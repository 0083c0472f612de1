"""Server-rendered pages: the Jinja environment, the navigation and ``render``.

The kit's own templates (``base.html``, ``_field.html``, ``error.html``) live in
``respira/kit/web/templates``; each step keeps its pages in its own
``templates/<step>/`` folder, and the app adds those folders and the navigation of all
steps with ``configure`` when it builds. Every page extends ``base.html``
(one layout: navigation by role, the signed-in user, the language switcher). Text
that a patient or visitor reads goes through ``_()`` so that Babel extracts it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup

from respira.kit import i18n, tokens, validation
from respira.kit.actors import Actor
from respira.kit.step import Nav

TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class Banner:
    """A notice at the top of every page for the users a step's banner provider picks
    (an unacknowledged serious adverse event for physicians): ``text`` the English
    message marked with ``N_`` and its ``params`` (the page shows it in the reader's
    language, ``text % params``), ``href`` where it is dealt with, ``level`` "alert"
    or "info"."""

    text: str
    href: str
    level: str = "alert"
    params: Mapping[str, Any] = field(default_factory=dict)


BannerProvider = Callable[[Any, Actor], list[Banner]]

_NAV: list[Nav] = []
_BANNERS: list[BannerProvider] = []


def configure(
    *,
    template_dirs: Sequence[Path],
    nav: Iterable[Nav],
    banners: Iterable[BannerProvider] = (),
) -> None:
    """Called by the app with what its steps declare: where their templates are (after
    the kit's own), their navigation entries and their banner providers (each called
    as ``fn(db, actor)`` for every page a signed-in user sees)."""
    env.loader = FileSystemLoader([str(TEMPLATE_DIR), *(str(d) for d in template_dirs)])
    _NAV[:] = sorted(nav, key=lambda item: (item.order, item.label))
    _BANNERS[:] = list(banners)


def banners_for(request: Request, actor: Actor | None) -> list[Banner]:
    if actor is None or actor.user_id is None or not _BANNERS:
        return []
    db = request.app.state.db
    return [banner for provider in _BANNERS for banner in provider(db, actor)]


def nav_for(actor: Actor | None) -> list[Nav]:
    if actor is None or actor.user_id is None:
        return []
    return [item for item in _NAV if actor.role in item.roles]


def request_lang(request: Request) -> str:
    lang = getattr(request.state, "lang", None)
    if lang is None:
        lang = i18n.negotiate(
            request.query_params.get("lang"),
            request.cookies.get(tokens.LANG_COOKIE),
            request.headers.get("accept-language"),
        )
        request.state.lang = lang
    return lang


def gettext_for(request: Request) -> Any:
    return i18n.translations(request_lang(request)).gettext


@pass_context
def _gettext(ctx: Any, message: str, **params: Any) -> str:
    text: str = gettext_for(ctx["request"])(message)
    return text % params if params else text


@pass_context
def _csrf_token(ctx: Any) -> str:
    request: Request = ctx["request"]
    seed = (
        getattr(request.state, "csrf_seed", None)
        or request.cookies.get(tokens.ANON_COOKIE)
        or getattr(request.state, "anon_nonce", None)
    )
    return tokens.csrf_token(seed) if seed else ""


@pass_context
def _csrf_field(ctx: Any) -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(_csrf_token(ctx))


@pass_context
def _fmt_date(ctx: Any, value: Any) -> str:
    return i18n.fmt_date(value, request_lang(ctx["request"]))


@pass_context
def _fmt_datetime(ctx: Any, value: Any) -> str:
    return i18n.fmt_datetime(value, request_lang(ctx["request"]))


def _build_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        _=_gettext,
        csrf_token=_csrf_token,
        csrf_field=_csrf_field,
        fmt_date=_fmt_date,
        fmt_datetime=_fmt_datetime,
        language_name=i18n.language_name,
    )
    return env


env = _build_env()


def patient_banner(patient: Any) -> dict[str, Any]:
    """What every patient page shows at the top (``patients/_banner.html``): name, age
    and record number of a patient (anything with the patient's fields)."""
    return {
        "patient": patient,
        "age": validation.age_years(patient.date_of_birth, validation.today_utc()),
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    actor: Actor | None = getattr(request.state, "actor", None)
    lang = request_lang(request)
    ctx = {
        "request": request,
        "actor": actor,
        "nav": nav_for(actor),
        "banners": banners_for(request, actor),
        "lang": lang,
        "languages": i18n.available_languages(),
        "path": request.url.path,
        **(context or {}),
    }
    html = env.get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["content-language"] = lang
    return response
