"""The protocol pages: the "Treatment courses" section, the course form with its errors
next to the fields, the course page with approval, revision and repeat, the printable
schedule, and the programme limits page."""

from __future__ import annotations

import re
from typing import Any

from tests.protocols.helpers import course_body


def form_of(body: dict[str, Any]) -> dict[str, str]:
    """A course body as the form posts it."""
    data = {
        "source": body["source"],
        "start_date": body["start_date"],
        "stay_days": str(body["stay_days"]),
        "weight_kg": str(body["weight_kg"]),
        "premedication": body.get("premedication", ""),
    }
    for n, inf in enumerate(body["infusions"]):
        data[f"infusions.{n}.day"] = str(inf["day"])
        data[f"infusions.{n}.dose_million_cells_per_kg"] = str(inf["dose_million_cells_per_kg"])
    for n, neb in enumerate(body["nebulisations"]):
        data[f"nebulisations.{n}.day"] = str(neb["day"])
        data[f"nebulisations.{n}.amount_million_cells"] = str(neb["amount_million_cells"])
    for sup in body["supporting"]:
        data[f"supporting.{sup['modality']}.count"] = str(sup["count"])
        data[f"supporting.{sup['modality']}.days"] = ", ".join(str(d) for d in sup["days"])
    return data


def course_id_of(response: Any) -> int:
    m = re.search(r"/courses/(\d+)", response.headers["location"])
    assert m
    return int(m.group(1))


def test_patient_page_lists_courses_and_offers_planning_to_physicians_only(page_as, eligible, doc):
    pid = eligible()
    doc.post(f"/api/v1/patients/{pid}/courses", json=course_body())
    physician = page_as("physician")
    html = physician.get(f"/patients/{pid}").text
    assert "Treatment courses" in html
    assert f'href="/patients/{pid}/courses/new"' in html
    assert "Course 1, version 1" in html and "Draft" in html
    nurse = page_as("nurse")
    html = nurse.get(f"/patients/{pid}").text
    assert "Course 1, version 1" in html
    assert "Plan a course" not in html


def test_patient_page_says_why_no_course_can_be_planned(page_as, screened):
    pid = screened(meaning=None)
    html = page_as("physician").get(f"/patients/{pid}").text
    assert "No course can be planned" in html and "is not signed" in html
    assert "Plan a course" not in html


def test_course_form_stores_a_draft_and_the_page_shows_cells_and_schedule(page_as, eligible):
    pid = eligible()
    physician = page_as("physician")
    assert physician.get(f"/patients/{pid}/courses/new").status_code == 200
    r = physician.post_form(
        f"/patients/{pid}/courses", form_of(course_body()), follow_redirects=False
    )
    assert r.status_code == 303, r.text
    cid = course_id_of(r)
    html = physician.get(f"/courses/{cid}").text
    assert "70,000,000" in html  # 1.0 ×10^6/kg at 70 kg
    assert "Day 5" in html and "Physiotherapy" in html
    assert f'action="/courses/{cid}/approve"' in html


def test_course_form_shows_a_limit_error_next_to_its_infusion_row(page_as, eligible):
    pid = eligible()
    physician = page_as("physician")
    body = course_body(
        infusions=[
            {"day": 1, "dose_million_cells_per_kg": 1.0},
            {"day": 3, "dose_million_cells_per_kg": 3.01},
        ]
    )
    r = physician.post_form(f"/patients/{pid}/courses", form_of(body))
    assert r.status_code == 422
    m = re.search(r'id="e-infusions\.1\.dose_million_cells_per_kg">([^<]*)<', r.text)
    assert m, r.text
    assert "3.01" in m.group(1) and "programme limits version 1" in m.group(1)
    assert 'value="3.01"' in r.text  # what was typed stays


