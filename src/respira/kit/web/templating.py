"""Server-rendered pages: the Jinja environment, the navigation and ``render``.

The kit's own templates (``base.html``, ``_field.html``, ``error.html``) live in
``respira/kit/web/templates``; each step keeps its pages in its own
``templates/<step>/`` folder, and the app adds those folders and the navigation of all
steps with ``configure`` when it builds. Every page extends ``base.html``
(one layout: navigation by role, the signed-in user, the language switcher). Text
that a patient or visitor reads goes through ``_()`` so that Babel extracts it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import (
    Environment,
    FileSystemLoader,
    TemplateNotFound,
    nodes,
    pass_context,
    select_autoescape,
)
from markupsafe import Markup

from respira.kit import clinic_time, i18n, tokens, validation
from respira.kit.actors import ROLE_WORDS, Actor
from respira.kit.marks import N_
from respira.kit.step import Nav
from respira.kit.texts import SHIPPED_AUTHORS, Msg, Msgs, translate

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
    field_labels.cache_clear()
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
    """``_()`` in a template; in a macro imported without the page's context (the
    pager), in the language of the page being rendered."""
    request = ctx.get("request")
    if request is not None:
        gettext: Callable[[str], str] = gettext_for(request)
    else:
        rendering = _RENDERING.get()
        lang = rendering[0] if rendering else i18n.SOURCE_LANGUAGE
        gettext = i18n.translations(lang).gettext
    text: str = gettext(message)
    if not params:
        return text
    # A value that is itself a message (a FieldProblem, a Msg) is filled in translated,
    # not as its English text.
    return text % {k: translate(v, gettext) if isinstance(v, Msg) else v for k, v in params.items()}


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


@pass_context
def _fmt_number(ctx: Any, value: Any, digits: int | None = None) -> str:
    return i18n.fmt_number(value, request_lang(ctx["request"]), digits)


@pass_context
def _author(ctx: Any, name: str | None) -> str:
    """Who made a record: Respira's own name for what it ships in the page's language
    (``texts.SHIPPED_AUTHORS``), a person's name as written."""
    if not name:
        return ""
    if name in SHIPPED_AUTHORS:
        return i18n.translations(request_lang(ctx["request"])).gettext(name)
    return name


@pass_context
def _country_name(ctx: Any, code: str | None) -> str:
    """A country's name in the page's language (the code when CLDR has none)."""
    return "" if not code else i18n.country_name(code, request_lang(ctx["request"]))


@pass_context
def _language_options(ctx: Any, current: str | None = None) -> list[tuple[str, str]]:
    """The languages a person can prefer, named and sorted in the page's language."""
    return i18n.language_choices(request_lang(ctx["request"]), current or None)


@pass_context
def _country_options(ctx: Any) -> list[tuple[str, str]]:
    """The countries, named and sorted in the page's language."""
    return i18n.country_choices(request_lang(ctx["request"]))


@pass_context
def _language_label(ctx: Any, code: str | None) -> str:
    return "" if not code else i18n.language_label(code, request_lang(ctx["request"]))


# --- errors on forms, in the reader's language and named by the page's labels -------

# The language and the template of the page being rendered (``render``), so that a form's
# ``FieldProblem`` shows itself in the reader's language wherever a template writes it.
_RENDERING: ContextVar[tuple[str, str] | None] = ContextVar("respira_rendering", default=None)

# The macros that draw a labelled input, called as ``macro(name, label, ...)``.
_LABELLED = re.compile(r"^(field|select|textarea|checkbox|radios?|choice|\w+_select|\w+_field)$")
_NAME = re.compile(r"^[A-Za-z_][\w.\-]*$")
_LABEL_TAG = re.compile(
    r'<label[^>]*\bfor="f-([\w.\-]+)"[^>]*>\s*(?:\{\{\s*_\(\s*"([^"]+)"\s*\)\s*\}\}|([^<{]+?))\s*<',
)


