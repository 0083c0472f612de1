"""Quotes priced from a price list: every line shows quantity, unit price, amount, the
item and the price-list version; the severity factor, each comorbidity surcharge and a
discount are lines of their own; amounts round half up per line and the total is the
exact sum of the lines; a currency without a minor unit passes the same code."""

from __future__ import annotations

from decimal import Decimal

import pytest

from respira.kit.errors import InvalidInput
from respira.quotes import service
from respira.quotes.schemas import QuoteIn
from tests.quotes.quotes_helpers import price_list_json


def _sum(quote) -> Decimal:
    return sum((Decimal(line.amount) for line in quote.lines), Decimal(0))


def test_each_line_is_quantity_times_unit_price_rounded_half_up_and_the_total_their_sum(office):
    pid = office.patient()
    q = office.quote(
        pid,
        lines=[{"code": "INTERP", "quantity": "2.5"}, {"code": "CONS", "quantity": "1"}],
        severity="moderate",
        comorbidities=["renal", "cardiovascular"],
    )
    # Prices of the price list in force (the demo's, 4% dearer in version 2 is not used:
    # the office's list is the demo's first one).
    kinds = [line.kind for line in q.lines]
    assert kinds == ["item", "item", "severity", "comorbidity", "comorbidity"]
    interp, cons, severity, renal, cardio = q.lines
    assert (interp.code, interp.quantity, interp.unit_price, interp.amount) == (
        "INTERP",
        "2.5",
        "180.00",
        "450.00",
    )
    assert interp.price_list_version == office.prices.version
    assert cons.amount == "250.00"
    # Medical services: the consultation only (the interpreter is not medical).
    assert severity.amount == "25.00" and severity.rate == "1.1"
    assert renal.amount == "30.00" and renal.rate == "12"
    assert cardio.amount == "25.00"
    assert q.total == "780.00" == str(_sum(q))
    assert q.currency == "EUR" and q.status == "draft" and q.version == 1


def test_a_half_cent_rounds_up_on_its_own_line(office):
    prices = office.price_list(
        items=[
            {"code": "THIRD", "description": "A third", "unit_price": "33.33"},
            {
                "code": "ODD",
                "description": "Odd",
                "unit_price": "0.01",
                "category": "service_other",
            },
        ]
    )
    q = office.quote(
        office.patient(),
        price_list_id=prices.id,
        lines=[{"code": "THIRD", "quantity": "0.5"}, {"code": "ODD", "quantity": "0.5"}],
        severity="severe",
    )
    third, odd, severity = q.lines
    assert third.amount == "16.67"  # 16.665 half up
    assert odd.amount == "0.01"  # 0.005 half up
    assert severity.amount == "4.17"  # 16.67 × 0.25 = 4.1675 → 4.17 (odd is not medical)
    assert q.total == "20.85" == str(_sum(q))


def test_the_same_code_prices_a_currency_without_minor_units(office):
    yen = office.price_list(
        currency="JPY",
        items=[
            {"code": "CONS", "description": "Consultation", "unit_price": "333333"},
            {
                "code": "ROOM",
                "description": "Room",
                "unit_price": 15001,
                "category": "stay_night",
                "applies_to": "standard",
            },
        ],
        discounts=[{"code": "OFF", "description": "Off", "amount": "1000"}],
    )
    q = office.quote(
        office.patient(),
        price_list_id=yen.id,
        lines=[{"code": "CONS", "quantity": "0.5"}, {"code": "ROOM", "quantity": "3"}],
        severity="moderate",
        comorbidities=["obesity"],
        discount={"code": "OFF", "reason": "returning"},
    )
    cons, room, severity, obesity, off = q.lines
    assert cons.unit_price == "333333" and cons.amount == "166667"  # 166666.5 half up
    assert room.amount == "45003"
    assert severity.amount == "16667"  # 166667 × 0.10 = 16666.7
    assert obesity.amount == "8333"  # 166667 × 5% = 8333.35
    assert off.kind == "discount" and off.amount == "-1000"
    assert q.total == "235670" == str(_sum(q))
    assert q.currency == "JPY"


def test_a_price_with_more_decimals_than_its_currency_is_refused_naming_the_field(office, db):
    body = price_list_json(
        currency="JPY",
        items=[{"code": "A", "description": "A", "unit_price": "100.5"}],
    )
    with db.transaction() as s, pytest.raises(InvalidInput) as caught:
        service.create_price_list(s, office.admin.actor, service_price_list(body))
    assert "items.0.unit_price" in caught.value.errors
    assert "JPY has no minor unit" in caught.value.errors["items.0.unit_price"]


def service_price_list(body):
    from respira.quotes.schemas import PriceListIn

    return PriceListIn.model_validate(body)


