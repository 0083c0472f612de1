"""The scenario panel's reading of its form and the charts' axes: the rules the page and
the command line share."""

from __future__ import annotations

import numpy as np
import pytest

from respira.mechanism import charts
from respira.mechanism.schemas import (
    ScenarioForm,
    check_day,
    check_dose,
    parse_day_list,
    parse_number,
    read_scenario,
)


def test_an_empty_query_is_the_default_scenario():
    form, problems = read_scenario({})
    assert problems == {} and form == ScenarioForm()
    assert form.doses == ((0.0, 2.0),) and form.treated


def test_a_dose_of_zero_means_no_doses_and_needs_no_days():
    form, problems = read_scenario({"amount": "0", "dose_days": ""})
    assert problems == {} and form is not None
    assert form.doses == () and not form.treated


def test_decimal_commas_and_day_lists_are_read_as_people_type_them():
    assert parse_number("1,5") == 1.5 and parse_number(" 2 ") == 2.0
    assert np.isnan(parse_number("zwei")) and np.isnan(parse_number("inf"))
    assert parse_day_list("0, 7;28 56") == [0.0, 7.0, 28.0, 56.0]
    assert parse_day_list("0,7.5") is None
    form, _ = read_scenario({"amount": "1,5", "dose_days": "30 0"})
    assert form is not None and form.doses == ((0.0, 1.5), (30.0, 1.5))
    assert form.as_query()["dose_days"] == "30,0" and form.as_query()["amount"] == "1.5"


def test_every_problem_is_named_by_its_field_at_once():
    form, problems = read_scenario(
        {
            "phenotype": "x",
            "route": "oral",
            "amount": "-3",
            "dose_days": "1,2,3,4,5,6,7,8,9,10,11,12,13",
        }
    )
    assert form is None
    assert set(problems) == {"phenotype", "route", "amount", "dose_days"}
    assert problems["amount"].text() == "A dose cannot be negative (-3 was entered)."
    assert problems["dose_days"].text() == "Enter at most 12 doses."


@pytest.mark.parametrize(
    ("day", "last", "ok"), [(0, 365, True), (365, 365, True), (365.5, 365, False), (-1, 10, False)]
)
def test_a_day_must_lie_in_the_run(day, last, ok):
    assert (check_day(day, last) is None) is ok


def test_the_command_line_has_no_upper_dose_limit_but_the_page_has():
    assert check_dose(40.0, None) is None
    assert check_dose(400.0) is not None
    assert check_dose(-0.1, None) is not None


def test_ticks_are_round_and_cover_the_values():
    assert charts.nice_ticks(0, 365, 9) == [0, 50, 100, 150, 200, 250, 300, 350, 400]
    assert charts.nice_ticks(0.93, 1.52) == [0.8, 1.0, 1.2, 1.4, 1.6]
    chart = charts.line_chart(
        np.arange(366.0), [("untreated", np.full(366, 40.0))], markers=[0.0, 400.0]
    )
    assert chart.y_ticks[0].value < 40 < chart.y_ticks[-1].value  # a flat line gets a band
    assert [m.value for m in chart.markers] == [0.0]  # a mark outside the year is dropped
    xs = [float(p.split(",")[0]) for p in chart.lines[0].points.split()]
    assert xs[0] == chart.left and xs[-1] == chart.right
