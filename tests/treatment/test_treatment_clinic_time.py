"""The stay in the clinic's time zone (issue 14), on each database: the ward board opens on
today of the clinic's calendar and a nebulisation counts on the clinic's day it was given,
also near midnight with the clinic east or west of UTC; staff type times on the clinic's
wall clock and read them back in it, and a time the clocks skip is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import update

from respira.kit import clinic_time
from respira.kit.db import Base, utcnow
from respira.kit.i18n import fmt_datetime
from respira.kit.validation import today_utc
from respira.treatment import worklist
from tests.translated import in_clinic_zone
from tests.treatment.conftest import Ready
from tests.treatment.test_treatment_api import administration, scan
from tests.treatment.treatment_helpers import clinic_input

# The course starts tomorrow (UTC): a start the protocol accepts on either calendar.
# Berlin at 23:30 UTC on its first day is already 00:30 (or 01:30) on its second; New
# York at 03:00 UTC on its second day is still 22:00 (or 23:00) on its first.
NEAR_MIDNIGHT = {
    "Europe/Berlin": (dt.time(23, 30), 0, 1),  # UTC time, UTC day of the stay, clinic day
    "America/New_York": (dt.time(3, 0), 1, 0),
}


def _given_at(clinic: Any, administration_id: int, at: dt.datetime) -> None:
    """The administration was given at ``at`` (the clock is not the use cases' to set)."""
    table = Base.metadata.tables["administrations"]
    with clinic.db.transaction() as s:
        s.execute(
            update(table)
            .where(table.c.id == administration_id)
            .values(started_at=at, ended_at=at + dt.timedelta(minutes=15))
        )


def _nebulisation(board: dict[str, Any], pid: int) -> dict[str, Any]:
    (row,) = [p for p in board["patients"] if p["patient_id"] == pid]
    (item,) = [d for d in row["due"] if d["kind"] == "nebulisation"]
    return item


@pytest.mark.parametrize("zone", sorted(NEAR_MIDNIGHT))
def test_the_ward_board_opens_on_the_clinics_day_and_matches_its_nebulisation_near_midnight(
    zone, clinic, nurse_api, page_as, monkeypatch, request, db
):
    in_clinic_zone(request, zone)
    at_utc, utc_day, clinic_day = NEAR_MIDNIGHT[zone]
    start = today_utc() + dt.timedelta(days=1)
    pid = clinic.eligible_patient()
    course = clinic.course(pid, start=start, nebulisation_days=(1, 2))
    (din,) = clinic.lot(units=1)
    clinic.prepare(course, [din], infusion_day=1)
    ready = Ready(pid, clinic.mrn(pid), course, din, din)
    assert scan(nurse_api, ready.mrn, din).json()["ok"]
    given = nurse_api.post(
        "/api/v1/administrations",
        json=administration(ready, clinic.witness.email, route="nebulised"),
    )
    assert given.status_code == 201, given.text
    now = dt.datetime.combine(start + dt.timedelta(days=utc_day), at_utc, tzinfo=dt.UTC)
    _given_at(clinic, given.json()["id"], now - dt.timedelta(minutes=20))
    monkeypatch.setattr(clinic_time, "utcnow", lambda: now)

    expected = start + dt.timedelta(days=clinic_day)
    assert clinic_time.clinic_today() == expected != now.date()
    board = nurse_api.get("/api/v1/ward").json()
    assert board["day"] == expected.isoformat()
    item = _nebulisation(board, pid)
    assert item["label"] == f"Nebulisation, day {clinic_day + 1}" and item["done"] is True
    other = start + dt.timedelta(days=1 - clinic_day)
    assert _nebulisation(nurse_api.get(f"/api/v1/ward?day={other}").json(), pid)["done"] is False
    # The nurse's worklist and the board's page open on the same day.
    with db.session() as s:
        hrefs = {item.href for item in worklist.items(s, clinic.nurse.actor)}
    assert hrefs == {f"/ward?day={expected.isoformat()}"}
    page = page_as("nurse").get("/ward")
    assert f'href="/ward?day={(expected - dt.timedelta(days=1)).isoformat()}"' in page.text
    assert f'href="/ward?day={(expected + dt.timedelta(days=1)).isoformat()}"' in page.text


def test_an_admission_typed_on_the_clinics_clock_is_stored_in_utc_and_shown_back_in_it(
    page_as, nurse_api, ready, request
):
    in_clinic_zone(request, "America/New_York")
    nurse = page_as("nurse")
    before = utcnow()
    day = ready.course.start_date.isoformat()  # the board of the course's first day
    board = nurse.get(f"/ward?day={day}")
    after = utcnow()
    assert "Admitted at (clinic time, America/New_York)" in board.text and "(UTC)" not in board.text
    assert any(f'value="{clinic_input(t)}"' in board.text for t in (before, after))
    moment = (utcnow() - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    typed = clinic_input(moment)  # five or four hours behind UTC
    assert typed != moment.strftime("%Y-%m-%dT%H:%M")
    r = nurse.post_form(
        f"/patients/{ready.pid}/admissions",
        {"course_id": ready.course.id, "admitted_at": typed, "day": day},
        follow_redirects=True,
    )
    assert r.status_code == 200 and "In the ward" in r.text, r.text
    (stored,) = nurse_api.get(f"/api/v1/patients/{ready.pid}/admissions").json()
    admitted = dt.datetime.fromisoformat(stored["admitted_at"])
    assert (admitted if admitted.tzinfo else admitted.replace(tzinfo=dt.UTC)) == moment
    shown = fmt_datetime(moment, "en")
    assert shown.endswith(("EST", "EDT")) and f"since {shown}" in r.text


def test_a_time_the_clocks_skip_is_refused_on_the_ward_and_on_the_administration_form(
    page_as, nurse_api, ready, request
):
    in_clinic_zone(request, "Europe/Berlin")
    nurse = page_as("nurse")
    # 29 March 2026: Berlin's clocks go from 02:00 straight to 03:00.
    r = nurse.post_form(
        f"/patients/{ready.pid}/admissions",
        {"course_id": ready.course.id, "admitted_at": "2026-03-29T02:30", "day": ""},
        follow_redirects=True,
    )
    assert "2026-03-29 02:30 does not exist in Europe/Berlin" in r.text
    assert nurse_api.get(f"/api/v1/patients/{ready.pid}/admissions").json() == []
    form = {
        "din": ready.din,
        "patient_id": ready.pid,
        "course_id": ready.course.id,
        "route": "iv",
        "started_at": "2026-03-29T02:10",
        "ended_at": "2026-03-29T03:20",
    }
    r = nurse.post_form("/ward/administrations", form)
    assert r.status_code == 422 and 'id="e-started_at"' in r.text
    assert "2026-03-29 02:10 does not exist" in r.text and 'id="e-ended_at"' not in r.text
