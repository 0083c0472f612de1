"""The follow-up calendar (pure): calendar months clamped to the month's end, windows
around the due dates, the states at their boundaries, and the plan's checks."""

from __future__ import annotations

import datetime as dt

import pytest

from respira.followup.windows import (
    DEFAULT_WINDOWS,
    WindowSpec,
    add_months,
    closing_soon,
    schedule_problems,
    state_of,
    windows,
)

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),  # January 31 + 1 month: the end of February
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # ... of a leap February
        (D(2028, 2, 29), 12, D(2029, 2, 28)),  # a leap day + 12 months: 28 February
        (D(2028, 2, 29), 48, D(2032, 2, 29)),  # ... or the next leap day
        (D(2026, 8, 31), 1, D(2026, 9, 30)),  # 31 → a 30-day month
        (D(2026, 3, 31), 3, D(2026, 6, 30)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),  # across the year's end
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
        (D(2026, 5, 10), 6, D(2026, 11, 10)),
        (D(2026, 7, 31), 12, D(2027, 7, 31)),
    ],
)
def test_a_month_later_is_the_same_day_of_the_month_clamped_to_the_months_end(
    day, months, expected
):
    assert add_months(day, months) == expected


def test_each_due_date_counts_from_the_anchor_so_a_short_month_does_not_shift_later_ones():
    found = windows(D(2026, 1, 31), DEFAULT_WINDOWS)
    assert [w.due_date for w in found] == [
        D(2026, 2, 28),
        D(2026, 4, 30),
        D(2026, 7, 31),  # not the 28th, as chaining from 28 February would give
        D(2027, 1, 31),
    ]


def test_default_windows_are_7_14_14_and_30_days_either_side():
    found = windows(D(2026, 3, 10), DEFAULT_WINDOWS)
    assert [(w.month, w.start, w.due_date, w.end) for w in found] == [
        (1, D(2026, 4, 3), D(2026, 4, 10), D(2026, 4, 17)),
        (3, D(2026, 5, 27), D(2026, 6, 10), D(2026, 6, 24)),
        (6, D(2026, 8, 27), D(2026, 9, 10), D(2026, 9, 24)),
        (12, D(2027, 2, 8), D(2027, 3, 10), D(2027, 4, 9)),
    ]


def test_a_window_around_a_leap_day_crosses_into_march():
    (w,) = windows(D(2027, 2, 28), [WindowSpec(12, 30, 30)])
    assert (w.due_date, w.start, w.end) == (D(2028, 2, 28), D(2028, 1, 29), D(2028, 3, 29))


START, END = D(2026, 4, 3), D(2026, 4, 17)


@pytest.mark.parametrize(
    ("today", "answered", "state"),
    [
        (D(2026, 4, 2), None, "upcoming"),  # the day before the window opens
        (D(2026, 4, 3), None, "open"),  # its first day
        (D(2026, 4, 17), None, "open"),  # its last day
        (D(2026, 4, 18), None, "missed"),  # the day after it closed
        (D(2026, 4, 18), D(2026, 4, 17), "completed"),  # answered on the last day
        (D(2026, 4, 10), D(2026, 4, 3), "completed"),
        (D(2026, 4, 20), D(2026, 4, 18), "completed_late"),  # answered the day after
        (D(2026, 9, 1), D(2026, 8, 1), "completed_late"),
    ],
)
def test_states_at_the_windows_boundaries(today, answered, state):
    assert state_of(today, START, END, answered) == state


def test_closing_soon_counts_the_last_day_and_not_a_closed_window():
    assert closing_soon(D(2026, 4, 14), END, 3)
    assert closing_soon(D(2026, 4, 17), END, 3)
    assert not closing_soon(D(2026, 4, 13), END, 3)
    assert not closing_soon(D(2026, 4, 18), END, 3)


def test_the_default_plan_passes_its_own_checks():
    assert schedule_problems(DEFAULT_WINDOWS) == {}


@pytest.mark.parametrize(
    "specs",
    [
        [],
        [WindowSpec(0, 7, 7)],
        [WindowSpec(61, 7, 7)],
        [WindowSpec(1, 91, 7)],
        [WindowSpec(3, 7, 7), WindowSpec(1, 7, 7)],  # not by month
        [WindowSpec(3, 7, 7), WindowSpec(3, 7, 7)],  # a month twice
        [WindowSpec(1, 7, 20), WindowSpec(2, 10, 7)],  # could overlap in February
    ],
)
def test_a_plan_with_impossible_or_overlapping_windows_is_refused(specs):
    assert "windows" in schedule_problems(specs)
