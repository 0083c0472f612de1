"""The stay's pages, on each database: the ward board, the bedside check answering
GO / NO-GO in words with the reasons, the administration form with its vital-signs
rows, admission and discharge buttons, and the Treatment section of the patient's page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from respira.kit.db import utcnow
from respira.products import din as dins
from tests.treatment.treatment_helpers import clinic_input


def test_ward_board_lists_the_patient_of_the_day_with_admit_button(page_as, ready):
    nurse = page_as("nurse")
    r = nurse.get("/ward")
    assert r.status_code == 200
    assert ready.mrn in r.text and "Not admitted" in r.text and "Admit" in r.text
    assert "Not yet" in r.text and "IV infusion, day 1" in r.text


def test_coordinator_reads_the_board_without_ward_buttons(page_as, ready):
    r = page_as("coordinator").get("/ward")
    assert r.status_code == 200 and ready.mrn in r.text
    assert "Bedside check" not in r.text and "Admit " not in r.text


def test_lab_may_not_open_the_ward(page_as):
    assert page_as("lab").get("/ward").status_code == 403


def test_admit_and_discharge_from_the_board(page_as, ready):
    nurse = page_as("nurse")
    r = nurse.post_form(
        f"/patients/{ready.pid}/admissions",
        {"course_id": ready.course.id, "admitted_at": clinic_input(utcnow()), "day": ""},
        follow_redirects=True,
    )
    assert r.status_code == 200 and "In the ward" in r.text
    admission = re.search(r'action="/admissions/(\d+)/discharge"', r.text)
    assert admission
    r = nurse.post_form(
        f"/admissions/{admission.group(1)}/discharge", {"note": "home"}, follow_redirects=True
    )
    assert "Discharged" in r.text


def test_bedside_check_page_answers_no_go_in_words_with_the_reasons(page_as, ready, clinic):
    nurse = page_as("nurse")
    other = clinic.eligible_patient()
    r = nurse.post_form(
        "/ward/bedside-check",
        {"patient_code": clinic.mrn(other), "din": ready.din},
        csrf_from="/ward/bedside-check",
    )
    assert r.status_code == 200
    assert "NO-GO" in r.text and "Do not give this unit" in r.text
    assert "not allocated to a course of this patient" in r.text or "another patient" in r.text


def test_bedside_check_page_shows_a_wrong_check_character_next_to_the_din(page_as, ready):
    nurse = page_as("nurse")
    right = dins.check_character(ready.din)
    wrong = next(c for c in dins.CHARSET if c != right)
    r = nurse.post_form(
        "/ward/bedside-check", {"patient_code": ready.mrn, "din": ready.din + wrong}
    )
    assert r.status_code == 400 and "check character" in r.text and 'id="e-din"' in r.text


def test_go_check_then_the_administration_form_records_it(page_as, ready, clinic):
    nurse = page_as("nurse")
    r = nurse.post_form("/ward/bedside-check", {"patient_code": ready.mrn, "din": ready.din})
    assert ">GO<" in r.text
    link = re.search(r'href="(/ward/administrations/new\?[^"]+)"', r.text)
    assert link
    form = nurse.get(link.group(1).replace("&amp;", "&"))
    assert form.status_code == 200 and "Vital signs before" in form.text
    now = utcnow()
    data: dict[str, Any] = {
        "din": ready.din,
        "patient_id": ready.pid,
        "course_id": ready.course.id,
        "route": "iv",
        "started_at": clinic_input(now - dt.timedelta(minutes=30)),
        "ended_at": clinic_input(now - dt.timedelta(minutes=10)),
        "volume_ml": "50",
        "rate_ml_per_h": "150",
        "witness_email": clinic.witness.email,
        "before-temperature_c": "36.6",
        "before-heart_rate_bpm": "70",
        "before-systolic_mmhg": "120",
        "before-diastolic_mmhg": "80",
        "after-temperature_c": "43.5",
        "reaction-fever": "1",
    }
    bad = nurse.post_form("/ward/administrations", data)
    assert bad.status_code == 422 and "not plausible" in bad.text
    data["after-temperature_c"] = "38.1"
    ok = nurse.post_form("/ward/administrations", data, follow_redirects=True)
    assert ok.status_code == 200, ok.text
    assert "Administration recorded" in ok.text and "fever" in ok.text
    page = nurse.get(f"/patients/{ready.pid}")
    assert 'id="treatment"' in page.text and ready.din in page.text


def test_patients_chain_of_identity_shows_the_bedside_check_in_the_units_timeline(page_as, ready):
    nurse = page_as("nurse")
    nurse.post_form("/ward/bedside-check", {"patient_code": ready.mrn, "din": ready.din})
    r = nurse.get(f"/patients/{ready.pid}/chain-of-identity")
    assert r.status_code == 200
    assert ready.din in r.text and "bedside check" in r.text and "GO for patient" in r.text
