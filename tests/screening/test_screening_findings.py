"""Screening findings: the physician's record of what diagnostics do not hold. Every
question is tri-state ("not assessed" is unknown, never "no"); records are never edited
— the newest counts; every record is audited; bad input changes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from respira.kit import audit
from respira.kit.validation import today_utc
from tests.screening.screening_helpers import good_findings_values


def url(pid: int) -> str:
    return f"/api/v1/patients/{pid}/screening-findings"


def test_a_question_left_out_is_stored_as_unknown_never_as_no(doc, make_patient):
    pid = make_patient()
    r = doc.post(url(pid), json={"assessed_on": today_utc().isoformat(), "pneumonia": "no"})
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["pneumonia"] == "no"
    assert out["active_tuberculosis"] == "unknown"
    assert out["stable_general_health"] == "unknown"
    assert out["heart_failure_nyha"] is None and out["egfr_ml_min_1_73m2"] is None
    assert out["recorded_by"] == doc.account.actor.name


def test_the_newest_record_counts_and_earlier_ones_are_kept(db, doc, make_patient):
    pid = make_patient()
    today = today_utc()
    first = doc.post(url(pid), json=good_findings_values(today - dt.timedelta(days=3))).json()
    second = doc.post(url(pid), json=good_findings_values(today, pneumonia="yes")).json()
    assert second["supersedes_id"] == first["id"]
    listed = doc.get(url(pid)).json()
    assert [f["id"] for f in listed] == [second["id"], first["id"]]
    # A back-dated assessment entered later does not displace the newer one.
    late = doc.post(url(pid), json=good_findings_values(today - dt.timedelta(days=10))).json()
    assert doc.get(url(pid)).json()[0]["id"] == second["id"]
    out = doc.post(f"/api/v1/patients/{pid}/screenings").json()
    assert out["findings_id"] == second["id"]
    assert out["decision"] == "not_eligible"
    with db.session() as session:
        for rec_id in (first["id"], second["id"], late["id"]):
            (rec,) = audit.history(session, "screening_findings", rec_id)
            assert rec.action == "create"
            assert json.loads(rec.after or "{}")["patient_id"] == pid


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"assessed_on": "2999-01-01"}, "assessed_on", "cannot be in the future"),
        ({"pneumonia": "maybe"}, "pneumonia", "Input should be 'yes', 'no' or 'unknown'"),
        ({"pneumonia": False}, "pneumonia", "Input should be 'yes', 'no' or 'unknown'"),
        ({"egfr_ml_min_1_73m2": 0.9}, "egfr_ml_min_1_73m2", "is the unit mL/min/1.73m²?"),
        ({"egfr_ml_min_1_73m2": 450}, "egfr_ml_min_1_73m2", "between 1 and 200"),
        ({"heart_failure_nyha": "3"}, "heart_failure_nyha", "Input should be"),
        ({"egfr_measured_on": None}, "egfr_measured_on", "give the date of the eGFR"),
        (
            {"tb_screening_result": None},
            "tb_screening_result",
            "a date without a result",
        ),
        (
            {"pregnancy_test_result": "positive", "pregnant": "no"},
            "pregnant",
            "a positive pregnancy test means pregnant",
        ),
        ({"alternative_diagnosis": "yes"}, "alternative_diagnosis_detail", "name the"),
        ({"excipient_allergy": "yes"}, "excipient_allergy_detail", "name the excipient"),
        ({"notes": "x" * 2001}, "notes", "at most 2000 characters"),
        ({"smoker": "no"}, "smoker", "Extra inputs are not permitted"),
    ],
)
def test_bad_findings_answer_422_beside_the_field_and_store_nothing(
    doc, make_patient, count_rows, changes, field, message
):
    pid = make_patient()
    body = good_findings_values(today_utc(), **changes)
    body = {k: v for k, v in body.items() if v is not None}
    r = doc.post(url(pid), json=body)
    assert r.status_code == 422, r.text
    found = {d["field"]: d["msg"] for d in r.json()["detail"]}
    assert field in found, found
    assert message in found[field]
    assert count_rows()["screening_findings"] == 0


def test_a_test_dated_after_the_assessment_is_refused(doc, make_patient):
    today = today_utc()
    body = good_findings_values(today - dt.timedelta(days=5), egfr_measured_on=today.isoformat())
    r = doc.post(url(make_patient()), json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "egfr_measured_on"


def test_a_male_patient_cannot_be_recorded_pregnant(doc, make_patient):
    pid = make_patient(sex_at_birth="male", first_name="Erik")
    body = good_findings_values(today_utc(), pregnant="yes", pregnancy_test_result=None)
    body["pregnancy_test_on"] = None
    r = doc.post(url(pid), json={k: v for k, v in body.items() if v is not None})
    assert r.status_code == 422
    assert {d["field"] for d in r.json()["detail"]} == {"pregnant"}


@pytest.mark.parametrize("role", ["admin", "coordinator", "lab", "patient"])
def test_only_a_physician_records_findings(api_as, make_patient, role):
    client = api_as(role)
    r = client.post(url(make_patient()), json=good_findings_values(today_utc()))
    assert r.status_code == 403


def test_findings_for_an_unknown_patient_answer_404(doc):
    assert doc.post(url(999999), json=good_findings_values(today_utc())).status_code == 404
    assert doc.get(url(999999)).status_code == 404
