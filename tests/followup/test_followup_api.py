"""The follow-up's JSON contract (issue 11): ``GET /api/v1/patients/{id}/follow-ups``
answers ``[{id, month, window_start, window_end, state}]``, ``POST
/api/v1/follow-ups/{id}/check-in`` answers a check-in; a patient sees and answers only
their own; the coordinators' list; phone calls, audited; the plan."""

from __future__ import annotations

import datetime as dt

from respira.kit import audit
from respira.kit.validation import today_utc
from tests.followup.followup_helpers import check_in_body


def test_the_list_answers_the_contracts_fields_for_every_check_in(fu, api_as):
    stay = fu.stay()
    coordinator = api_as("coordinator")
    r = coordinator.get(f"/api/v1/patients/{stay.pid}/follow-ups")
    assert r.status_code == 200, r.text
    items = r.json()
    assert [i["month"] for i in items] == [1, 3, 6, 12]
    for item in items:
        assert {"id", "month", "window_start", "window_end", "state"} <= set(item)
        assert item["state"] == "upcoming"
        assert item["course_id"] == stay.course.id and item["course_number"] == 1
        dt.date.fromisoformat(item["window_start"])
        assert item["due_date"] > item["window_start"]


def test_a_patient_sees_and_answers_only_their_own_check_ins(fu, api_as):
    stay = fu.stay()
    fid = fu.open_window(stay.pid, 1, closes_in_days=5)
    patient = api_as("patient", patient_id=stay.pid)
    other = api_as("patient")
    assert patient.get(f"/api/v1/patients/{stay.pid}/follow-ups").status_code == 200
    assert other.get(f"/api/v1/patients/{stay.pid}/follow-ups").status_code == 404
    assert other.get(f"/api/v1/follow-ups/{fid}").status_code == 404
    assert other.post(f"/api/v1/follow-ups/{fid}/check-in", json=check_in_body()).status_code == 404
    r = patient.post(
        f"/api/v1/follow-ups/{fid}/check-in",
        json=check_in_body(),
        headers={"Accept-Language": "ru-RU,ru;q=0.9"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["language"] == "ru" and r.json()["mode"] == "web"
    detail = patient.get(f"/api/v1/follow-ups/{fid}").json()
    assert detail["state"] == "completed" and detail["check_in"]["id"] == r.json()["id"]
    # A patient does not read the staff's call notes or the reminder log.
    assert detail["contacts"] == [] and detail["reminders"] == []


def test_a_refused_check_in_names_its_fields_and_changes_nothing(fu, api_as):
    stay = fu.stay()
    fid = fu.open_window(stay.pid, 1, closes_in_days=5)
    patient = api_as("patient", patient_id=stay.pid)
    r = patient.post(
        f"/api/v1/follow-ups/{fid}/check-in",
        json=check_in_body(rescue_puffs_per_week=500, fev1_l=3.6, fvc_l=3.3),
    )
    assert r.status_code == 422
    fields = {d["field"] for d in r.json()["detail"]}
    assert "rescue_puffs_per_week" in fields
    r = patient.post(
        f"/api/v1/follow-ups/{fid}/check-in", json=check_in_body(fev1_l=3.6, fvc_l=3.3)
    )
    assert r.status_code == 422
    assert {d["field"] for d in r.json()["detail"]} == {"fev1_l", "fvc_l"}
    assert patient.get(f"/api/v1/follow-ups/{fid}").json()["state"] == "open"
    r = patient.post(f"/api/v1/follow-ups/{fid}/check-in", json=check_in_body(unknown=1))
    assert r.status_code == 422


def test_a_second_check_in_of_the_same_window_is_409(fu, api_as):
    stay = fu.stay()
    fid = fu.open_window(stay.pid, 3, closes_in_days=5)
    patient = api_as("patient", patient_id=stay.pid)
    assert (
        patient.post(f"/api/v1/follow-ups/{fid}/check-in", json=check_in_body()).status_code == 201
    )
    r = patient.post(f"/api/v1/follow-ups/{fid}/check-in", json=check_in_body())
    assert r.status_code == 409 and "already answered" in r.json()["detail"]


def test_the_coordinators_list_shows_due_closing_soon_missed_and_upcoming(fu, api_as):
    due = fu.stay(first_name="Due")
    fu.open_window(due.pid, 1, closes_in_days=10)
    closing = fu.stay(first_name="Closing")
    fu.open_window(closing.pid, 1, closes_in_days=2)
    missed = fu.stay(first_name="Missed")
    fu.open_window(missed.pid, 1, closes_in_days=-1)
    fu.stay(first_name="Fresh")  # the 1-month window opens in about 23 days
    coordinator = api_as("coordinator")
    board = coordinator.get("/api/v1/follow-ups", params={"view": "due"}).json()
    assert {i["patient_name"].split(", ")[1] for i in board["items"]} == {"Due", "Closing"}
    assert board["counts"]["due"] == 2 and board["counts"]["overdue"] == 1
    # upcoming: windows opening within 30 days (only the fresh patient's first one)
    assert board["counts"]["missed"] == 1 and board["counts"]["upcoming"] == 1
    overdue = coordinator.get("/api/v1/follow-ups", params={"view": "overdue"}).json()
    assert [i["closing_soon"] for i in overdue["items"]] == [True]
    missed_view = coordinator.get("/api/v1/follow-ups", params={"view": "missed"}).json()
    assert [i["state"] for i in missed_view["items"]] == ["missed"]
    search = coordinator.get("/api/v1/follow-ups", params={"view": "all", "q": "closing"}).json()
    assert {i["patient_id"] for i in search["items"]} == {closing.pid}
    assert coordinator.get("/api/v1/follow-ups", params={"view": "late"}).status_code == 422


def test_a_phone_call_is_recorded_audited_and_is_not_a_check_in(fu, api_as, db):
    stay = fu.stay()
    fid = fu.open_window(stay.pid, 1, closes_in_days=5)
    coordinator = api_as("coordinator")
    r = coordinator.post(
        f"/api/v1/follow-ups/{fid}/contacts",
        json={"reached": True, "note": "feels well, will answer online tonight"},
    )
    assert r.status_code == 201, r.text
    detail = coordinator.get(f"/api/v1/follow-ups/{fid}").json()
    assert detail["state"] == "open"
    assert [c["note"] for c in detail["contacts"]] == ["feels well, will answer online tonight"]
    with db.session() as s:
        (record,) = audit.history(s, "follow_up_contact", r.json()["id"])
    assert record.actor_role == "coordinator"
    assert (
        coordinator.post(
            f"/api/v1/follow-ups/{fid}/contacts", json={"reached": False, "note": "  "}
        ).status_code
        == 422
    )


def test_staff_enter_and_retract_a_check_in_for_the_patient(fu, api_as):
    stay = fu.stay()
    fid = fu.open_window(stay.pid, 1, closes_in_days=5)
    doc = api_as("physician")
    r = doc.post(
        f"/api/v1/follow-ups/{fid}/check-in",
        json=check_in_body(
            answered_on=(today_utc() - dt.timedelta(days=1)).isoformat(), mode="interview"
        ),
    )
    assert r.status_code == 201, r.text
    assert r.json()["on_behalf"] is True
    r = doc.post(f"/api/v1/follow-ups/{fid}/check-in/retract", json={"reason": "wrong patient"})
    assert r.status_code == 200 and r.json()["retracted"] is True
    assert doc.get(f"/api/v1/follow-ups/{fid}").json()["state"] == "open"


def test_the_plan_is_read_by_staff_and_set_by_admins_and_physicians(api_as):
    admin = api_as("admin")
    plan = admin.get("/api/v1/follow-up-plan").json()
    assert plan["version"] == 0
    assert [(w["month"], w["before_days"]) for w in plan["windows"]] == [
        (1, 7),
        (3, 14),
        (6, 14),
        (12, 30),
    ]
    body = {
        "windows": [
            {"month": 1, "before_days": 5, "after_days": 5},
            {"month": 12, "before_days": 30, "after_days": 30},
        ],
        "closing_soon_days": 2,
        "source": "Medical board, 2026-12-05",
    }
    r = admin.post("/api/v1/follow-up-plan", json=body)
    assert r.status_code == 201 and r.json()["version"] == 1
    bad = {
        **body,
        "windows": [
            {"month": 1, "before_days": 5, "after_days": 40},
            {"month": 2, "before_days": 5, "after_days": 5},
        ],
    }
    assert admin.post("/api/v1/follow-up-plan", json=bad).status_code == 422
