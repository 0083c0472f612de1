"""What the quotes step takes in and gives out (the JSON contract of issue 9).

Money is always a decimal string with exactly the currency's minor digits ("2333.33"
in EUR, "333333" in JPY): taken as text (or a whole number), never as a binary float,
and checked against the currency where the currency is known (``problems()`` of a price
list; the service for an amount on an invoice). Factors, percentages and quantities are
exact decimals too.

- ``POST /api/v1/price-lists`` ``PriceListIn`` → ``PriceListOut`` (``id``,
  ``version``, ...). Besides the contract's fields an item may say its ``category``
  (default ``medical_other``), what it ``applies_to`` (a cell source, a modality or a
  room type) and a cell course's dose band; ``comorbidity_surcharge_pct`` is one
  percentage for every comorbidity category or one per category; ``discounts`` name who
  may give them.
- ``POST /api/v1/patients/{id}/quotes`` ``QuoteIn`` → ``QuoteOut``. With ``course_id``
  (or a ``provisional`` plan) the lines are proposed from it and ``lines`` adjust them
  (a code given replaces the proposed quantity, 0 drops it) or add to them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from respira.kit.validation import ClinicalIn, blank_to_none, not_future, plain_text
from respira.kit.validation import required_text as _text
from respira.protocols.schemas import MODALITY_LABELS, SOURCE_LABELS, Modality, Source
from respira.quotes import money
from respira.quotes.catalogue import (
    CATEGORIES,
    COMORBIDITIES,
    DEFAULT_CATEGORY,
    PAYMENT_METHODS,
    SEVERITIES,
    STAFF_ACCEPTANCE_WAYS,
)

Currency = Literal["EUR", "USD", "CHF", "GBP", "JPY"]
Severity = Literal["mild", "moderate", "severe"]
StaffWay = Literal["signed_paper", "email", "phone", "in_person"]
Method = Literal["bank_transfer", "card", "cash", "other"]
Giver = Literal["coordinator", "admin"]
assert set(STAFF_ACCEPTANCE_WAYS) == set(StaffWay.__args__)  # type: ignore[attr-defined]
assert set(PAYMENT_METHODS) == set(Method.__args__)  # type: ignore[attr-defined]
assert set(SEVERITIES) == set(Severity.__args__)  # type: ignore[attr-defined]

Money = Annotated[str, BeforeValidator(money.amount_text)]


def _decimal(places: int, low: str, high: str) -> Any:
    return BeforeValidator(
        lambda v: money.decimal_text(v, places=places, low=Decimal(low), high=Decimal(high))
    )


Factor = Annotated[Decimal, _decimal(4, "0.5", "5")]
Percent = Annotated[Decimal, _decimal(2, "0", "100")]
Quantity = Annotated[Decimal, _decimal(3, "0", "10000")]
Rate = Annotated[Decimal, _decimal(8, "0.00000001", "1000000")]


def _code(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        if not value or len(value) > 40 or not all(c.isalnum() or c in "._-" for c in value):
            raise ValueError(
                "must be 1 to 40 letters, digits, dots, dashes or underscores, such as CONS-1"
            )
    return value


Code = Annotated[str, BeforeValidator(_code)]


def _optional(limit: int) -> Any:
    return BeforeValidator(
        lambda v: None if blank_to_none(v) is None else plain_text(str(v), field_max=limit)
    )


# --- price lists ---------------------------------------------------------------------


class ItemIn(ClinicalIn):
    code: Code
    description: Annotated[str, _text(300)]
    unit_price: Money
    unit: Annotated[str, _text(40)] = "each"
    category: str = DEFAULT_CATEGORY
    applies_to: Annotated[str | None, _optional(40)] = None
    dose_min_million_per_kg: float | None = Field(default=None, gt=0, le=100)
    dose_max_million_per_kg: float | None = Field(default=None, gt=0, le=100)

    _blanks = field_validator("dose_min_million_per_kg", "dose_max_million_per_kg", mode="before")(
        blank_to_none
    )

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(f"must be one of {', '.join(CATEGORIES)}")
        return value

    def problems(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.category == "cell_course":
            if self.applies_to not in SOURCE_LABELS:
                out["applies_to"] = f"a cell course names its source: {', '.join(SOURCE_LABELS)}"
            low, high = self.dose_min_million_per_kg, self.dose_max_million_per_kg
            if low is None or high is None:
                out["dose_min_million_per_kg"] = "a cell course names its dose band (from, to)"
            elif low > high:
                out["dose_min_million_per_kg"] = "is above the end of the band"
        elif self.category == "supporting_modality" and self.applies_to not in MODALITY_LABELS:
            out["applies_to"] = (
                f"a supporting therapy names its modality: {', '.join(MODALITY_LABELS)}"
            )
        elif self.category == "stay_night" and not self.applies_to:
            out["applies_to"] = "a night names its room type, such as standard"
        return out


class SeverityFactorsIn(ClinicalIn):
    mild: Factor
    moderate: Factor
    severe: Factor


def _surcharges(value: object) -> object:
    """One percentage for every comorbidity category, or one per category."""
    if isinstance(value, dict):
        out = {}
        for key, pct in value.items():
            if key not in COMORBIDITIES:
                known = ", ".join(COMORBIDITIES)
                raise ValueError(f"{key!r} is not a comorbidity category ({known})")
            try:
                out[key] = money.decimal_text(pct, places=2, low=Decimal(0), high=Decimal(100))
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        return out
    if value is None or value == "":
        return {}
    pct = money.decimal_text(value, places=2, low=Decimal(0), high=Decimal(100))
    return dict.fromkeys(COMORBIDITIES, pct)


class DiscountRuleIn(ClinicalIn):
    code: Code
    description: Annotated[str, _text(300)]
    percent: Annotated[Percent | None, BeforeValidator(blank_to_none)] = None
    amount: Annotated[Money | None, BeforeValidator(blank_to_none)] = None
    given_by: Giver = "coordinator"

    def problems(self) -> dict[str, str]:
        if (self.percent is None) == (self.amount is None):
            return {"percent": "give a percentage or an amount, not both"}
        if self.percent is not None and self.percent <= 0:
            return {"percent": "must be above 0"}
        return {}


class PriceListIn(ClinicalIn):
    currency: Currency
    valid_from: dt.date
    valid_until: dt.date | None = None
    items: list[ItemIn] = Field(min_length=1, max_length=300)
    severity_factors: SeverityFactorsIn
    comorbidity_surcharge_pct: Annotated[dict[str, Decimal], BeforeValidator(_surcharges)] = Field(
        default_factory=dict
    )
    discounts: list[DiscountRuleIn] = Field(default_factory=list, max_length=30)
    note: Annotated[str | None, _optional(2000)] = None

    _blanks = field_validator("valid_until", mode="before")(blank_to_none)

    def problems(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.valid_until is not None and self.valid_until < self.valid_from:
            out["valid_until"] = "is before the first day of validity"
        seen: set[str] = set()
        for n, item in enumerate(self.items):
            if item.code in seen:
                out[f"items.{n}.code"] = f"{item.code} is listed twice"
            seen.add(item.code)
            problem = money.digits_problem(item.unit_price, self.currency)
            if problem:
                out[f"items.{n}.unit_price"] = problem
            for name, message in item.problems().items():
                out[f"items.{n}.{name}"] = message
        codes: set[str] = set()
        for n, rule in enumerate(self.discounts):
            if rule.code in codes:
                out[f"discounts.{n}.code"] = f"{rule.code} is listed twice"
            codes.add(rule.code)
            for name, message in rule.problems().items():
                out[f"discounts.{n}.{name}"] = message
            if rule.amount is not None:
                problem = money.digits_problem(rule.amount, self.currency)
                if problem:
                    out[f"discounts.{n}.amount"] = problem
                elif money.to_minor(rule.amount, self.currency) == 0:
                    out[f"discounts.{n}.amount"] = "must be above 0"
        return out


class ItemOut(BaseModel):
    code: str
    category: str
    description: str
    unit: str
    unit_price: str
    applies_to: str | None
    dose_min_million_per_kg: float | None
    dose_max_million_per_kg: float | None


class DiscountRuleOut(BaseModel):
    code: str
    description: str
    percent: str | None
    amount: str | None
    given_by: Giver


class PriceListOut(BaseModel):
    id: int
    version: int
    currency: Currency
    valid_from: dt.date
    valid_until: dt.date | None
    in_force: bool
    severity_factors: dict[str, str]
    comorbidity_surcharge_pct: dict[str, str]
    items: list[ItemOut]
    discounts: list[DiscountRuleOut]
    note: str | None
    created_at: dt.datetime
    created_by: str


# --- quotes ------------------------------------------------------------------------------


class LineIn(ClinicalIn):
    code: Code
    quantity: Quantity


class DiscountIn(ClinicalIn):
    code: Code
    reason: Annotated[str, _text(500)]


class ProvisionalPlanIn(ClinicalIn):
    """A plan before there is a course: the cell source, the IV infusions and their
    dose, the nebulisations, the stay's days and the supporting therapies' sessions."""

    source: Source
    infusions: int = Field(ge=1, le=12)
    dose_million_cells_per_kg: float = Field(gt=0, le=100, description="per IV infusion")
    nebulisations: int = Field(default=0, ge=0, le=60)
    stay_days: int = Field(ge=1, le=60)
    supporting: dict[Modality, int] = Field(default_factory=dict)

    @field_validator("supporting")
    @classmethod
    def _sessions(cls, value: dict[str, int]) -> dict[str, int]:
        for modality, count in value.items():
            if not 0 <= count <= 100:
                raise ValueError(f"{modality}: between 0 and 100 sessions")
        return {m: c for m, c in value.items() if c > 0}


class QuoteIn(ClinicalIn):
    price_list_id: int | None = Field(default=None, ge=1)
    currency: Currency | None = None
    course_id: int | None = Field(default=None, ge=1)
    provisional: ProvisionalPlanIn | None = None
    room_type: Annotated[str | None, _optional(40)] = None
    lines: list[LineIn] = Field(default_factory=list, max_length=300)
    severity: Severity | None = None
    comorbidities: list[str] = Field(default_factory=list, max_length=len(COMORBIDITIES))
    discount: DiscountIn | None = None
    valid_until: dt.date | None = None
    notes: Annotated[str | None, _optional(2000)] = None

    _blanks = field_validator(
        "price_list_id", "currency", "course_id", "severity", "valid_until", mode="before"
    )(blank_to_none)

    def problems(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.course_id is not None and self.provisional is not None:
            out["provisional"] = "a quote is priced from a course or a provisional plan, not both"
        seen: set[str] = set()
        for n, line in enumerate(self.lines):
            if line.code in seen:
                out[f"lines.{n}.code"] = f"{line.code} is listed twice"
            seen.add(line.code)
        for n, category in enumerate(self.comorbidities):
            if category not in COMORBIDITIES:
                out[f"comorbidities.{n}"] = (
                    f"{category!r} is not a comorbidity category ({', '.join(COMORBIDITIES)})"
                )
        if len(set(self.comorbidities)) != len(self.comorbidities):
            out["comorbidities"] = "a comorbidity is listed twice"
        return out


class QuoteLineOut(BaseModel):
    position: int
    kind: Literal["item", "severity", "comorbidity", "discount"]
    code: str
    description: str
    category: str | None
    unit: str | None
    quantity: str | None
    unit_price: str | None
    amount: str
    rate: str | None
    reason: str | None
    price_list_version: int


class QuoteOut(BaseModel):
    id: int
    patient_id: int
    number: int
    version: int
    reference: str
    status: Literal["draft", "sent", "accepted", "declined", "superseded", "expired"]
    currency: Currency
    price_list_id: int
    price_list_version: int
    basis: Literal["course", "provisional", "lines"]
    course_id: int | None
    plan: dict[str, Any] | None
    room_type: str | None
    severity: Severity
    comorbidities: list[str]
    discount_code: str | None
    lines: list[QuoteLineOut]
    total: str
    valid_until: dt.date
    notes: str | None
    supersedes_id: int | None
    superseded_by_id: int | None
    created_at: dt.datetime
    created_by: str
    sent_at: dt.datetime | None
    sent_by: str | None
    accepted_at: dt.datetime | None
    accepted_by: str | None
    accepted_how: str | None
    acceptance_note: str | None
    declined_at: dt.datetime | None
    declined_by: str | None
    decline_reason: str | None
    invoice_id: int | None
    invoice_number: str | None
    # Whether it may be accepted now, and why not (the 409's message) when it may not.
    acceptable: bool
    not_acceptable_because: str | None


class AcceptIn(ClinicalIn):
    """How the coordinator obtained the patient's acceptance (a patient accepting in
    the portal sends nothing: it is "portal")."""

    how: StaffWay
    note: Annotated[str | None, _optional(1000)] = None


class DeclineIn(ClinicalIn):
    reason: Annotated[str, _text(1000)]


class Proposal(BaseModel):
    """What the quote builder starts from: the price list, the lines a course or plan
    proposes, and the severity and comorbidities read from the record."""

    price_list_id: int
    price_list_version: int
    currency: Currency
    lines: dict[str, str]  # item code → quantity
    severity: Severity | None
    severity_source: str | None
    comorbidities: list[str]
    comorbidity_source: str | None


# --- invoices, payments, credit notes ------------------------------------------------------


class PaymentIn(ClinicalIn):
    amount: Money
    paid_on: Annotated[dt.date, BeforeValidator(blank_to_none)]
    method: Method
    reference: Annotated[str | None, _optional(200)] = None

    @field_validator("paid_on")
    @classmethod
    def _past(cls, value: dt.date) -> dt.date:
        return not_future(value)


class PaymentOut(BaseModel):
    id: int
    invoice_id: int
    currency: Currency
    amount: str
    paid_on: dt.date
    method: Method
    reference: str | None
    recorded_at: dt.datetime
    recorded_by: str
    retracted: bool
    retracted_at: dt.datetime | None
    retraction_reason: str | None


class RetractionIn(ClinicalIn):
    reason: Annotated[str, _text(1000)]


class CreditNoteIn(ClinicalIn):
    amount: Money
    reason: Annotated[str, _text(1000)]


class CreditNoteOut(BaseModel):
    id: int
    invoice_id: int
    number: str
    currency: Currency
    amount: str
    issued_on: dt.date
    reason: str
    created_at: dt.datetime
    created_by: str


class InvoiceOut(BaseModel):
    id: int
    number: str
    quote_id: int
    quote_reference: str
    patient_id: int
    currency: Currency
    payable_in: Currency
    total: str
    credited: str
    paid: str
    balance: str
    status: Literal["open", "paid", "overpaid"]
    year: int
    issued_on: dt.date
    stay_id: int | None
    created_at: dt.datetime
    created_by: str
    lines: list[QuoteLineOut]
    payments: list[PaymentOut]
    credit_notes: list[CreditNoteOut]


# --- currency rates --------------------------------------------------------------------------


class RateIn(ClinicalIn):
    from_currency: Currency
    to_currency: Currency
    rate: Rate
    on_date: Annotated[dt.date, BeforeValidator(blank_to_none)]
    source: Annotated[str, _text(300)]

    @field_validator("on_date")
    @classmethod
    def _past(cls, value: dt.date) -> dt.date:
        return not_future(value)

    def problems(self) -> dict[str, str]:
        if self.from_currency == self.to_currency:
            return {"to_currency": "must be another currency than the one converted from"}
        return {}


class RateOut(BaseModel):
    id: int
    from_currency: Currency
    to_currency: Currency
    rate: str
    on_date: dt.date
    source: str
    created_at: dt.datetime
    created_by: str


class Converted(BaseModel):
    """An amount shown in another currency, for information: with the rate and its date."""

    currency: Currency
    amount: str
    from_currency: Currency
    rate: str
    on_date: dt.date
    source: str
