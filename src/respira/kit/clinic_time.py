"""The clinic's calendar: the days of follow-up windows, price-list validity, stays and
the outcome registry are days in the clinic's time zone (``RESPIRA_CLINIC_TIMEZONE``),
not in UTC and not in the reader's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.errors import InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import Msg

# A wall-clock time that the clocks skip when they are put forward (summer time) names
# no moment: the person is asked again rather than a guess stored.
SKIPPED_TIME = N_(
    "%(time)s does not exist in %(zone)s: the clocks go forward at that time. Check the "
    "time and enter it as the clock showed it."
)


def clinic_zone() -> str:
    """The clinic's IANA time zone name."""
    return get_settings().clinic_timezone


def clinic_day(at: dt.datetime) -> dt.date:
    """The clinic's calendar day of a stored (UTC) moment."""
    return at.astimezone(ZoneInfo(clinic_zone())).date()


def clinic_today(now: dt.datetime | None = None) -> dt.date:
    """Today on the clinic's calendar (or the day of ``now``)."""
    return clinic_day(now or utcnow())


def working_days_after(at: dt.datetime, days: int) -> dt.datetime:
    """The moment ``days`` working days (Monday to Friday on the clinic's calendar)
    after ``at``, at the same local time of day; a moment on a Saturday or Sunday
    counts from the start of the Monday after. Answered in UTC."""
    zone = ZoneInfo(clinic_zone())
    local = at.astimezone(zone).replace(tzinfo=None)
    if local.weekday() >= 5:  # the weekend: the clock starts on Monday at midnight
        monday = local.date() + dt.timedelta(days=7 - local.weekday())
        local = dt.datetime.combine(monday, dt.time())
    day = local.date()
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    due = dt.datetime.combine(day, local.time()).replace(tzinfo=zone)
    return due.astimezone(dt.UTC)


def wall_clock_to_utc(
    value: dt.datetime, zone: str | None = None, field: str = "time"
) -> dt.datetime:
    """A time a person entered as the wall clock showed it in ``zone`` (the clinic's by
    default), as an aware UTC moment; an aware time is only converted. A time the clocks
    skip (put forward) is refused for ``field`` (``InvalidInput``, translated on pages);
    one they pass twice (put back) is read as its first pass, the earlier moment."""
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    tz = ZoneInfo(zone or clinic_zone())
    moment = value.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
    if moment.astimezone(tz).replace(tzinfo=None) != value:
        raise InvalidInput({field: Msg(SKIPPED_TIME, time=f"{value:%Y-%m-%d %H:%M}", zone=tz.key)})
    return moment


def clinic_wall_clock(moment: dt.datetime) -> str:
    """A stored (UTC) moment as a ``datetime-local`` field's value on the clinic's wall
    clock ("2026-12-07T09:30")."""
    return moment.astimezone(ZoneInfo(clinic_zone())).strftime("%Y-%m-%dT%H:%M")
