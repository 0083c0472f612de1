"""Stays: booking for an approved course (dates from the course, covering it), one booked
stay per patient at a time, dates checked with the field named, the booking event that
invoices an accepted quote (the quotes step listens), changes with If-Match (428
without it, 409 stale), cancelling and completing, and the JSON contract of issue 9:
``GET /api/v1/stays?from=&to=`` and ``GET /api/v1/stays/{id}/checklist`` (items with
``kind``, ``owner``, ``state``)."""

from __future__ import annotations

import datetime as dt

import pytest

from respira.kit import events
from respira.kit.errors import Conflict, InvalidInput
from respira.logistics import service
from respira.logistics.schemas import CancellationIn, StayIn
from respira.quotes import service as quotes_service
from tests.logistics.logistics_helpers import days
from tests.quotes.quotes_helpers import Billing


def test_a_stay_for_a_course_takes_its_dates_and_must_cover_them(desk, clinic, db):
    pid = clinic.eligible_patient()
    course = clinic.course(pid, start=days(10))
    stay = desk.book(pid, course_id=course.id)
    assert (stay.arrival_date, stay.departure_date) == (course.start_date, course.end_date)
    assert stay.nights == (course.end_date - course.start_date).days
    with pytest.raises(InvalidInput) as refused:
        desk.book(
            pid,
            course.start_date + dt.timedelta(days=1),
            course.end_date + dt.timedelta(days=30),
            course_id=course.id,
        )
    assert "arrival_date" in refused.value.errors


def test_a_draft_course_or_another_patients_course_is_refused_naming_the_course(desk, clinic):
    pid = clinic.eligible_patient()
    draft = clinic.course(pid, start=days(10), approve=False)
    with pytest.raises(InvalidInput, match="draft") as refused:
        desk.book(pid, course_id=draft.id)
    assert "course_id" in refused.value.errors
    other = clinic.eligible_patient()
    theirs = clinic.course(other, start=days(40))
    with pytest.raises(InvalidInput, match="another patient"):
        desk.book(pid, course_id=theirs.id)


def test_a_patient_has_one_booked_stay_at_a_time_but_stays_may_touch(desk, db):
    pid = desk.patient()
    first = desk.book(pid, days(3), days(9))
    with pytest.raises(Conflict, match="already has a stay"):
        desk.book(pid, days(8), days(12))
    touching = desk.book(pid, days(9), days(12))
    assert touching.arrival_date == first.departure_date
    with db.transaction() as s:
        service.cancel_stay(s, desk.actor, first.id, CancellationIn(reason="Postponed"))
    assert desk.book(pid, days(4), days(8)).state == "booked"


def test_dates_are_checked_with_the_field_named(desk):
    pid = desk.patient()
    with pytest.raises(InvalidInput) as refused:
        desk.book(pid, days(5), days(4))
    assert "departure_date" in refused.value.errors
    with pytest.raises(InvalidInput, match="at most 180 days"):
        desk.book(pid, days(5), days(200))
    with pytest.raises(InvalidInput) as refused:
        desk.book(pid, None, None, course_id=None)
    assert "arrival_date" in refused.value.errors or "departure_date" in refused.value.errors


def test_booking_emits_the_event_in_its_transaction_and_a_listener_refusal_refuses_it(
    desk, db, monkeypatch
):
    heard = []
    listeners = events.listeners(service.BOOKED_EVENT)

    def listen(session, actor, **payload):
        heard.append(payload)
        if payload["patient_id"] == refused_pid:
            raise InvalidInput({"quote_id": "refused by a listener"})

    monkeypatch.setattr(events, "_LISTENERS", {service.BOOKED_EVENT: [*listeners, listen]})
    pid, refused_pid = desk.patient(), desk.patient()
    stay = desk.book(pid)
    assert heard == [{"patient_id": pid, "stay_id": stay.id, "quote_id": None}]
    with pytest.raises(InvalidInput):
        desk.book(refused_pid)
    with db.session() as s:
        assert service.stays_of_patient(s, desk.actor, refused_pid) == []


def test_booking_against_an_accepted_quote_issues_its_invoice(
    desk, db, make_patient, make_account, clinic
):
    office = Billing(db, make_patient, make_account, clinic)
    office.prices = office.price_list()
    pid, course = office.course_patient(start=days(20))
    accepted = office.accepted(pid, course_id=course.id)
    stay = desk.book(pid, course_id=course.id, quote_id=accepted.id)
    with db.session() as s:
        invoices = quotes_service.list_invoices(s, desk.actor, pid)
    assert [(i.quote_id, i.stay_id) for i in invoices] == [(accepted.id, stay.id)]
    draft = office.quote(pid, course_id=course.id)
    with pytest.raises(InvalidInput) as refused:
        desk.book(pid, days(60), days(65), quote_id=draft.id)
    assert "quote_id" in refused.value.errors


