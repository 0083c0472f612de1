"""Treatment courses through the JSON API: the eligibility gate, the programme's limits
at their cut-offs (with their version), the second physician's override, autologous
lead times and harvests, the infusion room's chairs, approval, revisions that
supersede, repeat courses, the medication at approval and the cell arithmetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from respira.accounts.models import User
from respira.diagnostics import service as diagnostics_service
from respira.diagnostics.schemas import HistoryIn, VisitIn
from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.validation import today_utc
from respira.protocols import service
from respira.protocols.models import Course
from respira.protocols.schemas import CourseOut, LimitsIn
from tests.protocols.helpers import course_body, days_from_today, infusions, make_harvest
from tests.screening.screening_helpers import good_findings_values

APPROVE = "approved protocol"


def draft(client: Any, pid: int, expected: int = 201, **overrides: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/patients/{pid}/courses", json=course_body(**overrides))
    assert r.status_code == expected, r.text
    return dict(r.json())


def approve(client: Any, course_id: int, expected: int = 200, password: str | None = None) -> Any:
    pw = client.account.password if password is None else password
    r = client.post(
        f"/api/v1/courses/{course_id}/approve", json={"password": pw, "meaning": APPROVE}
    )
    assert r.status_code == expected, r.text
    return r.json()


def errors(r: Any) -> dict[str, str]:
    return {d["field"]: d["msg"] for d in r.json()["detail"]}


def course_count(db: Any) -> int:
    with db.session() as session:
        return session.scalar(select(func.count(Course.id))) or 0


# --- the eligibility gate -------------------------------------------------------------------------


def test_course_refused_409_when_the_patient_has_no_screening(doc, make_patient, db):
    pid = make_patient()
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body())
    assert r.status_code == 409
    assert "no screening" in r.json()["detail"]
    assert course_count(db) == 0


def test_course_refused_409_when_the_eligible_screening_is_not_signed(doc, screened, db):
    pid = screened(meaning=None)
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body())
    assert r.status_code == 409
    assert "is not signed" in r.json()["detail"]
    assert course_count(db) == 0


def test_course_refused_409_when_the_latest_signed_screening_is_not_eligible(doc, screened):
    pid = screened(meaning="declined", findings={"pneumonia": "yes"})
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body())
    assert r.status_code == 409
    assert "decided not eligible" in r.json()["detail"]


def test_course_refused_409_when_an_eligible_screening_was_signed_declined(doc, screened):
    pid = screened(meaning="declined")
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body())
    assert r.status_code == 409
    assert "“declined”" in r.json()["detail"]


def test_course_refused_409_when_the_signed_screening_rests_on_changed_evidence(doc, eligible, db):
    """A new assessment after the signature supersedes the findings the physician signed
    on: the screening stays as signed, but no course is planned on it."""
    pid = eligible()
    r = doc.post(
        f"/api/v1/patients/{pid}/screening-findings", json=good_findings_values(today_utc())
    )
    assert r.status_code == 201, r.text
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body())
    assert r.status_code == 409
    assert "screen the patient again" in r.json()["detail"]
    assert course_count(db) == 0


def test_course_drafted_for_a_patient_whose_latest_signed_screening_is_eligible(doc, eligible):
    pid = eligible()
    out = draft(doc, pid)
    assert out["status"] == "draft"
    assert out["version"] == 1 and out["number"] == 1
    assert out["patient_id"] == pid
    assert out["limits_version"] == 1
    assert out["end_date"] == days_from_today(11).isoformat()
    assert [i["day"] for i in out["infusions"]] == [1, 3]
    assert out["infusions"][1]["date"] == days_from_today(9).isoformat()
    assert out["nebulisations"] == [
        {"day": 2, "date": days_from_today(8).isoformat(), "amount_million_cells": 10.0}
    ]
    assert out["supporting"] == [{"modality": "physiotherapy", "count": 3, "days": [1, 2, 3]}]
    assert out["weight_measured_on"] == today_utc().isoformat()
    assert out["changes_from_previous"] is None


# --- the programme's limits at their cut-offs -----------------------------------------------------


@pytest.mark.parametrize("dose", [0.5, 3.0])
def test_dose_at_the_limits_0_5_and_3_0_per_kg_passes(doc, eligible, dose):
    out = draft(doc, eligible(), infusions=infusions(dose))
    assert out["infusions"][0]["dose_million_cells_per_kg"] == dose


@pytest.mark.parametrize(
    ("dose", "words"),
    [(0.49, "below the lowest dose of 0.5"), (3.01, "above the highest dose of 3.0")],
)
def test_dose_outside_the_limits_refused_naming_the_limit_and_its_version(
    doc, eligible, db, dose, words
):
    pid = eligible()
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body(infusions=infusions(dose)))
    assert r.status_code == 422
    message = errors(r)["infusions.0.dose_million_cells_per_kg"]
    assert words in message
    assert "programme limits version 1" in message
    assert "second physician" in message
    assert course_count(db) == 0


def test_four_infusions_allowed_and_a_fifth_refused(doc, eligible):
    pid = eligible()
    out = draft(doc, pid, stay_days=9, infusions=infusions(1, 1, 1, 1))
    assert len(out["infusions"]) == 4
    r = doc.post(
        f"/api/v1/patients/{pid}/courses",
        json=course_body(stay_days=9, infusions=infusions(1, 1, 1, 1, 1)),
    )
    assert r.status_code == 422
    assert errors(r)["infusions"].startswith(
        "5 IV infusions: at most 4 per course (programme limits version 1)"
    )


@pytest.mark.parametrize("stay", [3, 9])
def test_stay_of_3_and_9_days_allowed(doc, eligible, stay):
    assert draft(doc, eligible(), stay_days=stay)["stay_days"] == stay


@pytest.mark.parametrize(
    ("stay", "words"),
    [(2, "shorter than the shortest stay of 3 days"), (10, "longer than the longest stay of 9")],
)
def test_stay_of_2_or_10_days_refused_naming_the_limit(doc, eligible, stay, words):
    pid = eligible()
    body = course_body(stay_days=stay, infusions=infusions(1), nebulisations=[], supporting=[])
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=body)
    assert r.status_code == 422
    assert words in errors(r)["stay_days"]
    assert "programme limits version 1" in errors(r)["stay_days"]


def test_limits_are_data_a_new_version_applies_and_is_named(doc, eligible, api_as):
    admin = api_as("admin")
    current = admin.get("/api/v1/programme-limits/current").json()
    assert current["version"] == 1
    assert current["dose_max_million_cells_per_kg"] == 3.0
    assert current["infusion_chairs_per_day"] == 4
    assert current["lead_time_bone_marrow_days"] == 28
    assert current["lead_time_adipose_days"] == 21
    body = {k: v for k, v in current.items() if k in LimitsIn.model_fields}
    body.update(dose_max_million_cells_per_kg=2.0, reason="Safety review: cap at 2.0")
    r = admin.post("/api/v1/programme-limits", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 2
    assert doc.get("/api/v1/programme-limits/current").json()["version"] == 2
    pid = eligible()
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body(infusions=infusions(2.5)))
    assert r.status_code == 422
    assert (
        "highest dose of 2.0 ×10^6 cells/kg per IV infusion (programme limits version 2)"
        in (errors(r)["infusions.0.dose_million_cells_per_kg"])
    )
    assert draft(doc, pid, infusions=infusions(2.0))["limits_version"] == 2


def test_limits_with_the_lowest_dose_above_the_highest_refused(api_as):
    admin = api_as("admin")
    body = dict(service.DEFAULT_LIMITS, dose_min_million_cells_per_kg=3.5, reason="typo")
    r = admin.post("/api/v1/programme-limits", json=body)
    assert r.status_code == 422
    assert "dose_min_million_cells_per_kg" in errors(r)


def test_limits_change_between_draft_and_approval_refuses_the_approval(doc, eligible, api_as):
    out = draft(doc, eligible(), infusions=infusions(2.5))
    admin = api_as("admin")
    body = dict(service.DEFAULT_LIMITS, dose_max_million_cells_per_kg=2.0, reason="cap")
    assert admin.post("/api/v1/programme-limits", json=body).status_code == 201
    r = doc.post(
        f"/api/v1/courses/{out['id']}/approve",
        json={"password": doc.account.password, "meaning": APPROVE},
    )
    assert r.status_code == 422
    assert "programme limits version 2" in errors(r)["infusions.0.dose_million_cells_per_kg"]
    assert doc.get(f"/api/v1/courses/{out['id']}").json()["status"] == "draft"


# --- the second physician's override --------------------------------------------------------------


def test_override_by_a_second_physician_lets_a_plan_outside_the_limits_through(
    doc, eligible, make_account, db
):
    second = make_account("physician")
    pid = eligible()
    body = course_body(
        infusions=infusions(3.5),
        override={
            "second_physician_email": second.email,
            "password": second.password,
            "reason": "Partial response to course 1 at 3.0; board agreed 3.5",
        },
    )
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["override"]["second_physician"] == second.actor.name
    assert out["override"]["second_physician_id"] == second.id
    assert [b["limit"] for b in out["override"]["limits"]] == ["dose_max_million_cells_per_kg"]
    assert "programme limits version 1" in out["override"]["limits"][0]["message"]
    with db.session() as session:
        sig = session.get(audit.Signature, out["override"]["signature_id"])
        assert sig is not None
        assert sig.signer_id == second.id and sig.meaning == "approved limit override"
    # the override carries to the approval: the same breach is covered there
    approved = approve(doc, out["id"])
    assert approved["status"] == "approved"


def test_override_by_the_author_of_the_plan_refused(doc, eligible, db):
    pid = eligible()
    body = course_body(
        infusions=infusions(3.5),
        override={
            "second_physician_id": doc.account.id,
            "password": doc.account.password,
            "reason": "I am sure",
        },
    )
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=body)
    assert r.status_code == 422
    assert "another physician than the author" in errors(r)["override.second_physician_id"]
    assert course_count(db) == 0


def test_override_with_the_second_physicians_wrong_password_refused_and_counted(
    doc, eligible, make_account, db
):
    second = make_account("physician")
    pid = eligible()
    body = course_body(
        infusions=infusions(3.5),
        override={"second_physician_id": second.id, "password": "wrong", "reason": "x"},
    )
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=body)
    assert r.status_code == 403
    assert "password" in r.json()["detail"]
    assert course_count(db) == 0
    with db.session() as session:
        user = session.get(User, second.id)
        assert user is not None and user.failed_logins == 1


def test_override_by_an_account_that_is_not_a_physician_refused(doc, eligible, make_account):
    admin = make_account("admin")
    body = course_body(
        infusions=infusions(3.5),
        override={"second_physician_email": admin.email, "password": admin.password, "reason": "x"},
    )
    r = doc.post(f"/api/v1/patients/{eligible()}/courses", json=body)
    assert r.status_code == 422
    assert "not an active physician" in errors(r)["override.second_physician_email"]


def test_override_of_a_plan_within_the_limits_refused_as_not_needed(doc, eligible, make_account):
    second = make_account("physician")
    body = course_body(
        override={"second_physician_id": second.id, "password": second.password, "reason": "x"}
    )
    r = doc.post(f"/api/v1/patients/{eligible()}/courses", json=body)
    assert r.status_code == 422
    assert "no override is needed" in errors(r)["override"]


# --- autologous sources: harvest and lead time ----------------------------------------------------


@pytest.mark.parametrize(
    ("source", "tissue", "lead"),
    [("autologous_bone_marrow", "bone_marrow", 28), ("autologous_adipose", "adipose", 21)],
)
def test_autologous_course_starts_no_sooner_than_harvest_plus_lead_time(
    doc, eligible, db, source, tissue, lead
):
    pid = eligible()
    harvested = today_utc() - dt.timedelta(days=10)
    hid = make_harvest(db, pid, tissue, harvested)
    earliest = harvested + dt.timedelta(days=lead)
    r = doc.post(
        f"/api/v1/patients/{pid}/courses",
        json=course_body(
            source=source, harvest_id=hid, start_date=(earliest - dt.timedelta(days=1)).isoformat()
        ),
    )
    assert r.status_code == 422
    message = errors(r)["start_date"]
    assert f"the earliest possible start is {earliest.isoformat()}" in message
    assert f"need {lead} days" in message and "programme limits version 1" in message
    out = draft(doc, pid, source=source, harvest_id=hid, start_date=earliest.isoformat())
    assert out["harvest_id"] == hid and out["start_date"] == earliest.isoformat()


def test_autologous_course_refused_with_another_patients_harvest(doc, eligible, make_patient, db):
    pid = eligible()
    other = make_patient(first_name="Other", email="other@mail.example")
    hid = make_harvest(db, other, "bone_marrow", today_utc() - dt.timedelta(days=40))
    body = course_body(source="autologous_bone_marrow", harvest_id=hid)
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=body)
    assert r.status_code == 422
    assert "another patient's" in errors(r)["harvest_id"]


def test_autologous_course_refused_with_a_harvest_of_the_other_tissue(doc, eligible, db):
    pid = eligible()
    hid = make_harvest(db, pid, "adipose", today_utc() - dt.timedelta(days=40))
    r = doc.post(
        f"/api/v1/patients/{pid}/courses",
        json=course_body(source="autologous_bone_marrow", harvest_id=hid),
    )
    assert r.status_code == 422
    assert "needs a bone marrow harvest" in errors(r)["harvest_id"]


def test_autologous_course_without_a_harvest_refused(doc, eligible):
    r = doc.post(
        f"/api/v1/patients/{eligible()}/courses",
        json=course_body(source="autologous_adipose"),
    )
    assert r.status_code == 422
    assert "harvest first" in errors(r)["harvest_id"]


def test_cord_course_naming_a_harvest_refused(doc, eligible, db):
    pid = eligible()
    hid = make_harvest(db, pid, "adipose", today_utc() - dt.timedelta(days=40))
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body(harvest_id=hid))
    assert r.status_code == 422
    assert "released donor lot" in errors(r)["harvest_id"]


# --- the plan itself ------------------------------------------------------------------------------


def test_infusion_day_after_the_last_day_of_the_stay_refused(doc, eligible):
    body = course_body(stay_days=5, infusions=infusions(1, first_day=6))
    r = doc.post(f"/api/v1/patients/{eligible()}/courses", json=body)
    assert r.status_code == 422
    assert "after the last day of a 5-day stay" in errors(r)["infusions.0.day"]


def test_two_infusions_on_one_day_refused(doc, eligible):
    body = course_body(
        infusions=[
            {"day": 2, "dose_million_cells_per_kg": 1},
            {"day": 2, "dose_million_cells_per_kg": 1},
        ]
    )
    r = doc.post(f"/api/v1/patients/{eligible()}/courses", json=body)
    assert r.status_code == 422
    assert "at most one IV infusion a day" in errors(r)["infusions.1.day"]


def test_supporting_sessions_must_spread_evenly_over_their_days(doc, eligible):
    pid = eligible()
    bad = [{"modality": "plasmapheresis", "count": 3, "days": [1, 2]}]
    r = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body(supporting=bad))
    assert r.status_code == 422
    assert "spread evenly" in errors(r)["supporting.0.count"]
    good = [{"modality": "plasmapheresis", "count": 4, "days": [1, 2]}]
    out = draft(doc, pid, supporting=good)
    day_one = service.day_by_day(CourseOut.model_validate(out))[0]
    assert day_one.supporting == [("plasmapheresis", 2)]


def test_course_starting_in_the_past_refused(doc, eligible):
    body = course_body(start_date=(today_utc() - dt.timedelta(days=1)).isoformat())
    r = doc.post(f"/api/v1/patients/{eligible()}/courses", json=body)
    assert r.status_code == 422
    assert "is in the past" in errors(r)["start_date"]


# --- the infusion room's chairs -------------------------------------------------------------------


def test_capacity_full_on_a_day_refuses_a_plan_with_that_day_named(doc, eligible, api_as):
    admin = api_as("admin")
    body = dict(service.DEFAULT_LIMITS, infusion_chairs_per_day=2, reason="two chairs")
    assert admin.post("/api/v1/programme-limits", json=body).status_code == 201
    start = days_from_today(7)
    # two approved courses take both chairs on day 1; their day-3 infusions differ
    a = draft(doc, eligible(), infusions=[{"day": 1, "dose_million_cells_per_kg": 1}])
    approve(doc, a["id"])
    # a draft holds no chair: with one approved course, another still fits
    b = draft(doc, eligible(), infusions=[{"day": 1, "dose_million_cells_per_kg": 1}])
    approve(doc, b["id"])
    pid = eligible()
    r = doc.post(
        f"/api/v1/patients/{pid}/courses",
        json=course_body(infusions=infusions(1, 1)),  # days 1 and 2
    )
    assert r.status_code == 409
    detail = r.json()["detail"]
    assert f"full on {start.isoformat()} (day 1, 2 of 2 chairs taken)" in detail
    assert (start + dt.timedelta(days=1)).isoformat() not in detail
    assert "programme limits version 2" in detail
    # a day later, it fits
    later = draft(doc, pid, start_date=days_from_today(8).isoformat(), infusions=infusions(1))
    assert later["status"] == "draft"


def test_approval_refused_when_the_chairs_filled_since_the_draft(doc, eligible, api_as):
    admin = api_as("admin")
    body = dict(service.DEFAULT_LIMITS, infusion_chairs_per_day=1, reason="one chair")
    assert admin.post("/api/v1/programme-limits", json=body).status_code == 201
    first = draft(doc, eligible(), infusions=infusions(1))
    second = draft(doc, eligible(), infusions=infusions(1))
    approve(doc, first["id"])
    r = doc.post(
        f"/api/v1/courses/{second['id']}/approve",
        json={"password": doc.account.password, "meaning": APPROVE},
    )
    assert r.status_code == 409
    assert "infusion room is full" in r.json()["detail"]


# --- approval, revisions, supersession ------------------------------------------------------------


def test_approval_signs_the_course_and_an_approved_course_cannot_be_approved_again(
    doc, eligible, db
):
    out = draft(doc, eligible())
    approved = approve(doc, out["id"])
    assert approved["status"] == "approved"
    assert approved["meaning"] == APPROVE
    assert approved["approved_by"] == doc.account.actor.name
    assert len(approved["content_hash"]) == 64
    again = approve(doc, out["id"], expected=409)
    assert "never changes" in again["detail"]
    with db.session() as session:
        actions = [r.action for r in audit.history(session, "course", out["id"])]
        assert actions == ["create", "approve"]
        assert audit.verify_chain(session).ok


def test_approval_with_a_wrong_password_or_meaning_refused(doc, eligible):
    out = draft(doc, eligible())
    approve(doc, out["id"], expected=403, password="wrong")
    r = doc.post(
        f"/api/v1/courses/{out['id']}/approve",
        json={"password": doc.account.password, "meaning": "approved eligibility"},
    )
    assert r.status_code == 422
    assert doc.get(f"/api/v1/courses/{out['id']}").json()["status"] == "draft"


def test_revision_is_a_new_version_that_supersedes_on_approval_with_the_differences(doc, eligible):
    pid = eligible()
    v1 = draft(doc, pid)
    approve(doc, v1["id"])
    body = course_body(
        stay_days=6,
        infusions=[
            {"day": 1, "dose_million_cells_per_kg": 1.0},
            {"day": 3, "dose_million_cells_per_kg": 1.5},
        ],
        supporting=[
            {"modality": "physiotherapy", "count": 3, "days": [1, 2, 3]},
            {"modality": "low_level_laser", "count": 2, "days": [2, 4]},
        ],
    )
    r = doc.post(f"/api/v1/courses/{v1['id']}/revise", json=body)
    assert r.status_code == 201, r.text
    v2 = r.json()
    assert (v2["number"], v2["version"], v2["status"]) == (1, 2, "draft")
    assert v2["revises_id"] == v1["id"]
    changes = {c["field"]: (c["before"], c["after"]) for c in v2["changes_from_previous"]}
    assert changes["stay_days"] == (5, 6)
    assert changes["end_date"] == (days_from_today(11).isoformat(), days_from_today(12).isoformat())
    assert changes["infusions.2.dose_million_cells_per_kg"] == (1.0, 1.5)
    assert changes["infusions.2.cells_total"] == (70_000_000, 105_000_000)
    assert changes["supporting.low_level_laser.count"] == (None, 2)
    assert "infusions.1.dose_million_cells_per_kg" not in changes
    # the approved version stays in force until the revision is approved
    old = doc.get(f"/api/v1/courses/{v1['id']}").json()
    assert old["status"] == "approved" and old["revision_id"] == v2["id"]
    assert old["superseded_by_id"] is None
    approve(doc, v2["id"])
    old = doc.get(f"/api/v1/courses/{v1['id']}").json()
    assert old["status"] == "superseded" and old["superseded_by_id"] == v2["id"]
    listed = doc.get(f"/api/v1/patients/{pid}/courses").json()
    assert [(c["version"], c["status"]) for c in listed] == [(2, "approved"), (1, "superseded")]


def test_superseded_course_cannot_be_revised_and_a_course_is_revised_once(doc, eligible):
    v1 = draft(doc, eligible())
    approve(doc, v1["id"])
    v2 = doc.post(f"/api/v1/courses/{v1['id']}/revise", json=course_body(stay_days=6)).json()
    r = doc.post(f"/api/v1/courses/{v1['id']}/revise", json=course_body(stay_days=7))
    assert r.status_code == 409
    assert "already has version 2" in r.json()["detail"]
    approve(doc, v2["id"])
    r = doc.post(f"/api/v1/courses/{v1['id']}/revise", json=course_body(stay_days=7))
    assert r.status_code == 409
    assert "superseded" in r.json()["detail"]


def test_revising_a_draft_supersedes_the_draft_at_once(doc, eligible):
    v1 = draft(doc, eligible())
    v2 = doc.post(f"/api/v1/courses/{v1['id']}/revise", json=course_body(stay_days=4)).json()
    assert v2["version"] == 2
    old = doc.get(f"/api/v1/courses/{v1['id']}").json()
    assert old["status"] == "superseded" and old["superseded_by_id"] == v2["id"]


def test_a_revision_of_a_course_under_way_keeps_its_past_start_date(doc, eligible, db):
    v1 = draft(doc, eligible())
    approve(doc, v1["id"])
    # the stay began two days ago (moved by hand: time passes)
    with db.transaction() as session:
        row = session.get(Course, v1["id"])
        assert row is not None
        shift = dt.timedelta(days=9)
        row.start_date -= shift
        row.end_date -= shift
        for i in row.infusions:
            i.on_date -= shift
    start = (days_from_today(7) - dt.timedelta(days=9)).isoformat()
    r = doc.post(f"/api/v1/courses/{v1['id']}/revise", json=course_body(start_date=start))
    assert r.status_code == 201, r.text


def test_overlapping_stay_with_an_approved_course_refused(doc, eligible):
    pid = eligible()
    approve(doc, draft(doc, pid)["id"])
    r = doc.post(
        f"/api/v1/patients/{pid}/courses",
        json=course_body(start_date=days_from_today(9).isoformat()),
    )
    assert r.status_code == 409
    assert "overlaps course 1" in r.json()["detail"]


# --- repeat courses -------------------------------------------------------------------------------


def test_repeat_course_is_numbered_per_patient_and_linked_to_the_first(doc, eligible):
    pid = eligible()
    first = draft(doc, pid)
    r = doc.post(
        f"/api/v1/patients/{pid}/courses",
        json=course_body(start_date=days_from_today(97).isoformat(), repeat_of_id=first["id"]),
    )
    assert r.status_code == 422  # a draft is not repeated
    assert "a repeat course follows an approved course" in errors(r)["repeat_of_id"]
    approve(doc, first["id"])
    repeat = draft(doc, pid, start_date=days_from_today(97).isoformat(), repeat_of_id=first["id"])
    assert (repeat["number"], repeat["version"], repeat["repeat_of_id"]) == (2, 1, first["id"])
    revised = doc.post(
        f"/api/v1/courses/{repeat['id']}/revise",
        json=course_body(start_date=days_from_today(98).isoformat()),
    ).json()
    assert (revised["number"], revised["version"]) == (2, 2)
    assert revised["repeat_of_id"] == first["id"]
    other = eligible()
    assert draft(doc, other)["number"] == 1  # numbered per patient


def test_repeat_of_another_patients_course_refused(doc, eligible):
    first = draft(doc, eligible())
    approve(doc, first["id"])
    r = doc.post(
        f"/api/v1/patients/{eligible()}/courses",
        json=course_body(repeat_of_id=first["id"]),
    )
    assert r.status_code == 422
    assert "has no course" in errors(r)["repeat_of_id"]


# --- medication at approval -----------------------------------------------------------------------


def test_medication_recorded_at_approval_from_the_newest_treatment_history(doc, eligible, db):
    pid = eligible()
    system = Actor.system("test")
    with db.transaction() as session:
        visit = diagnostics_service.create_visit(
            session, system, pid, VisitIn(visit_date=today_utc() - dt.timedelta(days=3))
        )
    history = {
        "ics_dose_level": "high",
        "laba": True,
        "lama": False,
        "maintenance_ocs": True,
        "ocs_dose_mg_per_day": 5,
        "biologic": "mepolizumab",
        "gina_step": 5,
        "severe_exacerbations_12m": 2,
        "hospitalisations_12m": 0,
        "rescue_puffs_per_week": 10,
    }
    with db.transaction() as session:
        diagnostics_service.record_history(
            session, system, visit.id, HistoryIn.model_validate(history)
        )
    out = draft(doc, pid)
    assert out["medication_at_approval"] is None
    approved = approve(doc, out["id"])
    med = approved["medication_at_approval"]
    assert med.startswith(
        "high-dose inhaled corticosteroid, long-acting beta-agonist (LABA), maintenance oral "
        "corticosteroid 5 mg/day prednisone-equivalent, biologic: mepolizumab; GINA step 5"
    )
    assert (today_utc() - dt.timedelta(days=3)).isoformat() in med


def test_medication_not_recorded_without_a_treatment_history(doc, eligible):
    out = draft(doc, eligible())
    assert approve(doc, out["id"])["medication_at_approval"] == "not recorded"


# --- arithmetic -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dose", "weight", "cells"),
    [
        (1.0, 70.0, 70_000_000),
        (1.5, 64.5, 96_750_000),
        (0.5, 58.3, 29_150_000),
        (2.7, 81.9, 221_130_000),
        (3.0, 123.4, 370_200_000),
        (1.23, 67.89, 83_504_700),
    ],
)
def test_cells_total_is_dose_times_a_million_times_weight_rounded(dose, weight, cells):
    assert service.cells_total(dose, weight) == cells


def test_cells_total_stored_per_infusion_with_the_weight_and_its_date(doc, eligible):
    measured = (today_utc() - dt.timedelta(days=2)).isoformat()
    out = draft(
        doc,
        eligible(),
        weight_kg=64.5,
        weight_measured_on=measured,
        infusions=infusions(1.5, 2.25),
    )
    assert [i["cells_total"] for i in out["infusions"]] == [96_750_000, 145_125_000]
    assert isinstance(out["infusions"][0]["cells_total"], int)
    assert out["weight_kg"] == 64.5 and out["weight_measured_on"] == measured


# --- who sees what --------------------------------------------------------------------------------


def test_patient_reads_only_their_own_approved_courses(doc, eligible, api_as):
    pid = eligible()
    approved = draft(doc, pid)
    approve(doc, approved["id"])
    pending = draft(doc, pid, start_date=days_from_today(60).isoformat())
    me = api_as("patient", patient_id=pid)
    assert [c["id"] for c in me.get(f"/api/v1/patients/{pid}/courses").json()] == [approved["id"]]
    assert me.get(f"/api/v1/courses/{approved['id']}").status_code == 200
    assert me.get(f"/api/v1/courses/{pending['id']}").status_code == 404
    stranger = api_as("patient")
    assert stranger.get(f"/api/v1/courses/{approved['id']}").status_code == 404
    assert stranger.get(f"/api/v1/patients/{pid}/courses").status_code == 404


@pytest.mark.parametrize("role", ["nurse", "coordinator", "lab", "admin"])
def test_ward_travel_lab_and_admin_read_courses(doc, eligible, api_as, role):
    pid = eligible()
    out = draft(doc, pid)
    reader = api_as(role)
    assert reader.get(f"/api/v1/courses/{out['id']}").json()["status"] == "draft"
    assert len(reader.get(f"/api/v1/patients/{pid}/courses").json()) == 1


def test_approved_courses_on_a_day_are_those_whose_stay_covers_it(doc, eligible, db):
    a = draft(doc, eligible())  # days +7..+11
    approve(doc, a["id"])
    draft(doc, eligible())  # a draft: not on the board
    with db.session() as session:
        assert service.approved_courses_on(session, days_from_today(6)) == []
        assert [c.id for c in service.approved_courses_on(session, days_from_today(7))] == [a["id"]]
        assert [c.id for c in service.approved_courses_on(session, days_from_today(11))] == [
            a["id"]
        ]
        assert service.approved_courses_on(session, days_from_today(12)) == []
        got = service.get_course(session, Actor.system("test"), a["id"])
        assert got.end_date == days_from_today(11) and got.number == 1


def test_course_without_an_iv_infusion_refused(doc, eligible):
    r = doc.post(f"/api/v1/patients/{eligible()}/courses", json=course_body(infusions=[]))
    assert r.status_code == 422
    assert "infusions" in errors(r)


def test_refused_plan_changes_nothing_and_a_stored_one_is_audited(doc, eligible, db):
    pid = eligible()
    doc.post(f"/api/v1/patients/{pid}/courses", json=course_body(stay_days=10))
    assert course_count(db) == 0
    out = draft(doc, pid)
    with db.session() as session:
        [record] = audit.history(session, "course", out["id"])
        assert record.action == "create" and record.actor_id == doc.account.id
