"""The diagnostics JSON API: the contract's field names, every computed field equal to
a direct call of the science functions for the same inputs, who may read what, and
the retraction of records entered in error."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from respira.kit.audit import AuditRecord
from respira.kit.validation import decimal_age
from respira.science.control import score_questionnaire
from respira.science.phenotype import classify_phenotype
from respira.science.spirometry.interpretation import interpret_session
from tests.diagnostics.helpers import HISTORY, IMAGING, MARKERS, SPIRO, days_ago

DOB = dt.date(1979, 4, 12)  # tests.conftest.patient_data
RESULT_KEYS = {"fev1_pre", "fvc_pre", "fev1fvc_pre", "fev1_post", "fvc_post", "fev1fvc_post"}


def _visit_date(doc, visit_id) -> dt.date:
    return dt.date.fromisoformat(doc.get(f"/api/v1/visits/{visit_id}").json()["visit_date"])


# --- visits ---------------------------------------------------------------------------


def test_a_visit_answers_id_patient_id_and_visit_date(doc, patient_id):
    r = doc.post(f"/api/v1/patients/{patient_id}/visits", json={"visit_date": days_ago(1)})
    assert r.status_code == 201
    body = r.json()
    assert body["patient_id"] == patient_id
    assert body["visit_date"] == days_ago(1)
    assert isinstance(body["id"], int)
    assert r.headers["location"] == f"/api/v1/visits/{body['id']}"
    assert body["spirometry"] == [] and body["markers"] == [] and body["history"] == []
    assert body["retracted"] is False and body["recorded_by"] == doc.account.actor.name


def test_a_visit_date_in_the_future_is_refused(doc, patient_id, count_rows):
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    r = doc.post(f"/api/v1/patients/{patient_id}/visits", json={"visit_date": tomorrow})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "visit_date"
    assert "future" in r.json()["detail"][0]["msg"]
    assert count_rows()["visits"] == 0


def test_a_visit_date_before_birth_is_refused(doc, patient_id, count_rows):
    r = doc.post(f"/api/v1/patients/{patient_id}/visits", json={"visit_date": "1970-01-01"})
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["field"] == "visit_date" and "date of birth" in detail["msg"]
    assert count_rows()["visits"] == 0


def test_a_visit_of_an_unknown_patient_is_not_found(doc):
    r = doc.post("/api/v1/patients/999999/visits", json={"visit_date": days_ago(1)})
    assert r.status_code == 404


def test_the_visit_list_is_newest_first_with_key_results(doc, patient_id):
    ids = []
    for ago in (30, 2, 10):
        r = doc.post(f"/api/v1/patients/{patient_id}/visits", json={"visit_date": days_ago(ago)})
        ids.append(r.json()["id"])
    doc.post(f"/api/v1/visits/{ids[1]}/spirometry", json=SPIRO)
    doc.post(
        f"/api/v1/visits/{ids[1]}/questionnaires",
        json={"instrument": "act", "answers": [3, 3, 2, 3, 3]},
    )
    listing = doc.get(f"/api/v1/patients/{patient_id}/visits").json()
    assert listing["total"] == 3
    assert [v["visit_date"] for v in listing["items"]] == [days_ago(2), days_ago(10), days_ago(30)]
    newest = listing["items"][0]
    assert newest["pattern"] == "obstruction" and newest["bdr"] is True
    assert newest["control"] == [
        {"instrument": "act", "score": 14.0, "band": "very_poorly_controlled"}
    ]
    assert newest["records"]["spirometry"] == 1


# --- spirometry -----------------------------------------------------------------------


def test_spirometry_stores_every_value_the_science_computes(doc, visit_id, patient_id):
    r = doc.post(f"/api/v1/visits/{visit_id}/spirometry", json=SPIRO)
    assert r.status_code == 201, r.text
    body = r.json()
    on = _visit_date(doc, visit_id)
    expected = interpret_session(
        "gli-global",
        sex="F",
        age=decimal_age(DOB, on),
        height_cm=168.0,
        fev1_pre_l=2.10,
        fvc_pre_l=3.20,
        fev1_post_l=2.50,
        fvc_post_l=3.40,
    )
    assert set(body["results"]) == RESULT_KEYS
    for key, result in expected.results.items():
        for name in ("pred", "lln", "uln", "z", "pctpred"):
            assert body["results"][key][name] == pytest.approx(getattr(result, name), rel=1e-12)
    assert body["pattern"] == expected.pattern
    assert body["severity"] == expected.severity
    assert body["bdr"] is expected.bdr
    assert body["bdr_2005"] is expected.bdr_2005
    assert body["bdr_fev1_pct_pred_change"] == pytest.approx(expected.bdr_fev1_pct_pred_change)
    assert body["bdr_fvc_pct_pred_change"] == pytest.approx(expected.bdr_fvc_pct_pred_change)
    assert body["equations_version"] == expected.equations_version
    # The inputs the equations used are stored with the result.
    assert body["sex"] == "F" and body["height_cm"] == 168.0
    assert body["age_years"] == pytest.approx(decimal_age(DOB, on))
    # And the stored record reads back identically.
    visit = doc.get(f"/api/v1/visits/{visit_id}").json()
    assert visit["spirometry"][0] == body


def test_spirometry_answer_uses_the_contract_field_names(doc, visit_id):
    body = doc.post(f"/api/v1/visits/{visit_id}/spirometry", json=SPIRO).json()
    for name in (
        "equations",
        "ethnicity",
        "fev1_pre_l",
        "fvc_pre_l",
        "fev1_post_l",
        "fvc_post_l",
        "fef2575_pre_l_s",
        "bronchodilator",
        "bronchodilator_dose_ug",
        "results",
        "pattern",
        "severity",
        "bdr",
        "bdr_fev1_pct_pred_change",
        "bdr_fvc_pct_pred_change",
        "bdr_2005",
    ):
        assert name in body, name
    assert set(body["results"]["fev1_pre"]) >= {"pred", "lln", "uln", "z", "pctpred"}


def test_gli_2012_uses_the_reference_group_and_computes_fef2575(doc, visit_id):
    data = {
        "equations": "gli-2012",
        "ethnicity": "ne_asian",
        "fev1_pre_l": 2.6,
        "fvc_pre_l": 3.3,
        "fef2575_pre_l_s": 2.4,
    }
    body = doc.post(f"/api/v1/visits/{visit_id}/spirometry", json=data).json()
    expected = interpret_session(
        "gli-2012",
        sex="F",
        age=decimal_age(DOB, _visit_date(doc, visit_id)),
        height_cm=168.0,
        ethnicity="ne_asian",
        fev1_pre_l=2.6,
        fvc_pre_l=3.3,
        fef2575_pre_l_s=2.4,
    )
    assert set(body["results"]) == {"fev1_pre", "fvc_pre", "fev1fvc_pre", "fef2575_pre"}
    assert body["results"]["fef2575_pre"]["z"] == pytest.approx(
        expected.results["fef2575_pre"].z, rel=1e-12
    )
    assert body["ethnicity"] == "ne_asian" and body["equations"] == "gli-2012"
    assert body["equations_version"].startswith("gli-2012")
    # Without a post-bronchodilator test there is no BDR, by either rule.
    assert body["bdr"] is None and body["bdr_2005"] is None
    assert body["bdr_fev1_pct_pred_change"] is None


def test_gli_global_has_no_fef2575_reference_and_says_so(doc, visit_id):
    data = {"fev1_pre_l": 2.6, "fvc_pre_l": 3.3, "fef2575_pre_l_s": 2.4}
    body = doc.post(f"/api/v1/visits/{visit_id}/spirometry", json=data).json()
    assert "fef2575_pre" not in body["results"]
    assert body["fef2575_pre_l_s"] == 2.4
    assert any("fef2575" in note for note in body["notes"])


def test_a_patient_without_a_height_gets_a_clear_422(doc, make_patient, count_rows):
    pid = make_patient(height_cm=None, email="noheight@mail.example")
    visit = doc.post(f"/api/v1/patients/{pid}/visits", json={"visit_date": days_ago(1)}).json()
    r = doc.post(f"/api/v1/visits/{visit['id']}/spirometry", json=SPIRO)
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["field"] == "height_cm"
    assert "enter the height measured at this test" in detail["msg"]
    assert count_rows()["spirometry"] == 0


# An age outside the equations (a two-year-old; GLI starts at 3 years) is no longer
# refused (issue 14): tests/diagnostics/test_diagnostics_corrections.py.


# --- markers --------------------------------------------------------------------------


def test_markers_store_the_phenotype_and_the_thresholds_that_decided_it(doc, visit_id):
    r = doc.post(f"/api/v1/visits/{visit_id}/markers", json=MARKERS)
    assert r.status_code == 201, r.text
    body = r.json()
    for name in ("blood_eosinophils_per_ul", "feno_ppb", "total_ige_iu_ml", "sensitisations"):
        assert name in body
    assert body["sensitisations"][0] == {
        "allergen": "house dust mite",
        "positive": True,
        "method": "skin_prick",
    }
    expected = classify_phenotype(
        age_years=decimal_age(DOB, _visit_date(doc, visit_id)),
        blood_eosinophils_per_ul=420,
        feno_ppb=38,
        total_ige_iu_ml=310,
        sensitisations=[m for m in _tests(MARKERS)],
    )
    assert body["phenotype"] == expected.label == "allergic-eosinophilic"
    assert body["phenotype_thresholds"] == json.loads(json.dumps(expected.as_dict()))
    assert body["phenotype_version"] == expected.version


def _tests(markers):
    from respira.science.phenotype import AllergenTest

    return [AllergenTest(s["allergen"], s["positive"]) for s in markers["sensitisations"]]


def test_maintenance_ocs_lowers_the_eosinophilic_threshold(doc, visit_id):
    data = {"blood_eosinophils_per_ul": 200, "on_maintenance_ocs": True}
    body = doc.post(f"/api/v1/visits/{visit_id}/markers", json=data).json()
    assert body["phenotype"] == "eosinophilic"
    eos_check = body["phenotype_thresholds"]["checks"][0]
    assert eos_check["met"] is True and "150" in eos_check["threshold"]
    data["on_maintenance_ocs"] = False
    body = doc.post(f"/api/v1/visits/{visit_id}/markers", json=data).json()
    assert body["phenotype"] == "type-2-high-unclassified"


# --- questionnaires -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "answers"),
    [
        ("act", [4, 4, 4, 4, 4]),
        ("acq5", [1, 2, 1, 2, 1]),
        ("acq6", [0, 0, 1, 0, 0, 1]),
        ("acq7", [2, 2, 2, 2, 2, 2, 72.5]),
        ("gina", [True, False, True, True]),
    ],
)
def test_questionnaires_are_scored_by_the_science_module(doc, visit_id, instrument, answers):
    r = doc.post(
        f"/api/v1/visits/{visit_id}/questionnaires",
        json={"instrument": instrument, "answers": answers, "respondent": "self"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    expected = score_questionnaire(instrument, answers)
    assert body["instrument"] == instrument
    assert body["answers"] == answers
    assert body["score"] == pytest.approx(expected.score)
    assert body["band"] == expected.band
    assert body["algorithm_version"] == expected.algorithm_version
    assert body["respondent"] == "self"


def test_the_childhood_act_is_refused_for_an_adult(doc, visit_id, count_rows):
    r = doc.post(
        f"/api/v1/visits/{visit_id}/questionnaires",
        json={"instrument": "cact", "answers": [2, 2, 2, 2, 3, 3, 3]},
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "instrument"
    assert "4–11" in r.json()["detail"][0]["msg"]
    assert count_rows()["questionnaires"] == 0


def test_an_out_of_range_item_is_refused_naming_the_item(doc, visit_id, count_rows):
    r = doc.post(
        f"/api/v1/visits/{visit_id}/questionnaires",
        json={"instrument": "act", "answers": [4, 4, 7, 4, 4]},
    )
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["field"] == "answers.2" and "item 3" in detail["msg"]
    r = doc.post(
        f"/api/v1/visits/{visit_id}/questionnaires",
        json={"instrument": "acq5", "answers": [1, 1, 1, 1]},
    )
    assert r.status_code == 422 and "exactly 5" in r.json()["detail"][0]["msg"]
    assert count_rows()["questionnaires"] == 0


# --- history and imaging --------------------------------------------------------------


def test_history_is_stored_as_given(doc, visit_id):
    data = {
        **HISTORY,
        "last_exacerbation_date": days_ago(60),
        "last_systemic_cs_date": days_ago(60),
    }
    r = doc.post(f"/api/v1/visits/{visit_id}/history", json=data)
    assert r.status_code == 201, r.text
    body = r.json()
    for key, value in data.items():
        assert body[key] == value, key


def test_imaging_is_stored_as_given(doc, visit_id):
    data = {**IMAGING, "study_date": days_ago(5)}
    r = doc.post(f"/api/v1/visits/{visit_id}/imaging", json=data)
    assert r.status_code == 201, r.text
    body = r.json()
    for key, value in data.items():
        assert body[key] == value, key


# --- roles ----------------------------------------------------------------------------


def test_a_patient_reads_their_own_visits_and_no_one_elses(api_as, doc, patient_id, visit_id):
    doc.post(f"/api/v1/visits/{visit_id}/spirometry", json=SPIRO)
    own = api_as("patient", patient_id=patient_id)
    r = own.get(f"/api/v1/visits/{visit_id}")
    assert r.status_code == 200
    assert r.json()["spirometry"][0]["pattern"] == "obstruction"
    assert own.get(f"/api/v1/patients/{patient_id}/visits").json()["total"] == 1
    other = api_as("patient")
    assert other.get(f"/api/v1/visits/{visit_id}").status_code == 404
    assert other.get(f"/api/v1/patients/{patient_id}/visits").status_code == 404
    # Reading is all a patient may do.
    r = own.post(f"/api/v1/visits/{visit_id}/spirometry", json=SPIRO)
    assert r.status_code == 403


@pytest.mark.parametrize("role", ["coordinator", "lab"])
def test_coordinators_and_the_lab_have_no_access(api_as, doc, patient_id, visit_id, role):
    c = api_as(role)
    assert c.get(f"/api/v1/visits/{visit_id}").status_code == 403
    assert c.get(f"/api/v1/patients/{patient_id}/visits").status_code == 403
    r = c.post(f"/api/v1/patients/{patient_id}/visits", json={"visit_date": days_ago(1)})
    assert r.status_code == 403


def test_an_admin_may_record(api_as, patient_id):
    admin = api_as("admin")
    r = admin.post(f"/api/v1/patients/{patient_id}/visits", json={"visit_date": days_ago(1)})
    assert r.status_code == 201


def test_without_a_token_the_api_answers_401(client, visit_id):
    assert client.get(f"/api/v1/visits/{visit_id}").status_code == 401


# --- audit and retraction -------------------------------------------------------------


def test_every_record_is_audited_in_its_transaction(doc, db, visit_id):
    spiro = doc.post(f"/api/v1/visits/{visit_id}/spirometry", json=SPIRO).json()
    markers = doc.post(f"/api/v1/visits/{visit_id}/markers", json=MARKERS).json()
    with db.session() as session:
        rows = session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
    by_entity = {(r.entity_type, r.entity_id): r for r in rows}
    assert ("diagnostic_visit", str(visit_id)) in by_entity
    rec = by_entity[("spirometry_session", str(spiro["id"]))]
    assert rec.action == "create" and rec.actor_role == "physician"
    after = json.loads(rec.after or "{}")
    assert (
        after["pattern"] == "obstruction"
        and after["results"]["fev1_pre"]["z"] == spiro["results"]["fev1_pre"]["z"]
    )
    assert (
        json.loads(by_entity[("marker_panel", str(markers["id"]))].after or "{}")["phenotype"]
        == markers["phenotype"]
    )


def test_a_retracted_record_stays_readable_to_staff_and_stops_counting(
    api_as, doc, db, patient_id, visit_id
):
    first = doc.post(f"/api/v1/visits/{visit_id}/spirometry", json=SPIRO).json()
    url = f"/api/v1/visits/{visit_id}/spirometry/{first['id']}/retract"
    assert doc.post(url, json={"reason": ""}).status_code == 422
    r = doc.post(url, json={"reason": "FVC typed into the FEV1 field"})
    assert r.status_code == 200
    assert r.json()["retracted"] is True and r.json()["retraction_reason"].startswith("FVC")
    assert doc.post(url, json={"reason": "again"}).status_code == 409
    visit = doc.get(f"/api/v1/visits/{visit_id}").json()
    assert visit["spirometry"][0]["retracted"] is True
    assert doc.get(f"/api/v1/patients/{patient_id}/visits").json()["items"][0]["pattern"] is None
    # The patient does not see records entered in error.
    own = api_as("patient", patient_id=patient_id)
    assert own.get(f"/api/v1/visits/{visit_id}").json()["spirometry"] == []
    with db.session() as session:
        rec = session.scalars(
            select(AuditRecord).where(
                AuditRecord.entity_type == "spirometry_session", AuditRecord.action == "retract"
            )
        ).one()
    assert rec.reason == "FVC typed into the FEV1 field"


def test_a_record_of_another_visit_cannot_be_retracted_through_this_one(doc, patient_id, visit_id):
    other = doc.post(
        f"/api/v1/patients/{patient_id}/visits", json={"visit_date": days_ago(9)}
    ).json()
    spiro = doc.post(f"/api/v1/visits/{other['id']}/spirometry", json=SPIRO).json()
    r = doc.post(
        f"/api/v1/visits/{visit_id}/spirometry/{spiro['id']}/retract", json={"reason": "x"}
    )
    assert r.status_code == 404


def test_a_retracted_visit_takes_no_more_records_and_is_hidden_from_the_patient(
    api_as, doc, patient_id, visit_id
):
    r = doc.post(f"/api/v1/visits/{visit_id}/retract", json={"reason": "wrong patient"})
    assert r.status_code == 200 and r.json()["retracted"] is True
    assert doc.post(f"/api/v1/visits/{visit_id}/spirometry", json=SPIRO).status_code == 409
    own = api_as("patient", patient_id=patient_id)
    assert own.get(f"/api/v1/visits/{visit_id}").status_code == 404
    assert own.get(f"/api/v1/patients/{patient_id}/visits").json()["total"] == 0
    assert doc.get(f"/api/v1/patients/{patient_id}/visits").json()["items"][0]["retracted"]


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("markers", MARKERS, "phenotype"),
        ("history", HISTORY, "gina_step"),
        ("imaging", {**IMAGING, "study_date": days_ago(4)}, "modality"),
        ("questionnaires", {"instrument": "gina", "answers": [False] * 4}, "band"),
    ],
)
def test_each_kind_of_record_can_be_retracted_and_answers_as_itself(
    doc, visit_id, kind, body, field
):
    created = doc.post(f"/api/v1/visits/{visit_id}/{kind}", json=body).json()
    r = doc.post(
        f"/api/v1/visits/{visit_id}/{kind}/{created['id']}/retract", json={"reason": "test"}
    )
    assert r.status_code == 200
    answer = r.json()
    assert answer["retracted"] is True and answer["retracted_by"] == doc.account.actor.name
    assert answer[field] == created[field]
    assert set(answer) == set(created)
    stored = doc.get(f"/api/v1/visits/{visit_id}").json()[kind][0]
    assert stored["retracted"] is True and stored["retraction_reason"] == "test"
