"""A time a person typed on a wall clock (``kit.clinic_time.wall_clock_to_utc``, the
forms' ``moments``): read in the clinic's zone, a time the clocks skip refused, a time
they pass twice read as its first pass (issue 14)."""

from __future__ import annotations

import datetime as dt

import pytest

from respira.kit.clinic_time import clinic_wall_clock, wall_clock_to_utc
from respira.kit.errors import InvalidInput
from respira.kit.texts import Msg
from respira.kit.web.forms import FieldProblem, clinic_moments
from tests.translated import in_clinic_zone

BERLIN = "Europe/Berlin"


def test_a_wall_clock_time_is_read_in_the_zone():
    # Winter (CET, UTC+1) and summer (CEST, UTC+2) in Berlin; Moscow has no summer time.
    assert wall_clock_to_utc(dt.datetime(2026, 1, 14, 9, 30), BERLIN) == dt.datetime(
        2026, 1, 14, 8, 30, tzinfo=dt.UTC
    )
    assert wall_clock_to_utc(dt.datetime(2026, 7, 14, 9, 30), BERLIN) == dt.datetime(
        2026, 7, 14, 7, 30, tzinfo=dt.UTC
    )
    assert wall_clock_to_utc(dt.datetime(2026, 7, 14, 9, 30), "Europe/Moscow") == dt.datetime(
        2026, 7, 14, 6, 30, tzinfo=dt.UTC
    )


def test_an_aware_time_is_only_converted():
    aware = dt.datetime(2026, 3, 29, 2, 30, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    assert wall_clock_to_utc(aware, BERLIN) == dt.datetime(2026, 3, 28, 21, 30, tzinfo=dt.UTC)


def test_a_time_the_clocks_skip_is_refused_for_its_field():
    # 29 March 2026: Berlin's clocks go from 02:00 straight to 03:00.
    with pytest.raises(InvalidInput) as refused:
        wall_clock_to_utc(dt.datetime(2026, 3, 29, 2, 30), BERLIN, "starts_at")
    message = refused.value.errors["starts_at"]
    assert isinstance(message, Msg)
    assert "2026-03-29 02:30 does not exist in Europe/Berlin" in message
    # 01:59 and 03:00 exist.
    assert wall_clock_to_utc(dt.datetime(2026, 3, 29, 1, 59), BERLIN).hour == 0
    assert wall_clock_to_utc(dt.datetime(2026, 3, 29, 3, 0), BERLIN).hour == 1


def test_a_time_the_clocks_pass_twice_is_its_first_pass():
    # 25 October 2026: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
    assert wall_clock_to_utc(dt.datetime(2026, 10, 25, 2, 30), BERLIN) == dt.datetime(
        2026, 10, 25, 0, 30, tzinfo=dt.UTC
    )


def test_form_moments_are_converted_in_place_and_problems_name_their_field(request):
    in_clinic_zone(request, BERLIN)
    values = {"a": "2026-01-14T09:30", "b": "2026-03-29T02:15", "c": "not a time", "d": 3}
    problems = clinic_moments(values, "a", "b", "c", "d", "missing")
    assert values["a"] == "2026-01-14T08:30:00+00:00"
    assert values["b"] == "2026-03-29T02:15"  # left as typed, for the form to show again
    assert values["c"] == "not a time" and values["d"] == 3  # the schema names them
    assert list(problems) == ["b"]
    assert isinstance(problems["b"], FieldProblem) and problems["b"].field == "b"
    assert clinic_wall_clock(dt.datetime(2026, 1, 14, 8, 30, tzinfo=dt.UTC)) == "2026-01-14T09:30"
