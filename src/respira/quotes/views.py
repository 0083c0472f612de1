"""What the quotes' pages show, made once for the staff's pages and the patient's: a
quote's lines and an invoice's amounts in the reader's language, times on the clinic's
clock, the labels of the codes, and form errors named after the form's own fields."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal
from pydantic import ValidationError

from respira.kit.config import get_settings
from respira.kit.texts import Gettext, translate
from respira.kit.web.forms import human_message
from respira.quotes import service

LABELS: dict[str, Any] = {
    "states": service.STATES,
    "severities": service.SEVERITIES,
    "comorbidities": service.COMORBIDITIES,
    "categories": service.CATEGORIES,
    "ways": service.ACCEPTANCE_WAYS,
    "methods": service.PAYMENT_METHODS,
    "bases": service.BASES,
}


def clinic_time(value: dt.datetime | None, lang: str) -> str:
    """A stored (UTC) time on the clinic's clock, with the zone's name."""
    if value is None:
        return ""
    zone = get_settings().clinic_timezone
    local = value.astimezone(ZoneInfo(zone))
    return f"{format_datetime(local, format='medium', tzinfo=ZoneInfo(zone), locale=lang)} ({zone})"


def quantity(text: str | None, lang: str) -> str:
    return "" if text is None else str(format_decimal(Decimal(text), locale=lang))


def line_rows(quote: Any, lines: list[Any], gettext: Gettext, lang: str) -> list[dict[str, Any]]:
    """A quote's (or an invoice's) lines as a table shows them."""
    cur = quote.currency
    return [
        {
            "kind": line.kind,
            "text": service.line_text(line, quote.severity, gettext),
            "code": line.code,
            "quantity": quantity(line.quantity, lang),
            "unit": line.unit or "",
            "unit_price": ""
            if line.unit_price is None
            else service.amount_for(line.unit_price, cur, lang),
            "amount": service.amount_for(line.amount, cur, lang),
            "negative": line.amount.startswith("-"),
            "version": line.price_list_version,
            "reason": line.reason,
        }
        for line in lines
    ]


def shown_amounts(records: list[Any], names: tuple[str, ...], lang: str) -> dict[int, Any]:
    """For a list of quotes or invoices: id → {name: the amount as the reader's language
    writes money} (``total``, ``balance``)."""
    return {
        r.id: {n: service.amount_for(getattr(r, n), r.currency, lang) for n in names}
        for r in records
    }


def dotted_errors(exc: ValidationError) -> dict[str, str]:
    """A form's validation errors by field, a field inside a list named with dots
    (``items.3.unit_price``), as the API names them; each written for people
    (``human_message``), in the reader's language on the page."""
    out: dict[str, str] = {}
    for err in exc.errors():
        field = ".".join(str(part) for part in err.get("loc", ())) or "__all__"
        if field not in out:
            out[field] = human_message(dict(err), field)
    return out


def renamed(errors: dict[str, str], rows: dict[str, list[int]]) -> dict[str, str]:
    """Errors of a list's n-th entry (``items.1.code``) named after the form's row that
    made it (``items.4.code``): blank rows are left out of the list the API receives."""
    out: dict[str, str] = {}
    for key, message in errors.items():
        parts = key.split(".")
        if parts[0] in rows and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(rows[parts[0]]):
                parts[1] = str(rows[parts[0]][index])
        out[".".join(parts)] = message
    return out


def translated(errors: dict[str, str], gettext: Gettext) -> dict[str, str]:
    return {k: translate(v, gettext) for k, v in errors.items()}
