"""The coordinator board and the flights' time zones: a flight's times are the wall-clock
times at its airports, read in each airport's zone (with its own summer time), shown
there and in the clinic's zone; a time the clocks skip is refused, one they repeat is
read as the first; an arrival is on the board of the day it lands in the clinic's
calendar, flagged when that is not the stay's date; pickups to confirm, interpreters by
language and the kitchen's list of the day.

The clinic is in Europe/Berlin (tests/logistics/conftest.py). In 2027 the European Union's
clocks go forward on 28 March and back on 31 October; the United States' go forward on
14 March; Moscow keeps UTC+3 all year."""

from __future__ import annotations

import datetime as dt

import pytest

from respira.kit.errors import InvalidInput
from respira.logistics import airports
from tests.logistics.logistics_helpers import CAR, leg

SPRING = dt.date(2027, 3, 28)


def _flights(desk, stay_id, **legs):
    return desk.update(stay_id, "flight", details=legs)


def test_every_airport_of_the_table_has_a_known_zone_and_a_unique_code():
    from zoneinfo import ZoneInfo

    assert len(airports.AIRPORTS) >= 60
    assert len(airports.by_code()) == len(airports.AIRPORTS)
    for airport in airports.AIRPORTS:
        assert ZoneInfo(airport.tz) and len(airport.iata) == 3 and airport.iata.isupper()
    assert airports.find("svo").tz == "Europe/Moscow" and airports.find("XXX") is None


def test_a_landing_the_clocks_skip_is_refused_naming_the_field(desk):
    stay = desk.book(desk.patient(), SPRING, SPRING + dt.timedelta(days=5))
    with pytest.raises(InvalidInput) as refused:
        _flights(
            desk,
            stay.id,
            arrival=leg("SU 2300", "SVO", "2027-03-28T00:30", "BER", "2027-03-28T02:30"),
        )
    assert "does not exist in Europe/Berlin" in refused.value.errors["arrival.arrives"]


def test_a_time_the_clocks_repeat_is_read_as_the_first_summer_time(desk):
    autumn = dt.date(2027, 10, 31)
    stay = desk.book(desk.patient(), autumn - dt.timedelta(days=5), autumn)
    out = _flights(
        desk,
        stay.id,
        departure=leg("LH 1450", "BER", "2027-10-31T02:30", "SVO", "2027-10-31T07:30"),
    )
    departs = out.details["departure"].departs_at
    assert departs == dt.datetime(2027, 10, 31, 0, 30, tzinfo=dt.UTC)  # 02:30 CEST


def test_a_flight_that_lands_before_it_takes_off_is_refused(desk):
    stay = desk.book(desk.patient())
    with pytest.raises(InvalidInput) as refused:
        _flights(
            desk,
            stay.id,
            # 09:00 in Berlin is 11:00 in Moscow: it would land before it took off.
            arrival=leg("SU 2310", "SVO", "2027-03-20T11:30", "BER", "2027-03-20T09:00"),
        )
    assert "lands before it takes off" in refused.value.errors["arrival.arrives"]


def test_the_board_on_the_night_the_clocks_go_forward_shows_both_zones(desk):
    stay = desk.book(desk.patient(), SPRING, SPRING + dt.timedelta(days=5))
    _flights(
        desk,
        stay.id,
        # 01:30 in Moscow (UTC+3) is 22:30 UTC the evening before; 03:30 in Berlin is
        # already summer time (UTC+2): 01:30 UTC, a three-hour flight.
        arrival=leg(
            "SU 2300", "SVO", "2027-03-28T01:30", "BER", "2027-03-28T03:30", to_terminal="1"
        ),
    )
    board = desk.board(SPRING)
    [arrival] = board.arrivals
    flight = arrival.flight
    assert flight.departs_at == dt.datetime(2027, 3, 27, 22, 30, tzinfo=dt.UTC)
    assert flight.arrives_at == dt.datetime(2027, 3, 28, 1, 30, tzinfo=dt.UTC)
    assert arrival.clinic_time.isoformat() == "2027-03-28T03:30:00+02:00"
    assert not arrival.clinic_day_differs
    assert desk.board(SPRING - dt.timedelta(days=1)).arrivals == []