def test_completing_waits_for_the_departure_day(desk, db):
    future = desk.book(desk.patient(), days(2), days(5))
    with db.transaction() as s, pytest.raises(Conflict, match="complete it on or after"):
        service.complete_stay(s, desk.actor, future.id)
    past = desk.book(desk.patient(), days(-6), days(-1))
    with db.transaction() as s:
        done = service.complete_stay(s, desk.actor, past.id)
    assert done.state == "completed" and done.completed_at is not None
    with db.transaction() as s, pytest.raises(Conflict):
        service.cancel_stay(s, desk.actor, past.id, CancellationIn(reason="Too late"))


# --- the JSON contract ------------------------------------------------------------------


def test_the_stays_api_lists_stays_overlapping_the_period_and_the_checklist_by_kind(api_as, desk):
    coordinator = api_as("coordinator")
    early = desk.book(desk.patient(), days(2), days(6))
    late = desk.book(desk.patient(), days(20), days(25))
    r = coordinator.get(f"/api/v1/stays?from={days(5)}&to={days(10)}")
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()] == [early.id]
    r = coordinator.get(f"/api/v1/stays?from={days(0)}&to={days(30)}")
    assert [s["id"] for s in r.json()] == [early.id, late.id]
    assert coordinator.get("/api/v1/stays?from=tomorrow").status_code == 422
    assert coordinator.get(f"/api/v1/stays?from={days(5)}&to={days(1)}").status_code == 422
    r = coordinator.get(f"/api/v1/stays/{early.id}/checklist")
    assert r.status_code == 200
    items = r.json()
    assert [i["kind"] for i in items] == [
        "travel_documents",
        "flight",
        "airport_pickup",
        "accommodation",
        "interpreter",
        "meals",
    ]
    assert all(i["owner"] == desk.actor.name and i["state"] == "open" for i in items)


def test_the_api_books_a_stay_and_edits_need_the_version_read(api_as, desk):
    coordinator = api_as("coordinator")
    pid = desk.patient()
    body = {"patient_id": pid, "arrival_date": str(days(3)), "departure_date": str(days(7))}
    r = coordinator.post("/api/v1/stays", json=body)
    assert r.status_code == 201, r.text
    stay = r.json()
    assert r.headers["Location"] == f"/api/v1/stays/{stay['id']}" and r.headers["ETag"] == '"1"'
    r = coordinator.post("/api/v1/stays", json={**body, "room_type": "palace"})
    assert r.status_code == 422
    path = f"/api/v1/stays/{stay['id']}"
    assert coordinator.patch(path, json={"companion": True}).status_code == 428
    r = coordinator.patch(path, json={"companion": True}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["companion"] is True and r.headers["ETag"] == '"2"'
    r = coordinator.patch(path, json={"room_type": "suite"}, headers={"If-Match": '"1"'})
    assert r.status_code == 409
    item = coordinator.get(f"{path}/checklist").json()[3]
    item_path = f"{path}/checklist/{item['id']}"
    r = coordinator.patch(item_path, json={"state": "in_progress"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["state"] == "in_progress"
    r = coordinator.patch(item_path, json={"state": "done"}, headers={"If-Match": '"1"'})
    assert r.status_code == 409
    r = coordinator.patch(item_path, json={"state": "done"}, headers={"If-Match": '"2"'})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "state"


def test_a_physician_reads_the_board_but_not_the_stays(api_as, desk):
    desk.book(desk.patient(), days(1), days(4))
    physician = api_as("physician")
    assert physician.get("/api/v1/stays").status_code == 403
    r = physician.get(f"/api/v1/logistics/board?day={days(1)}")
    assert r.status_code == 200 and len(r.json()["arrivals"]) == 1
    assert (
        api_as("admin")
        .post("/api/v1/stays", json={"patient_id": 1, "arrival_date": str(days(1))})
        .status_code
        == 403
    )


def test_stay_in_refuses_unknown_fields():
    with pytest.raises(ValueError):
        StayIn.model_validate({"patient_id": 1, "arrival": "2027-01-01"})
