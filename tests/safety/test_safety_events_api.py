"""Adverse events through the JSON API, on each database: the contract of issue 11, the
rules that need the record (the administration, the infusion/allergic rule), the
grade-5 rule, corrections with a reason and their history, retraction."""

from __future__ import annotations

import datetime as dt

from respira.kit import audit
from respira.kit.validation import today_utc
from tests.safety.safety_helpers import errors, event, serious_reaction

YESTERDAY = (today_utc() - dt.timedelta(days=1)).isoformat()
TOMORROW = (today_utc() + dt.timedelta(days=1)).isoformat()


def post(client, pid, body):
    return client.post(f"/api/v1/patients/{pid}/adverse-events", json=body)


def test_recorded_event_answers_the_contracts_fields_and_the_unit_and_lot(nurse_api, treated):
    r = post(nurse_api, treated.pid, event(administration_id=treated.administration_id))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"] and body["serious"] is False and body["expected"] is True
    assert body["ctcae_version"] == "5.0" and body["report_due_at"] is None
    assert body["related"] is True and body["meddra_code"] == "10016558"
    assert (body["din"], body["lot_id"]) == (treated.din, treated.lot_id)
    assert body["course_id"] == treated.course.id
    assert r.headers["location"] == f"/api/v1/adverse-events/{body['id']}"


def test_the_term_is_stored_as_ctcae_writes_it_audited_and_read_with_its_etag(
    nurse_api, doctor_api, make_patient, db
):
    r = post(nurse_api, make_patient(), event(term="dyspnea", grade=2))
    assert r.status_code == 201 and r.json()["term"] == "Dyspnea"
    one = doctor_api.get(f"/api/v1/adverse-events/{r.json()['id']}")
    assert one.status_code == 200 and one.headers["etag"] == '"1"'
    with db.session() as s:
        assert [a.action for a in audit.history(s, "adverse_event", r.json()["id"])] == ["create"]
        assert audit.verify_chain(s).ok


BAD_INPUT = [
    ({"term": "Pyrexia"}, "term"),
    ({"term": "Headache", "grade": 4}, "grade"),
    ({"term": "Anaphylaxis", "grade": 2}, "grade"),
    ({"grade": 6}, "grade"),
    ({"causality": "likely"}, "causality"),
    ({"serious_criteria": ["hospitalization"]}, "serious_criteria"),
    ({"outcome": "dead"}, "outcome"),
    ({"onset_date": TOMORROW}, "onset_date"),
    ({"resolution_date": YESTERDAY}, "resolution_date"),
]


def test_bad_input_is_422_naming_the_field_and_stores_nothing(nurse_api, make_patient):
    pid = make_patient()
    for changes, field in BAD_INPUT:
        r = post(nurse_api, pid, event(**changes))
        assert any(name.split(".")[0] == field for name in errors(r)), (changes, r.text)
    assert nurse_api.get(f"/api/v1/patients/{pid}/adverse-events").json() == []


def test_the_administration_must_be_the_patients_own_and_given_on_or_before_the_onset(
    nurse_api, treated, make_patient
):
    adm = treated.administration_id
    early = post(nurse_api, treated.pid, event(administration_id=adm, onset_date=YESTERDAY))
    assert "before the administration" in errors(early)["onset_date"]
    other = post(nurse_api, make_patient(), event(administration_id=adm))
    assert "another patient" in errors(other)["administration_id"]
    unknown = post(nurse_api, treated.pid, event(administration_id=999_999))
    assert errors(unknown)["administration_id"] == "no such administration"


