"""Money is decimal with the currency's minor units, and one rounding rule: half up to
the minor unit, once per line (respira.quotes.money). The same code serves a currency
without a minor unit (JPY)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from respira.quotes import money


def test_a_line_rounds_half_up_to_the_cent_not_to_the_even_cent():
    # 0.5 × 33.33 = 16.665: half up gives 16.67 (banker's rounding would give 16.66).
    assert money.line_amount(Decimal("0.5"), 3333, "EUR") == 1667
    assert money.line_amount(Decimal("0.5"), 3331, "EUR") == 1666  # 16.655 → 16.66
    assert money.line_amount(Decimal("3"), 3333, "EUR") == 9999


def test_a_yen_amount_has_no_minor_unit_and_rounds_to_the_whole_yen():
    assert money.to_minor("333333", "JPY") == 333333
    assert money.text(333333, "JPY") == "333333"
    assert money.line_amount(Decimal("0.5"), 333333, "JPY") == 166667  # 166666.5 → up
    assert money.share(1001, Decimal("0.5"), "JPY") == 501


def test_amounts_are_written_with_exactly_the_currencys_minor_digits():
    assert money.text(233333, "EUR") == "2333.33"
    assert money.text(200000, "USD") == "2000.00"
    assert money.text(-5000, "GBP") == "-50.00"
    assert money.to_minor("2333.3", "EUR") == 233330
    assert money.to_minor("12", "CHF") == 1200


def test_more_decimals_than_the_currency_has_is_refused_not_rounded():
    assert "EUR has 2 decimals" in (money.digits_problem("10.005", "EUR") or "")
    assert "no minor unit" in (money.digits_problem("100.5", "JPY") or "")
    assert money.digits_problem("100", "JPY") is None
    with pytest.raises(ValueError):
        money.to_minor("10.005", "EUR")


@pytest.mark.parametrize(
    "value", [12.5, True, "1e3", "-5", "1,000.00", " ", "12.", None, "1000000000"]
)
def test_money_comes_in_as_a_decimal_string_never_as_a_binary_float(value):
    with pytest.raises(ValueError):
        money.amount_text(value)


def test_a_whole_number_is_taken_as_an_amount():
    assert money.amount_text(1200) == "1200"
    assert money.amount_text(" 2333.33 ") == "2333.33"


def test_a_share_of_an_amount_rounds_once_half_up():
    # 10% of 1,234.45 = 123.445 → 123.45.
    assert money.share(123445, Decimal("0.10"), "EUR") == 12345
    # A conversion rounds once in the target's minor unit.
    assert money.convert(1000000, "EUR", Decimal("1.08505"), "USD") == 1085050
    assert money.convert(1000, "EUR", Decimal("161.235"), "JPY") == 1612  # 1612.35 → 1612


def test_factors_and_quantities_are_exact_decimals_within_their_bounds():
    assert money.decimal_text("1.25", places=4, low=Decimal("0.5"), high=Decimal(5)) == Decimal(
        "1.25"
    )
    assert money.decimal_text(0.5, places=3, low=Decimal(0), high=Decimal(10)) == Decimal("0.5")
    with pytest.raises(ValueError, match="at most 2 decimals"):
        money.decimal_text("1.234", places=2, low=Decimal(0), high=Decimal(100))
    with pytest.raises(ValueError, match="between"):
        money.decimal_text("101", places=2, low=Decimal(0), high=Decimal(100))
    assert money.plain(Decimal("1.250")) == "1.25"
    assert money.plain(Decimal("300")) == "300"