def test_an_airport_in_another_zone_keeps_its_own_summer_time(desk):
    # Between 14 and 28 March 2027 New York is on summer time (UTC-4) and Berlin is not.
    day = dt.date(2027, 3, 21)
    stay = desk.book(desk.patient(), day, day + dt.timedelta(days=6))
    _flights(
        desk,
        stay.id,
        arrival=leg("UA 960", "EWR", "2027-03-20T18:00", "FRA", "2027-03-21T07:15"),
    )
    [arrival] = desk.board(day).arrivals
    assert arrival.flight.departs_at == dt.datetime(2027, 3, 20, 22, 0, tzinfo=dt.UTC)
    assert arrival.flight.from_zone == "America/New_York"
    assert arrival.clinic_time.isoformat() == "2027-03-21T07:15:00+01:00"


def test_a_landing_after_midnight_in_the_clinic_is_on_the_next_days_board_and_flagged(desk):
    # 23:40 in London on the stay's arrival date is 00:40 the next day in Berlin.
    day = dt.date(2027, 5, 10)
    stay = desk.book(desk.patient(), day, day + dt.timedelta(days=4))
    _flights(
        desk,
        stay.id,
        arrival=leg("BA 1234", "SVO", "2027-05-10T19:40", "LHR", "2027-05-10T23:40"),
    )
    assert desk.board(day).arrivals == []
    [arrival] = desk.board(day + dt.timedelta(days=1)).arrivals
    assert arrival.clinic_day_differs and arrival.stay_date == day
    assert arrival.clinic_time.isoformat() == "2027-05-11T00:40:00+02:00"


def test_without_a_flight_the_stays_dates_place_arrivals_and_departures(desk):
    first = dt.date(2027, 6, 1)
    one = desk.book(desk.patient(last_name="Alpha"), first, first + dt.timedelta(days=3))
    two = desk.book(desk.patient(last_name="Beta"), first, first + dt.timedelta(days=5))
    board = desk.board(first)
    assert [m.stay_id for m in board.arrivals] == [one.id, two.id]
    assert [m.stay_id for m in desk.board(first + dt.timedelta(days=3)).departures] == [one.id]
    assert {row.stay_id for row in desk.board(first + dt.timedelta(days=4)).kitchen} == {two.id}


def test_pickups_to_confirm_leave_the_list_when_confirmed_or_not_needed(desk):
    day = dt.date(2027, 6, 7)
    a = desk.book(desk.patient(), day, day + dt.timedelta(days=3))
    b = desk.book(desk.patient(), day, day + dt.timedelta(days=3))
    c = desk.book(desk.patient(), day, day + dt.timedelta(days=3))
    board = desk.board(day)
    assert {m.stay_id for m in board.pickups_to_confirm} == {a.id, b.id, c.id}
    desk.update(a.id, "airport_pickup", details={"pickup": CAR})
    desk.update(b.id, "airport_pickup", details={"pickup": {**CAR, "confirmed": False}})
    desk.update(c.id, "airport_pickup", state="not_needed")
    assert {m.stay_id for m in desk.board(day).pickups_to_confirm} == {b.id}
    leaving = desk.board(day + dt.timedelta(days=3))
    assert {m.stay_id for m in leaving.pickups_to_confirm} == {a.id, b.id}


def test_interpreters_are_grouped_by_language_for_everyone_staying_that_day(desk):
    day = dt.date(2027, 7, 1)
    ru1 = desk.book(
        desk.patient(preferred_language="ru", last_name="Orlova"), day, day + dt.timedelta(days=3)
    )
    desk.book(
        desk.patient(preferred_language="ru", last_name="Ivanov"), day - dt.timedelta(days=2), day
    )
    kk = desk.book(desk.patient(preferred_language="kk"), day, day + dt.timedelta(days=2))
    no = desk.book(desk.patient(preferred_language="de"), day, day + dt.timedelta(days=2))
    desk.update(no.id, "interpreter", state="not_needed")
    desk.update(kk.id, "interpreter", details={"interpreter": "Aigerim Sadykova"})
    desk.update(ru1.id, "interpreter", details={"language": "ru"})
    board = desk.board(day)
    needs = {
        n.language: [(name.split(",")[0], who) for _id, name, who in n.stays]
        for n in board.interpreters
    }
    assert needs == {
        "kk": [(needs["kk"][0][0], "Aigerim Sadykova")],
        "ru": [("Ivanov", None), ("Orlova", None)],
    }
