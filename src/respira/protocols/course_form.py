"""The course form as the API's body: the posted fields (fixed rows of IV infusions and
nebulised doses, a row for each supporting modality, the override) as a ``CourseIn``, and
each error of the body placed next to its row of the form."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from respira.kit.web.forms import human_message
from respira.protocols.schemas import MODALITY_LABELS, CourseIn

INFUSION_ROWS = 6
NEBULISATION_ROWS = 8


def _days(text: str) -> list[Any]:
    """ "1, 3, 5" as [1, 3, 5]; a word that is not a number stays a word, so that the
    schema names it."""
    return [int(t) if t.isdigit() else t for t in re.split(r"[\s,;]+", text.strip()) if t]


def _body(data: dict[str, str]) -> tuple[dict[str, Any], dict[str, dict[int, str]]]:
    """The posted form as the API's body, and for each list the form row of each item
    (so that an error of item 2 of the body lands next to its row of the form)."""
    body: dict[str, Any] = {}
    for key in ("source", "start_date", "stay_days", "weight_kg", "weight_measured_on"):
        body[key] = data.get(key, "").strip() or None
    for key in ("premedication", "harvest_id", "repeat_of_id"):
        value = data.get(key, "").strip()
        if value:
            body[key] = value
    rows: dict[str, dict[int, str]] = {"infusions": {}, "nebulisations": {}, "supporting": {}}
    for name, n_rows, value in (
        ("infusions", INFUSION_ROWS, "dose_million_cells_per_kg"),
        ("nebulisations", NEBULISATION_ROWS, "amount_million_cells"),
    ):
        body[name] = []
        for n in range(n_rows):
            day = data.get(f"{name}.{n}.day", "").strip()
            amount = data.get(f"{name}.{n}.{value}", "").strip()
            if day or amount:
                rows[name][len(body[name])] = str(n)
                body[name].append({"day": day or None, value: amount or None})
    body["supporting"] = []
    for modality in MODALITY_LABELS:
        count = data.get(f"supporting.{modality}.count", "").strip()
        days = data.get(f"supporting.{modality}.days", "").strip()
        if count or days:
            rows["supporting"][len(body["supporting"])] = modality
            body["supporting"].append(
                {"modality": modality, "count": count or None, "days": _days(days)}
            )
    second = data.get("override.second_physician_id", "").strip()
    password = data.get("override.password", "")
    reason = data.get("override.reason", "").strip()
    if second or password or reason:
        body["override"] = {
            "second_physician_id": second or None,
            "password": password,
            "reason": reason,
        }
    return body, rows


def _field_key(parts: list[str], rows: dict[str, dict[int, str]]) -> str:
    """An error's place in the body (``infusions.1.day``) as the form field's name."""
    if len(parts) >= 2 and parts[0] in rows and parts[1].isdigit():
        parts = [parts[0], rows[parts[0]].get(int(parts[1]), parts[1]), *parts[2:3]]
    return ".".join(parts[:3]) if parts else "__all__"


def form_errors(errors: dict[str, str], rows: dict[str, dict[int, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, message in errors.items():
        out.setdefault(_field_key(key.split("."), rows), message)
    return out


def parse_course(data: dict[str, str]) -> tuple[CourseIn | None, dict[str, str], dict[str, Any]]:
    body, rows = _body(data)
    try:
        return CourseIn.model_validate(body), {}, rows
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            key = _field_key([str(p) for p in err.get("loc", ())], rows)
            if key not in errors:
                errors[key] = human_message(dict(err), key)
        return None, errors, rows