def test_grade_5_is_fatal_and_serious_by_the_death_criterion(nurse_api, make_patient):
    r = post(nurse_api, make_patient(), event(term="Hypoxia", grade=5, causality="unlikely"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["outcome"] == "fatal" and body["serious"] is True
    assert body["serious_criteria"] == ["death"] and body["report_due_at"] is not None


def test_grade_5_with_a_recovered_outcome_is_refused(nurse_api, make_patient):
    r = post(nurse_api, make_patient(), event(grade=5, outcome="recovered"))
    assert "fatal" in errors(r)["outcome"]


def test_infusion_reaction_and_allergic_reaction_to_one_infusion_are_not_both_recorded(
    nurse_api, treated
):
    first = post(nurse_api, treated.pid, serious_reaction(treated.administration_id))
    assert first.status_code == 201
    for term, grade in (("Allergic reaction", 2), ("Anaphylaxis", 3)):
        body = event(term=term, grade=grade, administration_id=treated.administration_id)
        r = post(nurse_api, treated.pid, body)
        assert f"(event {first.json()['id']})" in errors(r)["term"]
    # not tied to an infusion, an allergic reaction is recorded
    assert post(nurse_api, treated.pid, event(term="Allergic reaction")).status_code == 201


def test_serious_event_has_its_reporting_clock_from_first_knowledge(nurse_api, make_patient):
    body = post(
        nurse_api,
        make_patient(),
        event(term="Bronchospasm", grade=3, serious_criteria=["hospitalisation"]),
    ).json()
    assert body["serious"] is True and body["expected"] is False
    started = dt.datetime.fromisoformat(body["clock_started_at"])
    assert body["clock"] == "susar_other"
    assert dt.datetime.fromisoformat(body["report_due_at"]) == started + dt.timedelta(days=15)


def test_correction_needs_the_version_read_and_a_reason_and_keeps_to_the_rules(
    nurse_api, make_patient
):
    eid = post(nurse_api, make_patient(), event(term="Headache", grade=3)).json()["id"]
    url = f"/api/v1/adverse-events/{eid}"
    v1 = {"If-Match": '"1"'}
    assert nurse_api.patch(url, json={"grade": 2, "reason": "milder"}).status_code == 428
    assert "reason" in errors(nurse_api.patch(url, json={"grade": 2}, headers=v1))
    stale = nurse_api.patch(url, json={"grade": 2, "reason": "x"}, headers={"If-Match": '"7"'})
    assert stale.status_code == 409
    worse = nurse_api.patch(url, json={"grade": 4, "reason": "worse"}, headers=v1)
    assert "Headache has no grade 4" in errors(worse)["grade"]
    same = nurse_api.patch(url, json={"grade": 3, "reason": "checked"}, headers=v1)
    assert "changes nothing" in errors(same)["__all__"]


def test_correction_changes_the_named_fields_and_keeps_the_reason_in_the_history(
    nurse_api, doctor_api, make_patient
):
    eid = post(nurse_api, make_patient(), event()).json()["id"]
    r = doctor_api.patch(
        f"/api/v1/adverse-events/{eid}",
        json={"grade": 2, "reason": "the peak was 39.4 °C, not 38.4 °C"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["grade"] == 2 and r.json()["term"] == "Fever" and r.headers["etag"] == '"2"'
    history = doctor_api.get(f"/api/v1/adverse-events/{eid}").json()["history"]
    assert [h["action"] for h in history] == ["create", "correct"]
    change = history[-1]
    assert change["reason"].startswith("the peak") and change["by"] == doctor_api.account.actor.name
    assert change["before"]["grade"] == 1 and change["after"]["grade"] == 2


def test_retracted_event_stays_readable_and_cannot_change(nurse_api, doctor_api, make_patient):
    eid = post(nurse_api, make_patient(), event()).json()["id"]
    assert (
        nurse_api.post(
            f"/api/v1/adverse-events/{eid}/retract", json={"reason": "wrong patient"}
        ).status_code
        == 403
    )
    r = doctor_api.post(f"/api/v1/adverse-events/{eid}/retract", json={"reason": "wrong patient"})
    assert r.status_code == 200 and r.json()["retracted"] is True
    assert doctor_api.get(f"/api/v1/adverse-events/{eid}").json()["retraction_reason"]
    again = nurse_api.patch(
        f"/api/v1/adverse-events/{eid}",
        json={"grade": 2, "reason": "x"},
        headers={"If-Match": '"2"'},
    )
    assert again.status_code == 409


def test_the_catalogue_is_served_with_its_grade_definitions(nurse_api):
    r = nurse_api.get("/api/v1/safety/ctcae")
    assert r.status_code == 200
    headache = next(t for t in r.json()["terms"] if t["name"] == "Headache")
    assert [g["grade"] for g in headache["grades"]] == [1, 2, 3]


def test_a_patient_account_reads_no_adverse_events(api_as, make_patient):
    patient = api_as("patient")
    r = patient.get(f"/api/v1/patients/{patient.account.patient_id}/adverse-events")
    assert r.status_code == 403
