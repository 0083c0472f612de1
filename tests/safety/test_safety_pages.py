"""The safety pages: the two-step record form (the chosen term's grade definitions in
view), errors next to their fields, the event's page with its clock and the e-signed
report, the correction form, the overview, the roster and the reference list pages, in
English and German."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from respira.kit.validation import today_utc
from tests.conftest import PASSWORD

IRR = "Infusion related reaction"


def form_for(patient_id: int, term: str) -> str:
    return f"/patients/{patient_id}/adverse-events/new?term={quote(term)}"


def post_event(page: Any, patient_id: int, **fields: str) -> Any:
    data = {
        "term": "Fever",
        "grade": "1",
        "onset_date": "",
        "causality": "possible",
        **fields,
    }
    return page.post_form(f"/patients/{patient_id}/adverse-events", data, follow_redirects=False)


def test_the_form_shows_the_chosen_terms_grades_with_their_definitions_only(page_as, make_patient):
    nurse = page_as("nurse")
    pid = make_patient()
    first = nurse.get(f"/patients/{pid}/adverse-events/new")
    assert first.status_code == 200 and 'id="choose-term"' in first.text
    irr = nurse.get(form_for(pid, IRR)).text
    assert "Prolonged (e.g. not rapidly responsive" in irr and 'id="f-grade-5"' in irr
    assert "Mild pain" not in irr  # another term's definitions are not shown
    anaphylaxis = nurse.get(form_for(pid, "Anaphylaxis")).text
    assert 'id="f-grade-1"' not in anaphylaxis and 'id="f-grade-3"' in anaphylaxis
    assert "The planned infusion stay is not hospitalisation" in anaphylaxis


def test_a_recorded_serious_event_opens_its_page_with_the_clock(page_as, treated):
    nurse = page_as("nurse")
    r = post_event(
        nurse,
        treated.pid,
        term=IRR,
        grade="3",
        onset_date=treated.course.start_date.isoformat(),
        causality="probable",
        administration_id=str(treated.administration_id),
        **{"criterion-hospitalisation": "on"},
    )
    assert r.status_code == 303, r.text
    page = nurse.get(r.headers["location"]).text
    assert "The adverse event was recorded." in page and "SERIOUS" in page
    assert "days left: 15" in page and "SUSAR, other" in page
    assert "Hospitalisation, or a stay prolonged beyond the plan" in page
    assert 'id="sign-report"' not in page  # a nurse does not sign


def test_a_refused_form_keeps_what_was_entered_and_says_why_beside_the_field(page_as, make_patient):
    nurse = page_as("nurse")
    pid = make_patient()
    fields = {"term": "Headache", "grade": "4", "onset_date": "2020-01-01", "narrative": "kept"}
    r = post_event(nurse, pid, **fields)
    assert r.status_code == 422
    assert "Headache has no grade 4" in r.text and ">kept</textarea>" in r.text
    assert 'id="chosen-term">Headache' in r.text


def test_a_physician_signs_the_initial_report_on_the_events_page(page_as, nurse_api, make_patient):
    pid = make_patient()
    body = {
        "term": "Hypotension",
        "grade": 3,
        "onset_date": today_utc().isoformat(),
        "serious_criteria": ["important_medical_event"],
        "causality": "possible",
    }
    eid = nurse_api.post(f"/api/v1/patients/{pid}/adverse-events", json=body).json()["id"]
    doctor = page_as("physician")
    url = f"/adverse-events/{eid}"
    data = {"kind": "initial", "text": "Hypotension after the infusion"}
    wrong = doctor.post_form(url + "/reports", {**data, "password": "wrong"}, csrf_from=url)
    assert wrong.status_code == 403 and "password given for the signature" in wrong.text
    r = doctor.post_form(url + "/reports", {**data, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    page = doctor.get(url).text
    assert "Hypotension after the infusion" in page and "signed by" in page
    assert re.search(r'id="initial-clock">.*signed', page, re.S)
    assert "Follow-up report" in page  # the next report the form offers


def test_the_correction_form_saves_with_its_reason_and_the_patient_page_lists_it(
    page_as, nurse_api, make_patient
):
    pid = make_patient()
    body = {"term": "Nausea", "grade": 1, "onset_date": "2024-05-01", "causality": "possible"}
    eid = nurse_api.post(f"/api/v1/patients/{pid}/adverse-events", json=body).json()["id"]
    nurse = page_as("nurse")
    form = nurse.get(f"/adverse-events/{eid}/correct")
    assert 'name="reason"' in form.text and 'value="1" checked' in form.text
    data = {**{k: str(v) for k, v in body.items()}, "grade": "2", "version": "1"}
    missing = nurse.post_form(f"/adverse-events/{eid}/correct", data)
    assert missing.status_code == 422
    r = nurse.post_form(
        f"/adverse-events/{eid}/correct",
        {**data, "reason": "oral intake was reduced"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = nurse.get(f"/adverse-events/{eid}").text
    assert "oral intake was reduced" in page and "grade 2" in page
    patient_page = nurse.get(f"/patients/{pid}").text  # the patient page's section
    assert 'id="adverse-events"' in patient_page and "Nausea, grade 2" in patient_page
    assert f"/patients/{pid}/adverse-events/new" in patient_page


def test_the_overview_shows_counts_with_the_denominator_and_lot_flags(page_as, nurse_api, treated):
    adm = treated.administration_id
    for term in (IRR, "Dyspnea", "Hypotension"):
        body = {
            "term": term,
            "grade": 3,
            "onset_date": treated.course.start_date.isoformat(),
            "causality": "definite",
            "administration_id": adm,
        }
        r = nurse_api.post(f"/api/v1/patients/{treated.pid}/adverse-events", json=body)
        assert r.status_code == 201
    lab = page_as("lab")
    page = lab.get("/safety").text
    assert "Patients treated (at least one administration): 1." in page
    assert "1 / 1 (100 %)" in page and "FLAGGED for the laboratory" in page
    assert "Serious events needing attention" not in page  # the lab reads no patient events
    lot = lab.get(f"/safety/lots/{treated.lot_id}").text
    assert "Recall the lot" in lot and 'name="password"' in lot
    german = lab.get("/safety?lang=de").text
    assert "FÜR DAS LABOR MARKIERT" in german and "Behandelte Patientinnen" in german


def test_an_admin_adds_a_shift_in_clinic_time_and_removes_it(page_as, make_account):
    doctor = make_account("physician")
    admin = page_as("admin")
    r = admin.post_form(
        "/safety/on-call",
        {
            "role": "physician",
            "user_id": str(doctor.id),
            "starts_at": "2030-01-06T08:00",
            "ends_at": "2030-01-07T08:00",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = admin.get(r.headers["location"]).text
    assert "The shift was added to the roster." in page
    shifts = page[page.index('id="shifts"') : page.index("</table>")]
    assert doctor.actor.name in shifts and "Jan 6, 2030, 8:00:00\u202fAM UTC" in shifts
    shift = re.search(r"/safety/on-call/(\d+)/remove", page).group(1)
    r = admin.post_form(f"/safety/on-call/{shift}/remove", {}, follow_redirects=False)
    assert r.status_code == 303
    assert "Nobody is on call now or later." in admin.get("/safety/on-call").text


def test_a_physician_publishes_a_new_reference_list_on_its_page(page_as):
    doctor = page_as("physician")
    page = doctor.get("/safety/expected-reactions").text
    assert "In force today: version 1" in page
    r = doctor.post_form(
        "/safety/expected-reactions",
        {
            "effective_from": today_utc().isoformat(),
            "term-Fever": "on",
            "term-Chills": "on",
            "source": "consent form v2",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert "In force today: version 2" in doctor.get("/safety/expected-reactions").text