def test_course_form_shows_a_schema_error_next_to_its_field(page_as, eligible):
    pid = eligible()
    data = form_of(course_body())
    data["infusions.0.dose_million_cells_per_kg"] = "lots"
    data["supporting.physiotherapy.days"] = "1, x"
    r = page_as("physician").post_form(f"/patients/{pid}/courses", data)
    assert r.status_code == 422
    assert 'id="e-infusions.0.dose_million_cells_per_kg"' in r.text
    assert 'id="e-supporting.physiotherapy.days"' in r.text


def test_approve_form_wrong_password_is_shown_next_to_the_password(page_as, eligible, doc):
    pid = eligible()
    cid = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body()).json()["id"]
    physician = page_as("physician")
    r = physician.post_form(
        f"/courses/{cid}/approve", {"password": "wrong", "meaning": "approved protocol"}
    )
    assert r.status_code == 403
    assert 'id="e-password"' in r.text
    r = physician.post_form(
        f"/courses/{cid}/approve",
        {"password": physician.account.password, "meaning": "approved protocol"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    html = physician.get(f"/courses/{cid}").text
    assert "Approved" in html and "Revise (new version)" in html and "Plan a repeat course" in html


def test_revision_page_shows_the_differences_field_by_field(page_as, eligible, doc):
    pid = eligible()
    cid = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body()).json()["id"]
    doc.post(
        f"/api/v1/courses/{cid}/approve",
        json={"password": doc.account.password, "meaning": "approved protocol"},
    )
    physician = page_as("physician")
    form = physician.get(f"/courses/{cid}/revise").text
    assert 'value="1"' in form  # prefilled from the approved version
    data = form_of(course_body(stay_days=6))
    r = physician.post_form(f"/courses/{cid}/revise", data, follow_redirects=False)
    assert r.status_code == 303, r.text
    html = physician.get(f"/courses/{course_id_of(r)}").text
    assert "Changes from version 1" in html
    assert re.search(r"<td>Stay days</td><td>5</td><td>6</td>", html)


def test_printable_schedule_tells_the_patient_to_continue_their_medication(page_as, eligible, doc):
    pid = eligible()
    cid = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body()).json()["id"]
    draft_html = page_as("nurse").get(f"/courses/{cid}/schedule").text
    assert "not an approved plan" in draft_html
    doc.post(
        f"/api/v1/courses/{cid}/approve",
        json={"password": doc.account.password, "meaning": "approved protocol"},
    )
    html = page_as("patient", patient_id=pid).get(f"/courses/{cid}/schedule").text
    assert "Continue your regular asthma medication" in html
    assert "not recorded" in html
    assert html.count('<li id="day-') == 5
    assert "Cetirizine" in html


def test_lab_reads_a_course_page_for_dose_preparation(page_as, eligible, doc):
    pid = eligible()
    cid = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body()).json()["id"]
    r = page_as("lab").get(f"/courses/{cid}")
    assert r.status_code == 200
    assert "70,000,000" in r.text
    assert "Approve the course" not in r.text


def test_admin_stores_a_new_limits_version_on_the_limits_page(page_as):
    admin = page_as("admin")
    html = admin.get("/programme-limits").text
    assert "In force: version 1" in html
    data = {
        "dose_min_million_cells_per_kg": "0.5",
        "dose_max_million_cells_per_kg": "2.5",
        "max_infusions_per_course": "4",
        "stay_min_days": "3",
        "stay_max_days": "9",
        "lead_time_bone_marrow_days": "35",
        "lead_time_adipose_days": "21",
        "infusion_chairs_per_day": "5",
        "reason": "",
    }
    r = admin.post_form("/programme-limits", data)
    assert r.status_code == 422 and 'id="e-reason"' in r.text
    data["reason"] = "New chair; longer marrow culture"
    r = admin.post_form("/programme-limits", data, follow_redirects=False)
    assert r.status_code == 303
    html = admin.get("/programme-limits").text
    assert "In force: version 2" in html and "Earlier versions" in html
    physician_html = page_as("physician").get("/programme-limits").text
    assert "In force: version 2" in physician_html
    assert "Store a new version" not in physician_html
