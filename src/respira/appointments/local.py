"""Wall-clock times in a time zone: reading a time a person entered (refusing one that
does not exist because the clocks went forward) and writing a stored UTC time back in
the slot's zone, in the reader's language."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from respira.kit.clinic_time import wall_clock_to_utc
from respira.kit.config import get_settings
from respira.kit.errors import InvalidInput


def zone_name(name: str | None) -> str:
    """The zone asked for, or the clinic's (``RESPIRA_CLINIC_TIMEZONE``)."""
    return name or get_settings().clinic_timezone


def to_utc(value: dt.datetime, zone: str, field: str) -> dt.datetime:
    """An aware time as it is; a naive one read as the wall-clock time in ``zone``
    (``clinic_time.wall_clock_to_utc``: a time the clocks skip is refused, one they pass
    twice is read as the first)."""
    return wall_clock_to_utc(value, zone, field)


def local_day(value: dt.datetime, zone: str) -> dt.date:
    return value.astimezone(ZoneInfo(zone)).date()


def day_start(day: dt.date, zone: str) -> dt.datetime:
    """The first moment of a day in a zone, in UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def wall(value: dt.datetime, zone: str) -> str:
    """ "2027-03-29 09:00 (Europe/Berlin)": a time in a message for staff."""
    return f"{value.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})"


def when(start: dt.datetime, end: dt.datetime, zone: str, lang: str) -> str:
    """ "Monday, 29 March 2027, 09:00–09:30 (Europe/Berlin)" in the reader's language."""
    tz = ZoneInfo(zone)
    a, b = start.astimezone(tz), end.astimezone(tz)
    day = format_date(a.date(), format="full", locale=lang)
    return (
        f"{day}, {format_time(a, format='HH:mm', locale=lang)}–"
        f"{format_time(b, format='HH:mm', locale=lang)} ({zone})"
    )


def clock(value: dt.datetime, zone: str, lang: str) -> str:
    """The wall-clock time alone ("09:00") in the zone."""
    return format_time(value.astimezone(ZoneInfo(zone)), format="HH:mm", locale=lang)


def period(
    start_text: str | None, end_text: str | None, *, default_days: int, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """The period of a query ``from=&to=``: each an ISO date (a whole day in the clinic's
    time zone; ``to`` includes its day) or an ISO date and time (naive ones in the
    clinic's zone). ``from`` defaults to now, ``to`` to ``default_days`` later."""
    zone = zone_name(None)

    def read(value: str, field: str, after: bool) -> dt.datetime:
        try:
            if len(value.strip()) == 10:
                day = dt.date.fromisoformat(value.strip())
                return day_start(day + dt.timedelta(days=1) if after else day, zone)
            return to_utc(dt.datetime.fromisoformat(value.strip()), zone, field)
        except ValueError as exc:
            raise InvalidInput(
                {field: "give a date (2027-03-29) or a date and time (2027-03-29T09:00)"}
            ) from exc

    start = read(start_text, "from", False) if start_text else now
    end = read(end_text, "to", True) if end_text else start + dt.timedelta(days=default_days)
    return start, end
