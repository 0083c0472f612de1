"""The words and codes of the quotes step, as data: the categories of a price list's
items, the comorbidity categories a surcharge may name, the severities, the states of a
quote, how an acceptance was obtained, payment methods, what a quote includes and
excludes, and the regional reference ranges (``reference_ranges.toml``). English texts
are marked with ``N_`` and translated where they are shown."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from respira.kit.marks import N_

# The categories of a price list's items. Severity factors and comorbidity surcharges
# apply to the medical ones; the stay and the travel services cost the same whoever the
# patient is.
CATEGORIES: dict[str, str] = {
    "consultation": N_("Consultations"),
    "diagnostic_test": N_("Diagnostic tests"),
    "cell_course": N_("Cell product, by source and dose band"),
    "infusion": N_("Intravenous infusions"),
    "nebulisation": N_("Nebulisations"),
    "supporting_modality": N_("Supporting therapies"),
    "medical_other": N_("Other medical services"),
    "stay_night": N_("Stay, per night by room type"),
    "meals_day": N_("Meals, per day"),
    "interpreter_day": N_("Interpreter, per day"),
    "transfer": N_("Transfers"),
    "companion_stay": N_("Companion's stay"),
    "service_other": N_("Other services"),
}
MEDICAL_CATEGORIES: frozenset[str] = frozenset(
    {
        "consultation",
        "diagnostic_test",
        "cell_course",
        "infusion",
        "nebulisation",
        "supporting_modality",
        "medical_other",
    }
)
DEFAULT_CATEGORY = "medical_other"

# What ``applies_to`` names for the items matched to a course: the cell source of a
# cell-course item, the modality of a supporting therapy, the room type of a night.
MATCHED_CATEGORIES = ("cell_course", "supporting_modality", "stay_night")

COMORBIDITIES: dict[str, str] = {
    "cardiovascular": N_("cardiovascular disease"),
    "renal": N_("kidney disease"),
    "hepatic": N_("liver disease"),
    "metabolic": N_("diabetes or another metabolic disease"),
    "chronic_lung": N_("COPD or another chronic lung disease"),
    "immunological": N_("an immune or autoimmune disorder"),
    "obesity": N_("obesity"),
}

SEVERITIES: dict[str, str] = {
    "mild": N_("mild"),
    "moderate": N_("moderate"),
    "severe": N_("severe"),
}

# A quote's state: stored (draft, sent, accepted, declined, superseded) or derived from
# the date (expired: a draft or sent quote past its validity date).
STATES: dict[str, str] = {
    "draft": N_("draft"),
    "sent": N_("sent"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
    "superseded": N_("superseded"),
    "expired": N_("expired"),
}
STORED_STATUSES = ("draft", "sent", "accepted", "declined", "superseded")

# How an acceptance was obtained: the coordinator records one of these; the patient's
# own acceptance in the portal is "portal".
ACCEPTANCE_WAYS: dict[str, str] = {
    "signed_paper": N_("signed on paper"),
    "email": N_("by email"),
    "phone": N_("by phone"),
    "in_person": N_("in person"),
    "portal": N_("in the patient portal"),
}
STAFF_ACCEPTANCE_WAYS = tuple(k for k in ACCEPTANCE_WAYS if k != "portal")

PAYMENT_METHODS: dict[str, str] = {
    "bank_transfer": N_("bank transfer"),
    "card": N_("card"),
    "cash": N_("cash"),
    "other": N_("other"),
}

BASES: dict[str, str] = {
    "course": N_("the approved treatment course"),
    "provisional": N_("a provisional plan, before a treatment course is approved"),
    "lines": N_("the services listed"),
}

# The lines a quote adds to its priced items (the English text the records keep; pages
# and the PDF write them in the reader's language).
SEVERITY_LINE = N_("Severity adjustment: %(severity)s, factor %(factor)s on medical services")
COMORBIDITY_LINE = N_("Surcharge for %(category)s: %(percent)s per cent of medical services")
DISCOUNT_LINE = N_("Discount: %(description)s")

INCLUDED = (
    N_("The services listed in this quote, at the quantities shown."),
    N_(
        "Medical supervision and nursing care during the stay, and the monitoring before, "
        "during and after each administration."
    ),
)
EXCLUDED = (
    N_("Flights, visa fees and travel insurance."),
    N_("Any service, night or procedure not listed in this quote."),
    N_("Treatment of other conditions, and personal expenses."),
)

# Default validity of a quote, in days from the day it is made (never beyond the price
# list's own validity).
VALID_DAYS = 30


@dataclass(frozen=True)
class ReferenceRange:
    region: str
    currency: str
    low: Decimal
    high: Decimal
    open_ended: bool


@dataclass(frozen=True)
class ReferenceRanges:
    source: str
    year: int
    qualifier: str
    ranges: tuple[ReferenceRange, ...]


REGIONS = {
    "usa": N_("United States"),
    "europe": N_("Europe"),
    "clinic": N_("This clinic"),
}


@lru_cache(maxsize=1)
def reference_ranges() -> ReferenceRanges:
    """The regional ranges with their source and year (``reference_ranges.toml``)."""
    data = tomllib.loads((Path(__file__).parent / "reference_ranges.toml").read_text("utf-8"))
    return ReferenceRanges(
        source=data["source"],
        year=int(data["year"]),
        qualifier=data["qualifier"],
        ranges=tuple(
            ReferenceRange(
                region=r["region"],
                currency=r["currency"],
                low=Decimal(r["low"]),
                high=Decimal(r["high"]),
                open_ended=bool(r["open_ended"]),
            )
            for r in data["ranges"]
        ),
    )
