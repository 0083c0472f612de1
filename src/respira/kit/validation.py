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
import unicodedata
from functools import lru_cache
from typing import Annotated, Any

from babel import Locale, UnknownLocaleError
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict

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


class ClinicalIn(BaseModel):
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


def not_future(value: dt.date) -> dt.date:
    if value > today_utc():
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