def test_a_course_proposes_its_cells_infusions_nebulisations_therapies_and_stay(course_office):
    pid, course = course_office.course_patient()
    q = course_office.quote(pid, course_id=course.id, severity="mild")
    items = {line.code: line.quantity for line in q.lines if line.kind == "item"}
    # Two IV infusions of 1.0 ×10^6/kg of cord cells, one nebulisation, physiotherapy
    # three times, a 7-day stay in the first room type with its meals.
    assert items == {
        "CELLS-CORD-1": "2",
        "INF": "2",
        "NEB": "1",
        "SUP-PHYSIO": "3",
        "ROOM-STD": "7",
        "MEALS": "7",
    }
    assert q.basis == "course" and q.course_id == course.id
    # 6400 + 900 + 600 + 180 + 980 + 245, mild factor 1.00.
    assert q.total == "9305.00" == str(_sum(q))


def test_given_lines_adjust_the_course_proposal_or_add_extras(course_office):
    pid, course = course_office.course_patient()
    q = course_office.quote(
        pid,
        course_id=course.id,
        room_type="comfort",
        lines=[
            {"code": "MEALS", "quantity": "0"},
            {"code": "NEB", "quantity": "2"},
            {"code": "TRANSFER", "quantity": "2"},
        ],
    )
    items = {line.code: line.quantity for line in q.lines if line.kind == "item"}
    assert items["ROOM-COMFORT"] == "7" and "ROOM-STD" not in items
    assert "MEALS" not in items and items["NEB"] == "2" and items["TRANSFER"] == "2"


def test_a_draft_course_is_not_quoted(course_office, db):
    pid = course_office.clinic.eligible_patient()
    draft = course_office.clinic.course(pid, approve=False)
    with pytest.raises(InvalidInput) as caught:
        course_office.quote(pid, course_id=draft.id)
    assert "approved course" in caught.value.errors["course_id"]


def test_a_provisional_plan_is_priced_before_there_is_a_course(office):
    q = office.quote(
        office.patient(),
        provisional={
            "source": "allogeneic_cord",
            "infusions": 3,
            "dose_million_cells_per_kg": 2.0,
            "nebulisations": 0,
            "stay_days": 5,
            "supporting": {"low_level_laser": 4},
        },
        lines=[{"code": "DX-CT", "quantity": "1"}],
    )
    items = {line.code: line.quantity for line in q.lines if line.kind == "item"}
    assert items == {
        "CELLS-CORD-2": "3",
        "INF": "3",
        "SUP-LASER": "4",
        "ROOM-STD": "5",
        "MEALS": "5",
        "DX-CT": "1",
    }
    assert q.basis == "provisional" and q.plan["infusions"] == 3


def test_a_plan_the_price_list_has_no_item_for_is_refused_naming_the_gap(office):
    with pytest.raises(InvalidInput) as caught:
        office.quote(
            office.patient(),
            provisional={
                "source": "allogeneic_cord",
                "infusions": 1,
                "dose_million_cells_per_kg": 4.0,
                "stay_days": 3,
            },
        )
    assert "no cell-course item" in caught.value.errors["provisional"]


def test_an_unknown_item_code_and_an_unknown_comorbidity_are_refused_by_field(office):
    with pytest.raises(InvalidInput) as caught:
        office.quote(office.patient(), lines=[{"code": "NOPE", "quantity": "1"}])
    assert "lines.0.code" in caught.value.errors
    with pytest.raises(InvalidInput) as caught:
        office.quote(office.patient(), comorbidities=["gout"])
    assert "comorbidities.0" in caught.value.errors


def test_a_discount_is_its_own_negative_line_and_only_its_role_may_give_it(office):
    q = office.quote(
        office.patient(),
        lines=[{"code": "CONS", "quantity": "2"}],
        discount={"code": "EARLY", "reason": "booked three months ahead"},
    )
    discount = q.lines[-1]
    assert (discount.kind, discount.amount, discount.reason) == (
        "discount",
        "-25.00",
        "booked three months ahead",
    )
    assert q.total == "475.00"
    with pytest.raises(InvalidInput) as caught:
        office.quote(office.patient(), discount={"code": "HARDSHIP", "reason": "x"})
    assert "admin" in caught.value.errors["discount.code"]
    by_admin = office.quote(
        office.patient(), actor=office.admin.actor, discount={"code": "HARDSHIP", "reason": "x"}
    )
    assert by_admin.lines[-1].amount == "-25.00"


def test_without_a_severity_and_without_a_recorded_gina_step_the_quote_is_refused(office, db):
    with db.transaction() as s, pytest.raises(InvalidInput) as caught:
        service.create_quote(
            s,
            office.coordinator.actor,
            office.patient(),
            QuoteIn.model_validate({"lines": [{"code": "CONS", "quantity": "1"}]}),
        )
    assert "severity" in caught.value.errors