def _constant_text(node: nodes.Node) -> str | None:
    """A label written as a constant: ``"Height"`` or ``_("Height")``."""
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return node.value
    if (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name == "_"
        and node.args
        and isinstance(node.args[0], nodes.Const)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value
    return None


def _template_sources(name: str, seen: set[str]) -> Iterator[tuple[str, nodes.Template]]:
    """The template, and the templates it extends, includes and imports (by constant
    name), each once, with their sources."""
    if name in seen or env.loader is None:
        return
    seen.add(name)
    try:
        source, _filename, _uptodate = env.loader.get_source(env, name)
    except TemplateNotFound:
        return
    tree = env.parse(source)
    yield source, tree
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        template = getattr(node, "template", None)
        if isinstance(template, nodes.Const) and isinstance(template.value, str):
            yield from _template_sources(template.value, seen)


@lru_cache(maxsize=512)
def field_labels(template: str) -> dict[str, str]:
    """The labels of a page's fields, by field name, in English (as message ids), read
    from the template and those it includes: the label given to a field macro
    (``field("date_of_birth", _("Date of birth"), ...)``) or written in a ``<label
    for="f-name">``. The box above a refused form names each field by it."""
    labels: dict[str, str] = {}
    for source, tree in _template_sources(template, set()):
        for call in tree.find_all(nodes.Call):
            if not (isinstance(call.node, nodes.Name) and _LABELLED.match(call.node.name)):
                continue
            if len(call.args) < 2:
                continue
            name = _constant_text(call.args[0])
            label = _constant_text(call.args[1])
            if name and label and _NAME.match(name):
                labels.setdefault(name, label)
        for m in _LABEL_TAG.finditer(source):
            text = (m.group(2) or m.group(3) or "").strip()
            if text:
                labels.setdefault(m.group(1), text)
    return labels


def problem_text(problem: str, lang: str) -> str:
    """An error message in ``lang``: a ``Msg`` (``FieldProblem``) translated with its
    numbers written in the language's way and its ``Msg`` parameters (a status word)
    translated too; other text through the catalogue as it is."""
    gettext = i18n.translations(lang).gettext
    if isinstance(problem, Msgs):
        return problem.separator.join(problem_text(item, lang) for item in problem.items)
    if isinstance(problem, Msg):
        text: str = gettext(problem.msgid)
        if not problem.params:
            return text
        params = {
            k: problem_text(v, lang)
            if isinstance(v, Msg)
            else i18n.fmt_number(v, lang)
            if isinstance(v, int | float)
            else v
            for k, v in problem.params.items()
        }
        return text % params
    return str(gettext(str(problem)))


def current_problem_text(problem: str) -> str:
    """``problem_text`` in the language of the page being rendered (English elsewhere)."""
    rendering = _RENDERING.get()
    return problem_text(problem, rendering[0] if rendering else i18n.SOURCE_LANGUAGE)


_ROW_NUMBER = re.compile(r"[._ ]?\d+$")
UNLABELLED_FIELD = N_("Entry")


def field_label(field_name: str, lang: str, template: str | None) -> str:
    """The words naming a field in ``lang``: its label on the page (``field_labels``) —
    for a field of a list or a group ("items.0.price", "retract_markers_37") the label
    of the list or group —, else its name in words where the catalogue translates them
    ("Patient id"), else, in a language other than English, the kit's "Entry"."""
    gettext = i18n.translations(lang).gettext
    labels = field_labels(template) if template else {}
    for name in (field_name, field_name.split(".")[0], _ROW_NUMBER.sub("", field_name)):
        if labels.get(name):
            return str(gettext(labels[name]))
    words = _ROW_NUMBER.sub("", field_name.split(".")[0]).replace("_", " ").strip()
    words = words[:1].upper() + words[1:]
    if lang == i18n.SOURCE_LANGUAGE:
        return field_name.replace("_", " ")
    translated = str(gettext(words)) if words else words
    return translated if words and translated != words else str(gettext(UNLABELLED_FIELD))


def labelled_problem(field_name: str, problem: str, lang: str, template: str | None) -> str:
    """An error as the box above a form lists it: the field's label on the page, then
    the message ("Date of birth: enter a full date, for example 1980-03-14."); a field
    the page does not label (``field_label``) is named by its name in words in English
    and, in another language, by those words when the catalogue has them, else by
    "Entry" in that language, never by English words."""
    text = problem_text(problem, lang)
    if field_name == "__all__":
        return text
    label = field_label(field_name, lang, template).rstrip(" :")
    if lang != "de" and text[:1].isupper() and not text[1:2].isupper():
        text = text[:1].lower() + text[1:]  # German keeps the capital of a sentence
    return f"{label[:1].upper()}{label[1:]}: {text}"


@pass_context
def _field_error(ctx: Any, field_name: str, problem: str) -> str:
    rendering = _RENDERING.get()
    template = rendering[1] if rendering else None
    return labelled_problem(field_name, problem, request_lang(ctx["request"]), template)


@pass_context
def _error_text(ctx: Any, problem: str) -> str:
    return problem_text(problem, request_lang(ctx["request"]))


@contextmanager
def rendering(lang: str, template: str) -> Iterator[None]:
    """While a page renders: its language and template, for ``FieldProblem``."""
    token = _RENDERING.set((lang, template))
    try:
        yield
    finally:
        _RENDERING.reset(token)


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
        fmt_number=_fmt_number,
        language_name=i18n.language_name,
        language_choices=_language_options,
        country_choices=_country_options,
        field_error=_field_error,
        error_text=_error_text,
        role_words=ROLE_WORDS,
        # The clinic's IANA zone, for the hint of a time typed on its wall clock.
        clinic_zone=clinic_time.clinic_zone,
    )
    # The same formatters as filters: ``{{ row.created_at|fmt_datetime }}``. They and
    # ``_()`` read one language, the request's (``request_lang``), so that a page's text
    # and its dates and numbers never differ in language.
    env.filters.update(
        fmt_date=_fmt_date,
        fmt_datetime=_fmt_datetime,
        fmt_number=_fmt_number,
        language_label=_language_label,
        country_name=_country_name,
        author=_author,
    )
    return env


env = _build_env()


def patient_banner(patient: Any) -> dict[str, Any]:
    """What every patient page shows at the top (``patients/_banner.html``): name, age
    and record number of a patient (anything with the patient's fields)."""
    return {
        "patient": patient,
        "age": validation.age_years(patient.date_of_birth, clinic_time.clinic_today()),
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
    with rendering(lang, template):
        html = env.get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["content-language"] = lang
    return response
