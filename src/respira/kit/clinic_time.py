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
