"""Fixtures of the appointment tests: the clinic in Europe/Berlin, a physician who
holds slots, and a factory of slots published through the real use case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from respira.appointments import service
from respira.appointments.schemas import SlotIn, SlotOut
from respira.kit.config import get_settings

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def clinic_in_berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RESPIRA_CLINIC_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("RESPIRA_PUBLIC_BASE_URL", "https://respira.clinic.example.org")
    # a clinic served over HTTPS (its links in mail): Secure cookies, no plain HTTP
    monkeypatch.setenv("RESPIRA_INSECURE_HTTP_LOCALHOST", "false")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def days_ahead(days: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A wall-clock time in Berlin ``days`` from today (naive, as a form sends it)."""
    day = dt.datetime.now(BERLIN).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute))


def next_spring_forward() -> dt.date:
    """The next Sunday on which Berlin's clocks go forward (the last Sunday of March)
    that is at least a week away."""
    year = dt.date.today().year
    while True:
        day = dt.date(year, 3, 31)
        day -= dt.timedelta(days=(day.isoweekday() % 7))
        if day > dt.date.today() + dt.timedelta(days=7):
            return day
        year += 1


@pytest.fixture
def physician(make_account: Callable[..., Any]) -> Any:
    return make_account("physician")


@pytest.fixture
def coordinator(make_account: Callable[..., Any]) -> Any:
    return make_account("coordinator")


@pytest.fixture
def make_slot(db: Any, physician: Any) -> Callable[..., SlotOut]:
    def make(
        start: dt.datetime | None = None,
        *,
        kind: str = "phone_call",
        minutes: int = 30,
        zone: str | None = None,
        holder: Any = None,
    ) -> SlotOut:
        with db.transaction() as session:
            return service.publish_slot(
                session,
                physician.actor,
                SlotIn(
                    start=start or days_ahead(3),
                    duration_min=minutes,
                    kind=kind,
                    time_zone=zone,
                    held_by_id=(holder or physician).id,
                ),
            )

    return make
