"""Wall-clock times at airports and in the clinic: a flight's time is kept as the local
time at its airport (what the ticket says) with the airport's IANA zone; the board
shows it there and in the clinic's zone (``RESPIRA_CLINIC_TIMEZONE``).

A wall-clock time that does not exist (skipped when the clocks go forward) is refused,
naming the field; one that happens twice when the clocks go back is read as the first
(``fold=0``, summer time): a ticket never says which, and the earlier reading makes the
pickup early rather than late.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from respira.kit.clinic_time import clinic_zone, wall_clock_to_utc


def at_airport(local: dt.datetime, zone: str, field: str) -> dt.datetime:
    """A wall-clock time at an airport (naive; an aware one is only converted) as UTC
    (``clinic_time.wall_clock_to_utc``)."""
    return wall_clock_to_utc(local, zone, field)


def local_naive(local: dt.datetime, zone: str) -> dt.datetime:
    """An aware time as the wall-clock time in ``zone`` (naive); a naive one as it is."""
    if local.tzinfo is None:
        return local
    return local.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def in_clinic(moment: dt.datetime) -> dt.datetime:
    """A UTC moment as the clinic's wall-clock time (aware, in the clinic's zone)."""
    return moment.astimezone(ZoneInfo(clinic_zone()))


def zone_abbreviation(moment: dt.datetime, zone: str) -> str:
    """The zone's abbreviation at that moment ("CET", "CEST", "MSK"), or its UTC offset
    where the database has only numbers ("+04")."""
    return moment.astimezone(ZoneInfo(zone)).tzname() or zone


def shown(moment: dt.datetime, zone: str, lang: str) -> str:
    """ "28 Mar 2027, 09:30 CEST": a moment as a person reads it in a zone."""
    local = moment.astimezone(ZoneInfo(zone))
    day = format_date(local.date(), format="medium", locale=lang)
    clock = format_time(local, format="HH:mm", locale=lang)
    return f"{day}, {clock} {zone_abbreviation(moment, zone)}"


def long_date(day: dt.date, lang: str) -> str:
    """ "28 March 2027" in the reader's language (letters and emails)."""
    return format_date(day, format="long", locale=lang)
