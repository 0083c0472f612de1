"""Validators shared by every schema that takes personal data at the edge.

Each raises ``ValueError`` with a message that names the rule, so that Pydantic shows
it next to the field. Country codes are ISO 3166-1 alpha-2 (the list comes from the
CLDR territory names that Babel ships, minus CLDR's non-country and exceptional
reservations; Kosovo's user-assigned XK is kept because passports and registries use
it). Language tags are BCP 47, checked against CLDR through Babel.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import unicodedata
from collections import abc
from decimal import Decimal
from functools import cache, lru_cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from babel import Locale, UnknownLocaleError
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

# CLDR "territories" that are not ISO 3166-1 countries, or are only exceptionally
# reserved there (Ascension, Clipperton, Sark, Diego Garcia, Ceuta & Melilla, Canary
# Islands, Tristan da Cunha), plus pseudo-regions.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    names = Locale("en").territories
    return {
        code: str(names[code])
        for code in sorted(names)
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }


def country_code(value: str) -> str:
    code = value.strip().upper()
    if code not in country_names():
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, such as DE or GB")
    return code


def language_tag(value: str) -> str:
    tag = value.strip()
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", tag):
        raise ValueError("must be a BCP 47 language tag, such as de or pt-BR")
    try:
        Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError) as exc:
        raise ValueError("must be a BCP 47 language tag, such as de or pt-BR") from exc
    parts = tag.split("-")
    return "-".join([parts[0].lower()] + [p.upper() if len(p) == 2 else p for p in parts[1:]])


def email_address(value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from exc


_PHONE_CHARS = re.compile(r"\+?[0-9 ()./-]+")


def phone_number(value: str) -> str:
    """An international number: an optional leading +, then 7 to 15 digits (E.164
    allows at most 15), with spaces, dots, dashes or brackets between them."""
    text = value.strip()
    digits = re.sub(r"\D", "", text)
    if not _PHONE_CHARS.fullmatch(text) or not 7 <= len(digits) <= 15:
        raise ValueError(
            "must be a phone number of 7 to 15 digits, with an optional leading + "
            "(for example +49 30 1234567)"
        )
    return ("+" if text.startswith("+") else "") + digits


def plain_text(value: str, *, field_max: int) -> str:
    """Free text from a person: trimmed, no control characters, bounded length."""
    text = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise ValueError("must not contain control characters")
    if len(text) > field_max:
        raise ValueError(f"must be at most {field_max} characters")
    return text


def name_text(value: str, *, field_max: int = 100) -> str:
    text = plain_text(value, field_max=field_max)
    if not text:
        raise ValueError("is required")
    if "\n" in text or "\t" in text:
        raise ValueError("must be on one line")
    return text


# Bidirectional embeddings, overrides and isolates: a name written right to left needs
# none of them, and they can make a name display as something else.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Characters that take no visible space although their category says letter (Hangul
# fillers) or symbol (the blank Braille pattern).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
NAME_BIDI = "must not contain bidirectional override or isolate characters"
NAME_INVISIBLE = "must contain visible characters, not only spaces, marks or invisible characters"


def _invisible(ch: str) -> bool:
    """A space, a format character (zero-width spaces and joiners, U+200B-U+200F,
    U+2060-U+2064, U+FEFF), a control, a combining mark on its own, or a blank letter."""
    return unicodedata.category(ch)[0] in "ZCM" or ch in _BLANK_LETTERS


def person_name_problem(value: str) -> str | None:
    """Why a person's name (a patient's, an account's, a consultation request's) cannot
    be stored, or None: it must show something, and it must not steer the direction
    in which the text around it is displayed."""
    if any(ch in BIDI_CONTROLS for ch in value):
        return NAME_BIDI
    if all(_invisible(ch) for ch in value):
        return NAME_INVISIBLE
    return None


def person_name(value: str, *, field_max: int = 100) -> str:
    """A person's name on one line (``name_text``) that passes ``person_name_problem``."""
    text = name_text(value, field_max=field_max)
    problem = person_name_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def fold(text: str) -> str:
    """Text as search compares it: accents removed, case folded ("Müller" and
    "MULLER" both become "muller"; "Ёлкина" becomes "елкина")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def age_years(date_of_birth: dt.date, on: dt.date) -> int:
    """Completed years of age on a date."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def decimal_age(date_of_birth: dt.date, on: dt.date) -> float:
    """Age in decimal years as spirometry reference equations use it (days / 365.25)."""
    return (on - date_of_birth).days / 365.25


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# --- what every step's input schemas share --------------------------------------------


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NOT_A_NUMBER = "must be a number, not true or false"
NOT_A_DATE = "must be a date such as 1980-03-14 (year-month-day), without a time"


