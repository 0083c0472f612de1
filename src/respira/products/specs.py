"""Release specifications as data, and the evaluation of a QC result against one.

The shipped default follows clinical.md §5.1 (ISCT minimal criteria, Dominici 2006,
Cytotherapy 8:315) and §5.2 (typical release specifications of clinical-grade MSC
products): CD73, CD90, CD105 ≥95 %; CD45, CD34, CD14 or CD11b, CD79a or CD19, HLA-DR
≤2 %; viability ≥70 %; sterility no growth (Ph. Eur. 2.6.1 / USP <71>); mycoplasma
negative (Ph. Eur. 2.6.7); endotoxin <0.5 EU/mL; normal karyotype; passage limit P5.
Numeric limits are inclusive (95.0 passes "≥95 %") unless ``max_exclusive`` says
"below" (endotoxin "<0.5 EU/mL"). A result may be written "<0.5" (below the assay's
quantitation limit), which meets a maximum at or above 0.5.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from respira.kit.marks import N_

DEFAULT_VERSION = "msc-release-2026.1"
DEFAULT_PASSAGE_LIMIT = 5
# The shipped default's source and its attributes' labels are marked for translation:
# the laboratory's pages show them in the reader's language (a source or a label of
# another version that the catalogue does not know is shown as written).
DEFAULT_SOURCE = N_(
    "clinical.md §5.1 (ISCT minimal criteria, Dominici 2006, Cytotherapy 8:315-317) and "
    "§5.2 (typical release specifications of clinical-grade MSC products: viability ≥70 %, "
    "sterility Ph. Eur. 2.6.1/USP <71>, mycoplasma Ph. Eur. 2.6.7, endotoxin <0.5 EU/mL, "
    "normal karyotype, passage ≤P5)"
)


def _min(attribute: str, label: str, limit: float) -> dict[str, Any]:
    return {"attribute": attribute, "label": label, "unit": "%", "min": limit}


def _max(attribute: str, label: str, limit: float) -> dict[str, Any]:
    return {"attribute": attribute, "label": label, "unit": "%", "max": limit}


DEFAULT_ITEMS: list[dict[str, Any]] = [
    _min("cd73", N_("CD73 positive"), 95.0),
    _min("cd90", N_("CD90 positive"), 95.0),
    _min("cd105", N_("CD105 positive"), 95.0),
    _max("cd45", N_("CD45 positive"), 2.0),
    _max("cd34", N_("CD34 positive"), 2.0),
    _max("cd14_cd11b", N_("CD14 or CD11b positive"), 2.0),
    _max("cd79a_cd19", N_("CD79a or CD19 positive"), 2.0),
    _max("hla_dr", N_("HLA-DR positive"), 2.0),
    _min("viability", N_("Viability"), 70.0),
    {"attribute": "sterility", "label": N_("Sterility"), "unit": "", "accepted": ["no growth"]},
    {"attribute": "mycoplasma", "label": N_("Mycoplasma"), "unit": "", "accepted": ["negative"]},
    {
        "attribute": "endotoxin",
        "label": N_("Endotoxin"),
        "unit": "EU/mL",
        "max": 0.5,
        "max_exclusive": True,
    },
    {"attribute": "karyotype", "label": N_("Karyotype"), "unit": "", "accepted": ["normal"]},
]

_NUMBER = re.compile(r"(?P<op><|>|≤|≥|<=|>=)?\s*(?P<num>[0-9]+(?:\.[0-9]+)?)")


def parse_number(value: str) -> tuple[str, float] | None:
    """A numeric result as (qualifier, number): "97.2" → ("", 97.2), "<0.5" → ("<", 0.5);
    None when the text is not a number."""
    m = _NUMBER.fullmatch(value.strip().replace(",", "."))
    if m is None:
        return None
    number = float(m["num"])
    if not math.isfinite(number):
        return None
    op = {"≤": "<=", "≥": ">="}.get(m["op"] or "", m["op"] or "")
    return op, number


def requirement(item: dict[str, Any]) -> str:
    """The specification in words, as the lot page and the label of a result show it."""
    if item.get("accepted"):
        return " or ".join(item["accepted"])
    unit = f" {item['unit']}" if item.get("unit") else ""
    parts = []
    if item.get("min") is not None:
        parts.append(f"≥{item['min']:g}{unit}")
    if item.get("max") is not None:
        sign = "<" if item.get("max_exclusive") else "≤"
        parts.append(f"{sign}{item['max']:g}{unit}")
    return " and ".join(parts)


def check(item: dict[str, Any], value: str) -> Literal["pass", "fail"]:
    """Whether one result meets one specification."""
    if item.get("accepted"):
        accepted = {a.strip().casefold() for a in item["accepted"]}
        return "pass" if value.strip().casefold() in accepted else "fail"
    parsed = parse_number(value)
    if parsed is None:
        return "fail"
    op, number = parsed
    low, high = item.get("min"), item.get("max")
    exclusive = bool(item.get("max_exclusive"))
    if low is not None:
        # "<x" or "≤x" never proves a minimum; ">x" proves it when x is at or above it.
        if op in ("<", "<="):
            return "fail"
        if number < low:
            return "fail"
    if high is not None:
        if op in (">", ">="):
            return "fail"
        # "<x": the true value is below x, so it meets any maximum at or above x.
        inclusive = op == "<" or not exclusive
        if not (number <= high if inclusive else number < high):
            return "fail"
    return "pass"


def valid_value(item: dict[str, Any], value: str) -> str | None:
    """Why a result cannot be recorded for this specification, or None."""
    if item.get("accepted"):
        return None  # any categorical text is a result; only the accepted ones pass
    if parse_number(value) is None:
        return "must be a number (for example 97.5, or <0.5 below the quantitation limit)"
    return None
