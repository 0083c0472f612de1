"""Languages of the pages: message catalogues, locale negotiation and formatting.

Catalogues are gettext ``.po`` files under ``respira/kit/locale/<lang>/LC_MESSAGES/``
(the kit's and the first half's text) and, for a step that keeps its own, under
``respira/<step>/locale/<lang>/LC_MESSAGES/`` (extracted with Babel from the Python
code and the templates); a language's catalogues are merged, the kit's first. They are compiled in
memory the first time a language is used, so there is no build step and no ``.mo``
file to forget. English is the source language and needs no catalogue.

The language of a request is, in order: the ``lang`` query parameter, the
``respira_lang`` cookie set by the language switcher, the browser's
``Accept-Language`` header, English.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from respira.kit.marks import N_ as N_  # the extraction mark, for the steps' text

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


@lru_cache(maxsize=1)
def available_languages() -> tuple[str, ...]:
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (SOURCE_LANGUAGE, *[lang for lang in found if lang != SOURCE_LANGUAGE])


def language_name(lang: str) -> str:
    """The language's name in itself ("Deutsch", "русский")."""
    locale = Locale.parse(lang, sep="-")
    name = locale.get_display_name(locale) or lang
    return name[:1].upper() + name[1:]


STEPS_DIR = Path(__file__).parent.parent


def catalogue_files(lang: str) -> list[Path]:
    """The language's ``.po`` files: the kit's, then each step's that has one."""
    kit = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    steps = sorted(STEPS_DIR.glob(f"*/locale/{lang}/LC_MESSAGES/{DOMAIN}.po"))
    return [p for p in (kit, *steps) if p.exists()]


def read_catalogue(lang: str) -> Catalog:
    """The language's catalogues merged into one (a step's entry wins over the kit's)."""
    merged = Catalog(locale=lang, domain=DOMAIN)
    for path in catalogue_files(lang):
        with path.open("rb") as fh:
            part = read_po(fh, locale=lang, domain=DOMAIN)
        for message in part:
            if message.id:
                merged[message.id] = message
    return merged


@lru_cache(maxsize=16)
def translations(lang: str) -> NullTranslations:
    if lang == SOURCE_LANGUAGE or not catalogue_files(lang):
        return NullTranslations()
    buf = io.BytesIO()
    write_mo(buf, read_catalogue(lang), use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def parse_accept_language(header: str | None) -> list[str]:
    """Language ranges from an Accept-Language header, best first (RFC 9110 §12.5.4)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, i, tag.strip().lower()))
    return [tag for _q, _i, tag in sorted(ranked)]


def negotiate(query_lang: str | None, cookie_lang: str | None, accept: str | None) -> str:
    langs = available_languages()
    for candidate in (query_lang, cookie_lang):
        if candidate and candidate in langs:
            return candidate
    for tag in parse_accept_language(accept):
        primary = tag.split("-")[0]
        if primary in langs:
            return primary
    return SOURCE_LANGUAGE


def fmt_date(value: dt.date | None, lang: str) -> str:
    return "" if value is None else format_date(value, format="medium", locale=lang)


def fmt_datetime(value: dt.datetime | None, lang: str) -> str:
    if value is None:
        return ""
    return format_datetime(value, format="medium", tzinfo=dt.UTC, locale=lang) + " UTC"
