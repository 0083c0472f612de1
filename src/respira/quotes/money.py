"""Money: decimal amounts in a currency's minor units, and the one rounding rule.

- Amounts are ``decimal.Decimal`` while computed and integer minor units (cents; yen,
  which have none) when stored, always with their currency. Binary floating point never
  holds money: a JSON number with a fraction is refused where money comes in.
- The currencies and their minor units are data (``MINOR_DIGITS``), from ISO 4217's
  list one (the ISO 4217 maintenance agency's "Current currency & funds code list",
  SIX Financial Information, column "Minor unit"): EUR, USD, CHF and GBP have 2 digits,
  JPY has 0. The same code serves every currency; a zero-digit one is the proof.
- The API and the stored records write an amount as a decimal string with exactly the
  currency's minor digits ("2333.33" in EUR, "333333" in JPY). An amount given with
  more digits than the currency has is refused (422 naming the field), never rounded.

The rounding rule, the only one (``round_half_up``): an amount computed from a
quantity, a rate or a percentage is rounded to the currency's minor unit, halves away
from zero (``ROUND_HALF_UP``: 16.665 EUR → 16.67; 166666.5 JPY → 166667), once per
line of a quote. A quote's total is the exact sum of its rounded lines, so that every
printed line adds up to the printed total.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from respira.kit.marks import N_
from respira.kit.texts import Msg

# ISO 4217 list one, "Minor unit" (see the module's docstring).
MINOR_DIGITS: dict[str, int] = {"EUR": 2, "USD": 2, "CHF": 2, "GBP": 2, "JPY": 0}
CURRENCIES: tuple[str, ...] = tuple(MINOR_DIGITS)
# Nine digits before the point (under a thousand million of a unit, yen included): far
# above any price, and a quote of 300 lines of 10,000 units each stays well inside a
# BigInteger's minor units.
MAX_INTEGER_DIGITS = 9
_AMOUNT = re.compile(rf"(\d{{1,{MAX_INTEGER_DIGITS}}})(?:\.(\d+))?")


def minor_digits(currency: str) -> int:
    return MINOR_DIGITS[currency]


def amount_text(value: Any) -> str:
    """An amount as it comes in (a decimal string such as "2333.33", or a whole
    number): its canonical text, or ``ValueError`` saying what is wrong. Whether its
    decimals fit the currency is checked with the currency (``to_minor``)."""
    if isinstance(value, bool | float):
        raise ValueError(N_('give money as a decimal string, such as "2333.33"'))
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(N_('give money as a decimal string, such as "2333.33"'))
    text = value.strip()
    if not _AMOUNT.fullmatch(text):
        raise ValueError(
            N_(
                'must be an amount of at most 9 digits before the point, such as "2333.33", '
                "without a sign, spaces or thousands separators"
            )
        )
    return text


def decimals_of(text: str) -> int:
    """How many digits an amount's text has after the point."""
    return len(text.partition(".")[2])


def digits_problem(text: str, currency: str) -> str | None:
    """Why an amount cannot be in ``currency`` (more decimals than its minor unit), or
    None."""
    digits = minor_digits(currency)
    if decimals_of(text) <= digits:
        return None
    if digits == 0:
        return Msg(
            N_('%(currency)s has no minor unit: give a whole number such as "%(whole)s"'),
            currency=currency,
            whole=text.split(".")[0],
        )
    return Msg(
        N_("%(currency)s has %(digits)s decimals: %(text)s has %(given)s"),
        currency=currency,
        digits=digits,
        text=text,
        given=decimals_of(text),
    )


def to_minor(text: str, currency: str) -> int:
    """An amount's text (checked with ``digits_problem`` first) in minor units."""
    if digits_problem(text, currency):
        raise ValueError(digits_problem(text, currency))
    return int(Decimal(text).scaleb(minor_digits(currency)))


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units as a Decimal with exactly the currency's digits."""
    digits = minor_digits(currency)
    return Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def text(minor: int, currency: str) -> str:
    """The API's and the records' form: "2333.33" (EUR), "333333" (JPY), "-50.00"."""
    return str(to_decimal(minor, currency))


def round_half_up(value: Decimal, currency: str) -> int:
    """THE rounding rule: ``value`` (in the currency's major unit) to the nearest minor
    unit, halves away from zero; answered in minor units."""
    exact = value.scaleb(minor_digits(currency))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_amount(quantity: Decimal, unit_price_minor: int, currency: str) -> int:
    """A line's amount: quantity × unit price, rounded once (``round_half_up``)."""
    return round_half_up(quantity * to_decimal(unit_price_minor, currency), currency)


def share(base_minor: int, fraction: Decimal, currency: str) -> int:
    """``fraction`` of an amount (a surcharge of 0.10, a discount of 0.05), rounded once
    (``round_half_up``)."""
    return round_half_up(to_decimal(base_minor, currency) * fraction, currency)


def convert(minor: int, currency: str, rate: Decimal, target: str) -> int:
    """An amount in ``target`` at ``rate`` (units of ``target`` per unit of
    ``currency``), rounded once (``round_half_up``): for display only."""
    return round_half_up(to_decimal(minor, currency) * rate, target)


def decimal_text(value: Any, *, places: int, low: Decimal, high: Decimal) -> Decimal:
    """A factor, a percentage or a quantity as it comes in (text or a number; a binary
    number is read from its shortest text, "0.5"), with at most ``places`` decimals and
    within [low, high]; ``ValueError`` naming the rule otherwise."""
    if isinstance(value, bool) or value is None:
        raise ValueError(N_("must be a number"))
    raw = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ValueError(N_("must be a number, such as 1.25")) from None
    if not number.is_finite():
        raise ValueError(N_("must be a number, such as 1.25"))
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValueError(Msg(N_("may have at most %(places)s decimals"), places=places))
    if number < low or number > high:
        raise ValueError(
            Msg(N_("must be between %(low)s and %(high)s"), low=str(low), high=str(high))
        )
    return number


def plain(number: Decimal) -> str:
    """A factor or quantity as text without exponent or trailing zeros ("1.25", "3")."""
    return format(number.normalize(), "f")