def _kind(annotation: Any) -> tuple[str, ...]:
    """What ``InputModel`` checks in a field of this type: ``("number",)``,
    ``("date",)``, ``("each", kind)`` for a list of them, or ``()``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kind(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        kinds = {_kind(arg) for arg in get_args(annotation) if arg is not type(None)}
        if any(arg is bool for arg in get_args(annotation)):
            return ()
        return kinds.pop() if len(kinds) == 1 else (("number",) if ("number",) in kinds else ())
    if origin is Literal:
        values = get_args(annotation)
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        return ("number",) if values and numbers else ()
    if origin in (list, tuple, set, frozenset, abc.Sequence):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        inner = {_kind(a) for a in args}
        return ("each", *inner.pop()) if len(inner) == 1 and () not in inner else ()
    if annotation is dt.date:
        return ("date",)
    if isinstance(annotation, type) and issubclass(annotation, int | float | Decimal):
        return () if issubclass(annotation, bool) else ("number",)
    return ()


@cache
def _field_kind(model: type[BaseModel], name: str) -> tuple[str, ...]:
    field = model.model_fields.get(name)
    return _kind(field.annotation) if field is not None else ()


def _check_kind(kind: tuple[str, ...], value: Any) -> None:
    if kind[0] == "each":
        if isinstance(value, list | tuple):
            for item in value:
                _check_kind(kind[1:], item)
    elif kind[0] == "number":
        if isinstance(value, bool):
            raise ValueError(NOT_A_NUMBER)
    elif isinstance(value, dt.datetime | int | float) or (
        isinstance(value, str) and value.strip() and not _DATE.fullmatch(value.strip())
    ):
        raise ValueError(NOT_A_DATE)


class InputModel(BaseModel):
    """The base of every input schema, JSON or form: JSON ``true`` is not a number and a
    datetime is not a date. Pydantic's lax mode reads ``true`` as 1 (one pack-year) and
    ``"2020-01-01T00:00:00"`` or a Unix timestamp as a date of birth; here a number
    field refuses ``true`` and ``false``, and a date field takes a date, written
    ``1980-03-14`` in JSON or a form, and nothing with a time. The other lax
    conversions stay, because forms send every value as text (``"12.5"``)."""

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_and_dates(cls, value: Any, info: ValidationInfo) -> Any:
        kind = _field_kind(cls, info.field_name) if info.field_name else ()
        if kind:
            _check_kind(kind, value)
        return value


# A wall-clock time at a place, without a UTC offset (a flight's departure in the
# airport's zone, which the record names beside it). JSON Schema's "date-time" needs an
# offset, so the document describes it as what it is.
LocalDatetime = Annotated[
    dt.datetime,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$",
            "description": "a local time at the place, without a UTC offset",
        }
    ),
]


class ClinicalIn(InputModel):
    """The base of a step's input schemas: unknown fields are refused (a misspelt field
    must not be dropped silently), text is stripped, NaN and infinity are not numbers.
    ``problems()`` answers the checks across fields (``{field: message}``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    def problems(self) -> dict[str, str]:
        return {}


def required_text(max_len: int) -> Any:
    """A text field that must hold something other than white space, at most
    ``max_len`` characters, with control characters refused (see ``plain_text``)."""

    def check(value: str) -> str:
        text = plain_text(value, field_max=max_len)
        if not text:
            raise ValueError("is required")
        return text

    return AfterValidator(check)


def latest_today() -> dt.date:
    """The later of today in UTC and today on the clinic's calendar (just after midnight
    in Berlin it is already tomorrow there, still today in UTC): a date after it has
    come nowhere yet."""
    from respira.kit.clinic_time import clinic_today

    return max(today_utc(), clinic_today())


def not_future(value: dt.date) -> dt.date:
    """A date that has come, in UTC or on the clinic's calendar (``latest_today``)."""
    if value > latest_today():
        raise ValueError("cannot be in the future")
    return value


def _as_utc(value: dt.datetime) -> dt.datetime:
    """Times without a zone are read as UTC (the API's times are UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


PastDate = Annotated[dt.date, AfterValidator(not_future)]
UTCDatetime = Annotated[dt.datetime, AfterValidator(_as_utc)]


def plausible_past_date(value: dt.date) -> dt.date:
    """The date something happened: not in the future, and not before 1900 (a year
    typed wrong)."""
    not_future(value)
    if value < dt.date(1900, 1, 1):
        raise ValueError("is before 1900: check the year")
    return value


PlausiblePastDate = Annotated[dt.date, AfterValidator(plausible_past_date)]


def blank_to_none(value: object) -> object:
    """A form's empty or white-space text as "not given" (a ``mode="before"`` field
    validator of optional fields)."""
    return None if isinstance(value, str) and not value.strip() else value
