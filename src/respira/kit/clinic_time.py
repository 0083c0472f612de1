"""The clinic's calendar: the days of follow-up windows, price-list validity, stays and
the outcome registry are days in the clinic's time zone (``RESPIRA_CLINIC_TIMEZONE``),
not in UTC and not in the reader's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from respira.kit.config import get_settings
from respira.kit.db import utcnow


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
