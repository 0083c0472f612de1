"""Expectedness judged against the reference list version in force, the lot flag and
the laboratory's recall of a flagged lot, the programme's counts with the number of
patients treated, and the on-call roster's rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update

from respira.kit.db import Base, utcnow
from respira.kit.validation import today_utc
from tests.conftest import PASSWORD
from tests.safety.safety_helpers import errors, event

TODAY = today_utc()
ONLY_FEVER = {"effective_from": TODAY.isoformat(), "terms": ["Fever"], "source": "consent v2"}


def record(client: Any, pid: int, **fields: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/patients/{pid}/adverse-events", json=event(**fields))
    assert r.status_code == 201, r.text
    return dict(r.json())


# --- expectedness -------------------------------------------------------------------------


def test_expectedness_is_judged_by_the_list_version_in_force_at_onset(
    doctor_api, nurse_api, make_patient
):
    r = doctor_api.post("/api/v1/safety/expected-reactions", json=ONLY_FEVER)
    assert r.status_code == 201 and r.json()["version"] == 2
    pid = make_patient()
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    before = record(nurse_api, pid, term="Headache", onset_date=yesterday)
    after = record(nurse_api, pid, term="Headache")
    assert (before["expected"], before["expected_list_version"]) == (True, 1)
    assert (after["expected"], after["expected_list_version"]) == (False, 2)
    versions = doctor_api.get("/api/v1/safety/expected-reactions").json()
    assert [v["version"] for v in versions] == [2, 1]


def test_an_event_after_an_infusion_is_judged_by_the_version_in_force_at_its_course_start(
    db, doctor_api, nurse_api, treated
):
    courses = Base.metadata.tables["courses"]
    with db.transaction() as s:  # the course began a week ago (time passing, not a use case)
        s.execute(
            update(courses)
            .where(courses.c.id == treated.course.id)
            .values(start_date=TODAY - dt.timedelta(days=7))
        )
    assert doctor_api.post("/api/v1/safety/expected-reactions", json=ONLY_FEVER).status_code == 201
    adm = treated.administration_id
    body = record(nurse_api, treated.pid, term="Chills", administration_id=adm)
    assert (body["expected"], body["expected_list_version"]) == (True, 1)


def test_a_new_list_is_never_backdated_and_names_only_catalogue_terms(doctor_api, nurse_api):
    url = "/api/v1/safety/expected-reactions"
    past = {**ONLY_FEVER, "effective_from": (TODAY - dt.timedelta(days=1)).isoformat()}
    assert "effective_from" in errors(doctor_api.post(url, json=past))
    assert "terms" in errors(doctor_api.post(url, json={**ONLY_FEVER, "terms": ["Pyrexia"]}))
    assert nurse_api.post(url, json=ONLY_FEVER).status_code == 403
    assert doctor_api.post(url, json=ONLY_FEVER).status_code == 201
    assert "effective_from" in errors(doctor_api.post(url, json=ONLY_FEVER))


# --- the lot flag --------------------------------------------------------------------------

SEVERE = {"grade": 3, "causality": "probable"}


def test_a_lot_with_more_than_two_related_severe_events_is_flagged_and_recalled_by_the_lab(
    api_as, nurse_api, treated, clinic
):
    adm = treated.administration_id
    for term in ("Infusion related reaction", "Dyspnea"):
        record(nurse_api, treated.pid, term=term, administration_id=adm, **SEVERE)
    unlikely = {"grade": 3, "causality": "unlikely"}
    record(nurse_api, treated.pid, term="Fever", administration_id=adm, **unlikely)
    lab = api_as("lab", password=PASSWORD)
    [lot] = lab.get("/api/v1/safety/lots").json()
    assert (lot["lot_id"], lot["related_severe"], lot["flagged"]) == (treated.lot_id, 2, False)
    record(nurse_api, treated.pid, term="Hypotension", administration_id=adm, **SEVERE)
    detail = lab.get(f"/api/v1/safety/lots/{treated.lot_id}").json()
    assert detail["flagged"] is True and detail["related_severe"] == 3 and detail["events"] == 4
    assert detail["status"] == "released"
    assert "patient_id" not in detail["events_list"][0]  # the laboratory reads lots, not patients
    url = f"/api/v1/safety/lots/{treated.lot_id}/hold"
    assert "password" in errors(lab.post(url, json={"reason": "safety signal"}))
    r = lab.post(url, json={"reason": "safety signal", "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "recalled"
    again = lab.post(url, json={"reason": "again", "password": PASSWORD})
    assert again.status_code == 409  # out of use already
    assert nurse_api.post(url, json={"reason": "x", "password": PASSWORD}).status_code == 403


def test_retracted_events_do_not_count(doctor_api, nurse_api, make_patient):
    pid = make_patient()
    eid = record(nurse_api, pid, term="Nausea", grade=2)["id"]
    record(nurse_api, pid, term="Nausea", grade=1)
    doctor_api.post(f"/api/v1/adverse-events/{eid}/retract", json={"reason": "duplicate"})
    programme = doctor_api.get("/api/v1/safety/programme").json()
    [nausea] = programme["terms"]
    assert nausea["by_grade"]["1"] == 1 and nausea["by_grade"]["2"] == 0 and nausea["events"] == 1


# --- the programme -------------------------------------------------------------------------


def test_programme_counts_events_by_term_and_grade_with_the_patients_treated(
    api_as, nurse_api, treated, make_patient
):
    untreated = make_patient()
    adm = treated.administration_id
    record(nurse_api, treated.pid, administration_id=adm)
    record(nurse_api, treated.pid, term="Fever", grade=2, administration_id=adm)
    record(nurse_api, untreated, term="Headache", grade=2)
    lab = api_as("lab")
    r = lab.get("/api/v1/safety/programme")
    assert r.status_code == 200
    body = r.json()
    assert body["patients_treated"] == 1 and body["patients_with_events"] == 2
    fever = next(t for t in body["terms"] if t["term"] == "Fever")
    assert fever["by_grade"] == {"1": 1, "2": 1, "3": 0, "4": 0, "5": 0}
    assert (fever["events"], fever["patients"]) == (2, 1)


# --- the roster ----------------------------------------------------------------------------


def test_the_roster_takes_physicians_and_a_medical_director_and_refuses_others(
    api_as, make_account
):
    admin = api_as("admin")
    doctor, nurse = make_account("physician"), make_account("nurse")
    now = utcnow()
    shift = {
        "user_id": doctor.id,
        "role": "physician",
        "starts_at": now.isoformat(),
        "ends_at": (now + dt.timedelta(hours=12)).isoformat(),
    }
    r = admin.post("/api/v1/safety/on-call", json=shift)
    assert r.status_code == 201, r.text
    not_a_doctor = admin.post("/api/v1/safety/on-call", json={**shift, "user_id": nurse.id})
    assert "user_id" in errors(not_a_doctor)
    director = {**shift, "user_id": admin.account.id, "role": "medical_director"}
    assert admin.post("/api/v1/safety/on-call", json=director).status_code == 201
    backwards = {**shift, "ends_at": (now - dt.timedelta(hours=1)).isoformat()}
    assert "ends_at" in errors(admin.post("/api/v1/safety/on-call", json=backwards))
    roster = admin.get("/api/v1/safety/on-call").json()
    assert [(s["name"], s["role"]) for s in roster] == [
        (doctor.actor.name, "physician"),
        (admin.account.actor.name, "medical_director"),
    ]
    assert admin.delete(f"/api/v1/safety/on-call/{r.json()['id']}").status_code == 204
    assert len(admin.get("/api/v1/safety/on-call").json()) == 1
