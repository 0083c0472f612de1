"""Pricing a quote from a price list: the lines a course or a provisional plan proposes,
and the priced lines with the severity factor, the comorbidity surcharges and a discount
as lines of their own. Pure: it reads a ``Tariff`` (a price list as pricing needs it)
and answers lines, or raises ``InvalidInput`` naming the field at fault.

How a plan becomes lines (each from the price list's items):

- the cell product: for each IV infusion, the ``cell_course`` item whose ``applies_to``
  is the course's cell source and whose dose band (×10^6 cells/kg, both ends included)
  holds the infusion's dose; infusions of the same band are one line (quantity = their
  number). A plan with no matching item is refused (the price list has a gap);
- the administrations: the ``infusion`` item × the IV infusions, the ``nebulisation``
  item × the nebulisations (when the price list prices them apart);
- each supporting therapy: the ``supporting_modality`` item of that modality × its
  sessions (refused when the price list has none);
- the stay: the ``stay_night`` item of the room type chosen (else the first) × the
  stay's days (a bed-night for each day of the stay), and the ``meals_day`` item × the
  days, when the price list has them.

Amounts (``respira.quotes.money``, one rounding rule): each item line is quantity ×
unit price rounded half-up to the minor unit. The medical subtotal is the sum of the
rounded lines of the medical categories (``catalogue.MEDICAL_CATEGORIES``). The severity
line is the subtotal × (factor − 1) and each comorbidity line the subtotal × percent /
100, each rounded once; they do not compound. A discount (percent of, or a fixed amount
off, the sum of every line before it, at most that sum) is a negative line. The total
is the sum of the lines. The severity and comorbidity lines keep their English
text; a discount line keeps the discount's own description (pages and the PDF write
each in the reader's language, ``respira.quotes.texts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from respira.kit.errors import InvalidInput
from respira.kit.marks import N_
from respira.quotes import money
from respira.quotes.catalogue import (
    COMORBIDITIES,
    COMORBIDITY_LINE,
    MEDICAL_CATEGORIES,
    SEVERITY_LINE,
)


@dataclass(frozen=True)
class Item:
    code: str
    category: str
    description: str
    unit: str
    unit_price_minor: int
    applies_to: str | None = None
    dose_min: float | None = None
    dose_max: float | None = None


@dataclass(frozen=True)
class Discount:
    code: str
    description: str
    percent: Decimal | None
    amount_minor: int | None
    given_by: str


@dataclass(frozen=True)
class Tariff:
    """A price list as pricing reads it."""

    version: int
    currency: str
    items: tuple[Item, ...]
    severity_factors: dict[str, Decimal]
    surcharges: dict[str, Decimal]
    discounts: tuple[Discount, ...] = ()

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    def of_category(self, category: str) -> list[Item]:
        return [i for i in self.items if i.category == category]

    def discount(self, code: str) -> Discount | None:
        return next((d for d in self.discounts if d.code == code), None)


@dataclass(frozen=True)
class Plan:
    """What a quote prices from a course or a provisional plan."""

    source: str
    infusion_doses: tuple[float, ...]
    nebulisations: int
    supporting: dict[str, int]
    stay_days: int


@dataclass
class Line:
    kind: str  # "item" | "severity" | "comorbidity" | "discount"
    code: str
    description: str
    amount_minor: int
    category: str | None = None
    unit: str | None = None
    quantity: Decimal | None = None
    unit_price_minor: int | None = None
    rate: Decimal | None = None
    reason: str | None = None


# --- what a plan proposes ---------------------------------------------------------------


def _band_label(dose: float) -> str:
    return f"{dose:g} ×10^6 cells/kg"


def propose(
    tariff: Tariff, plan: Plan, *, room_type: str | None, field_name: str
) -> list[tuple[str, Decimal]]:
    """(item code, quantity) for a course or a provisional plan; ``field_name`` is the
    field a gap in the price list is reported on (``course_id`` or ``provisional``)."""
    lines: dict[str, Decimal] = {}

    def add(code: str, quantity: int) -> None:
        if quantity > 0:
            lines[code] = lines.get(code, Decimal(0)) + quantity

    cells = tariff.of_category("cell_course")
    for dose in plan.infusion_doses:
        match = next(
            (
                i
                for i in cells
                if i.applies_to == plan.source
                and i.dose_min is not None
                and i.dose_max is not None
                and i.dose_min <= dose <= i.dose_max
            ),
            None,
        )
        if match is None:
            raise InvalidInput(
                {
                    field_name: f"price list version {tariff.version} has no cell-course item "
                    f"for {plan.source} at {_band_label(dose)}: add one in a new version"
                }
            )
        add(match.code, 1)
    for category, count in (
        ("infusion", len(plan.infusion_doses)),
        ("nebulisation", plan.nebulisations),
    ):
        found = tariff.of_category(category)
        if found:
            add(found[0].code, count)
    for modality, sessions in plan.supporting.items():
        therapy = next(
            (i for i in tariff.of_category("supporting_modality") if i.applies_to == modality),
            None,
        )
        if therapy is None:
            raise InvalidInput(
                {
                    field_name: f"price list version {tariff.version} has no item for the "
                    f"supporting therapy {modality}: add one in a new version"
                }
            )
        add(therapy.code, sessions)
    rooms = tariff.of_category("stay_night")
    if room_type is not None:
        chosen = [r for r in rooms if r.applies_to == room_type]
        if not chosen:
            raise InvalidInput(
                {"room_type": f"price list version {tariff.version} has no room type {room_type!r}"}
            )
        rooms = chosen
    if rooms:
        add(rooms[0].code, plan.stay_days)
    meals = tariff.of_category("meals_day")
    if meals:
        add(meals[0].code, plan.stay_days)
    return list(lines.items())


def merge(
    proposed: Sequence[tuple[str, Decimal]], given: Sequence[tuple[str, Decimal]]
) -> list[tuple[str, Decimal]]:
    """The proposed lines with the given ones applied: a given code replaces the
    proposed quantity (0 drops the line), a new code is added after them."""
    out = dict(proposed)
    for code, quantity in given:
        out[code] = quantity
    return [(code, q) for code, q in out.items() if q > 0]


# --- pricing -----------------------------------------------------------------------------


def price(
    tariff: Tariff,
    lines: Sequence[tuple[str, Decimal]],
    *,
    severity: str,
    comorbidities: Sequence[str],
    discount: tuple[Discount, str] | None = None,
    line_field: str = "lines",
) -> list[Line]:
    """The quote's lines: the items, then the severity line, one line per comorbidity
    surcharge, and the discount, if any. ``line_field`` names the field of the given
    lines in an error (``lines.2.code``)."""
    cur = tariff.currency
    errors: dict[str, str] = {}
    out: list[Line] = []
    for n, (code, quantity) in enumerate(lines):
        item = tariff.item(code)
        if item is None:
            errors[f"{line_field}.{n}.code"] = (
                f"price list version {tariff.version} has no item {code!r}"
            )
            continue
        out.append(
            Line(
                kind="item",
                code=item.code,
                description=item.description,
                category=item.category,
                unit=item.unit,
                quantity=quantity,
                unit_price_minor=item.unit_price_minor,
                amount_minor=money.line_amount(quantity, item.unit_price_minor, cur),
            )
        )
    if errors:
        raise InvalidInput(errors)
    if not out:
        raise InvalidInput({line_field: N_("a quote needs at least one priced line")})
    medical = sum(line.amount_minor for line in out if line.category in MEDICAL_CATEGORIES)
    if severity not in tariff.severity_factors:
        raise InvalidInput({"severity": N_("must be mild, moderate or severe")})
    factor = tariff.severity_factors[severity]
    out.append(
        Line(
            kind="severity",
            code=f"SEVERITY-{severity.upper()}",
            description=SEVERITY_LINE % {"severity": severity, "factor": money.plain(factor)},
            amount_minor=money.share(medical, factor - 1, cur),
            rate=factor,
        )
    )
    for n, category in enumerate(comorbidities):
        if category not in tariff.surcharges:
            known = ", ".join(sorted(tariff.surcharges)) or "none"
            raise InvalidInput(
                {
                    f"comorbidities.{n}": f"price list version {tariff.version} has no surcharge "
                    f"for {category!r} (it has: {known})"
                }
            )
        percent = tariff.surcharges[category]
        out.append(
            Line(
                kind="comorbidity",
                code=f"COMORBIDITY-{category.upper()}",
                description=COMORBIDITY_LINE
                % {"category": COMORBIDITIES[category], "percent": money.plain(percent)},
                amount_minor=money.share(medical, percent / 100, cur),
                rate=percent,
            )
        )
    if discount is not None:
        rule, reason = discount
        before = sum(line.amount_minor for line in out)
        if rule.percent is not None:
            off = money.share(before, rule.percent / 100, cur)
        else:
            assert rule.amount_minor is not None
            off = rule.amount_minor
        if off > before:
            raise InvalidInput(
                {
                    "discount.code": f"the discount ({money.text(off, cur)} {cur}) is more than "
                    f"the quote ({money.text(before, cur)} {cur})"
                }
            )
        out.append(
            Line(
                kind="discount",
                code=rule.code,
                description=rule.description,
                amount_minor=-off,
                rate=rule.percent,
                reason=reason,
            )
        )
    return out


def total(lines: Sequence[Line]) -> int:
    """The quote's total: the exact sum of its rounded lines."""
    return sum(line.amount_minor for line in lines)
