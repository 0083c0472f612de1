"""The follow-up calendar: check-ins at whole calendar months after the last infusion,
each with a window around its due date, and the state of a check-in on a day.

Pure date arithmetic, no I/O, so that the rules can be tested at every month end and
leap day:

- **Months are calendar months clamped to the month's end.** 31 January + 1 month is
  28 February (29 in a leap year); 29 February + 12 months is 28 February of the next
  year; 31 August + 1 month is 30 September. Each due date is counted from the anchor
  (the day of the last infusion), never from the previous due date, so that clamping
  in a short month does not shift the later check-ins.
- **Windows** are whole days around the due date, both ends included:
  ``[due − before_days, due + after_days]``.
- **States on a day** (the clinic's calendar day): ``upcoming`` before the window
  opens; ``open`` from its first to its last day while no check-in is recorded;
  ``missed`` once the window has closed without a check-in; ``completed`` with a
  check-in answered on or before the window's last day; ``completed_late`` with a
  check-in answered after the window closed (allowed and kept: a late answer is still
  an outcome, and the state says it was late).

The schedule (months 1, 3, 6, 12; ±7 days at 1 month, ±14 at 3 and 6, ±30 at 12) is the
programme's default (issue 11); outcome measures at these times: clinical.md §6.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

STATES: tuple[str, ...] = ("upcoming", "open", "completed", "completed_late", "missed")
# The shortest calendar month: the spacing two check-ins at least have per month apart.
_SHORTEST_MONTH_DAYS = 28
MAX_MONTH = 60
MAX_WINDOW_DAYS = 90


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """One check-in of the schedule: ``month`` calendar months after the anchor, open
    ``before_days`` before and ``after_days`` after its due date."""

    month: int
    before_days: int
    after_days: int


@dataclass(frozen=True, slots=True)
class Window:
    month: int
    due_date: dt.date
    start: dt.date
    end: dt.date


DEFAULT_WINDOWS: tuple[WindowSpec, ...] = (
    WindowSpec(1, 7, 7),
    WindowSpec(3, 14, 14),
    WindowSpec(6, 14, 14),
    WindowSpec(12, 30, 30),
)
# Reminders: one when a window opens, one this many days before it closes; the
# coordinators' list calls an open check-in this close to its end "overdue".
DEFAULT_CLOSING_SOON_DAYS = 3


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole calendar months, clamped to the last day of the target month."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year = day.year + years
    month = month_index + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def window(anchor: dt.date, spec: WindowSpec) -> Window:
    due = add_months(anchor, spec.month)
    return Window(
        month=spec.month,
        due_date=due,
        start=due - dt.timedelta(days=spec.before_days),
        end=due + dt.timedelta(days=spec.after_days),
    )


def windows(anchor: dt.date, specs: Sequence[WindowSpec]) -> list[Window]:
    return [window(anchor, spec) for spec in specs]


def state_of(today: dt.date, start: dt.date, end: dt.date, answered_on: dt.date | None) -> str:
    """The state of a check-in on ``today`` (see the module's rules)."""
    if answered_on is not None:
        return "completed" if answered_on <= end else "completed_late"
    if today < start:
        return "upcoming"
    if today <= end:
        return "open"
    return "missed"


def closing_soon(today: dt.date, end: dt.date, days: int) -> bool:
    """Whether an open window closes within ``days`` days (its last day included)."""
    return today <= end and (end - today).days <= days


def schedule_problems(specs: Sequence[WindowSpec]) -> dict[str, str]:
    """What is wrong with a schedule, ``{"windows": message}``: months strictly
    increasing within 1–60, windows of 0–90 days each side, and no two windows that
    could overlap in any calendar (the spacing counted in 28-day months)."""
    if not specs:
        return {"windows": "a schedule needs at least one check-in"}
    for spec in specs:
        if not 1 <= spec.month <= MAX_MONTH:
            return {"windows": f"month {spec.month}: a check-in is 1 to {MAX_MONTH} months out"}
        for days in (spec.before_days, spec.after_days):
            if not 0 <= days <= MAX_WINDOW_DAYS:
                return {
                    "windows": f"month {spec.month}: a window reaches 0 to "
                    f"{MAX_WINDOW_DAYS} days either side of the due date"
                }
    for first, second in itertools.pairwise(specs):
        if second.month <= first.month:
            return {"windows": "list the check-ins by month, each month once"}
        gap = (second.month - first.month) * _SHORTEST_MONTH_DAYS
        if first.after_days + second.before_days >= gap:
            return {
                "windows": f"the windows of months {first.month} and {second.month} could "
                "overlap; make them shorter"
            }
    return {}
