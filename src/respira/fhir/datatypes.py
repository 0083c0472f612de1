"""FHIR R4 data types as plain dicts: codings, quantities, references, dates, and the
skeleton every resource shares. Resources are built as JSON-ready dicts (no model
objects at run time: the builders stay fast enough for ``$everything`` and the bulk
export); the tests parse every one with the ``fhir.resources`` models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from respira.fhir.codes import INTERPRETATION, LOINC, RESPIRA, UCUM
from respira.kit.errors import NotFound

Json = dict[str, Any]
# The largest row id (the tables' ids are 32-bit integers on PostgreSQL).
MAX_ROW_ID = 2**31 - 1


def coding(system: str, code: str, display: str | None = None) -> Json:
    out: Json = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(*codings: Json, text: str | None = None) -> Json:
    out: Json = {}
    if codings:
        out["coding"] = list(codings)
    if text:
        out["text"] = text
    return out


def loinc(code: str, display: str) -> Json:
    return coding(LOINC, code, display)


def local(code_display: tuple[str, str]) -> Json:
    """A coding of Respira's own code system (a concept with no code in clinical.md §7)."""
    code, display = code_display
    return coding(RESPIRA, code, display)


def quantity(value: float, unit: str, code: str | None = None) -> Json:
    """A UCUM quantity; ``unit`` is what people read, ``code`` the UCUM code (default:
    the unit)."""
    return {"value": value, "unit": unit, "system": UCUM, "code": code or unit}


def reference(resource_type: str, resource_id: object, display: str | None = None) -> Json:
    out: Json = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        out["display"] = display
    return out


def identifier(label: str, value: str, system: str | None = None) -> Json:
    """An identifier with the text of its type (and its system, when it has one)."""
    out: Json = {"type": {"text": label}, "value": value}
    if system:
        out["system"] = system
    return out


def instant(value: dt.datetime) -> str:
    """An aware datetime in UTC, as FHIR's ``instant`` (seconds, ``Z``)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day(value: dt.date) -> str:
    return value.isoformat()


def newest(*stamps: dt.datetime | None) -> dt.datetime:
    """When a record last changed (its recording, its retraction, ...)."""
    found = [s if s.tzinfo else s.replace(tzinfo=dt.UTC) for s in stamps if s is not None]
    return max(found)


def resource(
    kind: str, resource_id: object, last_updated: dt.datetime | None, **fields: Any
) -> Json:
    """A resource: type, id, ``meta.lastUpdated`` (what the bulk export's ``--since``
    compares; none when the record keeps no time), then its fields without the empty
    ones (FHIR allows no nulls and no empty arrays or objects)."""
    out: Json = {"resourceType": kind, "id": str(resource_id)}
    if last_updated is not None:
        out["meta"] = {"lastUpdated": instant(last_updated)}
    for name, value in fields.items():
        cleaned = _clean(value)
        if cleaned is not None:
            out[name] = cleaned
    return out


def _clean(value: Any) -> Any:
    """The value without its empty parts (None when nothing is left). Types are compared
    exactly: this runs over every element of every resource of an export."""
    kind = type(value)
    if kind is dict:
        out = {}
        for key, item in value.items():
            item_kind = type(item)
            if item_kind is dict or item_kind is list:
                item = _clean(item)
            if item is None or item == "":
                continue
            out[key] = item
        return out or None
    if kind is list:
        items = []
        for item in value:
            item_kind = type(item)
            if item_kind is dict or item_kind is list:
                item = _clean(item)
            if item is not None and item != "":
                items.append(item)
        return items or None
    if value == "":
        return None
    return value


def interpretation_of(flag: str | None) -> list[Json]:
    """The v3 interpretation of a result held against its normal limits (science's
    flag: ``below_lln``, ``above_uln`` or ``within``)."""
    codes = {"below_lln": ("L", "Low"), "above_uln": ("H", "High"), "within": ("N", "Normal")}
    if flag not in codes:
        return []
    code, display = codes[flag]
    return [concept(coding(INTERPRETATION, code, display))]


def category(system: str, code: str, display: str) -> list[Json]:
    return [concept(coding(system, code, display))]


def codes_of(value: Json | None) -> Iterable[tuple[str | None, str | None]]:
    """The (system, code) pairs of a CodeableConcept dict."""
    for c in (value or {}).get("coding", []) or []:
        if isinstance(c, dict):
            yield c.get("system"), c.get("code")


def row_id(text: str) -> int:
    """The row id a resource id (or a part of one) names; ``NotFound`` when it names
    none (not digits, or beyond any row)."""
    if not text.isdigit() or len(text) > 10 or int(text) > MAX_ROW_ID:
        raise NotFound("no such resource")
    return int(text)
