"""The serious-event alert email gives the report's due time in the clinic's time zone
(``RESPIRA_CLINIC_TIMEZONE``), named, in each of its three languages' way (issue 14)."""

from __future__ import annotations

import datetime as dt

import pytest

from respira.safety.alerts import alert_text
from tests.translated import in_clinic_zone

DUE = dt.datetime(2026, 3, 16, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def clinic_in_berlin(request: pytest.FixtureRequest) -> None:
    in_clinic_zone(request, "Europe/Berlin")


def test_the_alert_gives_the_report_due_time_in_the_clinics_zone_in_each_language(
    clinic_in_berlin,
):
    _subject, body = alert_text("RSP-1234567-4", 5, DUE)
    assert "Initial report due: Mar 16, 2026, 10:30:00\u202fAM CET\n" in body
    assert "Erstbericht fällig: 16.03.2026, 10:30:00 CET\n" in body
    assert "Первичный отчёт — срок: 16 мар. 2026\u202fг., 10:30:00 CET\n" in body
    assert "UTC" not in body


def test_an_event_without_a_due_time_says_so_with_a_dash(clinic_in_berlin):
    _subject, body = alert_text("RSP-1234567-4", 5, None)
    assert "Initial report due: -\n" in body and "Erstbericht fällig: -\n" in body
