"""Languages of the pages: message catalogues, locale negotiation and formatting.

Catalogues are gettext ``.po`` files under ``respira/kit/locale/<lang>/LC_MESSAGES/``
(the kit's and the first half's text) and, for a step that keeps its own, under
``respira/<step>/locale/<lang>/LC_MESSAGES/`` (extracted with Babel from the Python
code and the templates); a language's catalogues are merged, the kit's first. They are compiled in
memory the first time a language is used, so there is no build step and no ``.mo``
file to forget. English is the source language and needs no catalogue.

The language of a request is, in order: the ``lang`` query parameter, the
``respira_lang`` cookie set by the language switcher, the browser's
``Accept-Language`` header, English. The same language picks the page's text and the
way its dates and numbers are written (an English page never shows Russian month
names); times are shown in the clinic's time zone (``RESPIRA_CLINIC_TIMEZONE``), with
the zone named.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from respira.kit import validation
from respira.kit.config import get_settings
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


def _zone(zone: str | None) -> ZoneInfo:
    return ZoneInfo(zone or get_settings().clinic_timezone)


def _aware(value: dt.datetime) -> dt.datetime:
    """A stored moment as an aware datetime (a naive one is UTC, as Respira stores it)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def fmt_date(value: dt.date | dt.datetime | None, lang: str, zone: str | None = None) -> str:
    """A day in the language's way ("14 Mar 2026", "14.03.2026", "14 мар. 2026 г.");
    a moment (a datetime) is shown as its day in the clinic's time zone."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _aware(value).astimezone(_zone(zone)).date()
    return format_date(value, format="medium", locale=lang)


def fmt_datetime(value: dt.datetime | None, lang: str, zone: str | None = None) -> str:
    """A moment in the clinic's time zone (or ``zone``), in the language's way, with the
    zone named ("Mar 14, 2026, 10:20:00 AM CET")."""
    if value is None:
        return ""
    tz = _zone(zone)
    local = _aware(value).astimezone(tz)
    return f"{format_datetime(local, format='medium', tzinfo=tz, locale=lang)} {zone_label(local)}"


def zone_label(local: dt.datetime) -> str:
    """The zone of a local moment as people read it: its abbreviation ("CET", "MSK",
    "UTC"), or the offset from UTC where the zone has none ("UTC+04:00")."""
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def fmt_number(value: float | Decimal | None, lang: str, digits: int | None = None) -> str:
    """A number in the language's way ("1,234.5", "1.234,5", "1 234,5"). ``digits``
    fixes the decimals shown, rounded half up as people round (71.25 → "71.3");
    otherwise the value's own, up to three."""
    if value is None:
        return ""
    if digits is None:
        return format_decimal(value, locale=lang)
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(exact, format=pattern, locale=lang)


def language_label(code: str, lang: str) -> str:
    """The name of the language ``code`` (a BCP 47 tag) in the reader's language
    ``lang`` ("German", "Deutsch", "немецкий"; "Portuguese (Brazil)"); the tag itself
    when CLDR does not know it."""
    try:
        reader = Locale.parse(lang, sep="-")
        name = reader.languages.get(code) or Locale.parse(code, sep="-").get_display_name(reader)
    except (UnknownLocaleError, ValueError, TypeError):
        name = None
    return name or code


def language_choices(lang: str, current: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of the languages a person can prefer: every language CLDR names with
    a two-letter code, named in ``lang`` and sorted by that name in ``lang`` (and
    ``current``, a stored tag such as ``pt-BR``, when it is not among them)."""
    names = Locale.parse(lang, sep="-").languages
    codes = [c for c in names if isinstance(c, str) and len(c) == 2 and c.isalpha()]
    if current and current not in codes:
        codes.append(current)
    return sort_by_name([(c, language_label(c, lang)) for c in codes], lang)


def country_choices(lang: str) -> list[tuple[str, str]]:
    """(ISO 3166-1 code, name) of the countries, named in ``lang`` and sorted by that
    name in ``lang``."""
    names = Locale.parse(lang, sep="-").territories
    pairs = [(c, str(names.get(c, en))) for c, en in validation.country_names().items()]
    return sort_by_name(pairs, lang)


def country_name(code: str, lang: str) -> str:
    """The name of a country (ISO 3166-1 code) in ``lang``; the code when CLDR has none."""
    return str(Locale.parse(lang, sep="-").territories.get(code.upper(), code))


def sort_key(name: str) -> str:
    """A name as readers look it up in a list: case and accents ignored ("Österreich"
    among the O's, "Ägypten" among the A's)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def sort_by_name(pairs: list[tuple[str, str]], lang: str) -> list[tuple[str, str]]:
    """(code, name) pairs in the order of their names (``lang`` is the names' language;
    Latin and Cyrillic names sort within their own script)."""
    return sorted(pairs, key=lambda pair: (sort_key(pair[1]), pair[1]))
