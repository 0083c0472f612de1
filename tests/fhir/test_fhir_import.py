"""Spirometry imported from a transaction Bundle becomes a diagnostics spirometry record,
interpreted like any other; a bundle that is malformed, carries an unknown code or
values the record refuses is refused whole with an OperationOutcome naming the problem,
and nothing is stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from respira.diagnostics import service as diagnostics
from respira.kit.audit import AuditRecord
from respira.kit.db import Base
from tests.fhir.fhir_helpers import assert_valid_r4, by_type, codings, everything, outcome_issues

IMPORTED = {"20157-4", "19876-2", "20155-8", "19874-7", "19926-5"}
FHIR_JSON = {"Content-Type": "application/fhir+json"}


def transaction(observations: list[dict[str, Any]], subject: dict[str, Any]) -> dict[str, Any]:
    """A transaction Bundle posting the observations for ``subject`` (their ids dropped,
    as a sending system does)."""
    entries = []
    for obs in observations:
        resource = {k: v for k, v in obs.items() if k not in ("id", "meta")}
        resource["subject"] = subject
        entries.append({"resource": resource, "request": {"method": "POST", "url": "Observation"}})
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:5b1e0c1e-1"},
        "entry": entries,
    }


def volume(loinc: str, value: float, day: str = "2026-11-02", **more: Any) -> dict[str, Any]:
    """An Observation of a spirometer: a LOINC code and a volume in L."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "effectiveDateTime": day,
        "valueQuantity": {"value": value, "unit": "L", "system": "http://unitsofmeasure.org"},
        **more,
    }


def _spirometry_records(db: Any, actor: Any, pid: int) -> list[Any]:
    with db.session() as s:
        visits = diagnostics.list_visits(s, actor, pid).items
        return [sp for v in visits for sp in diagnostics.get_visit(s, actor, v.id).spirometry]


def _counts(db: Any) -> tuple[int, int, int]:
    tables = Base.metadata.tables
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(tables["diagnostic_visits"])) or 0,
            s.scalar(select(func.count()).select_from(tables["spirometry_sessions"])) or 0,
            s.scalar(select(func.count()).select_from(AuditRecord)) or 0,
        )


def test_spirometry_exported_from_one_patient_imports_into_another_with_the_same_interpretation(
    worked_up, sc, db, doctor, make_patient
):
    exported = [
        o
        for o in by_type(everything(doctor, worked_up), "Observation")
        if {c for _, c in codings(o["code"])} & IMPORTED
    ]
    assert len(exported) == 6  # FEV1, FVC and FEV1/FVC, before and after
    # A twin of the first patient (same sex, birth date and height): the same reference
    # values apply, so the same interpretation must come out.
    twin = make_patient(first_name="Twin", email="twin@mail.example")
    r = doctor.post(
        "/fhir/Bundle",
        content=json.dumps(transaction(exported, {"reference": f"Patient/{twin}"})),
        headers=FHIR_JSON,
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert_valid_r4(answer)
    assert answer["type"] == "transaction-response"
    assert [e["response"]["status"] for e in answer["entry"]] == ["201 Created"] * 6
    actor = sc.physician.actor
    (original,) = _spirometry_records(db, actor, worked_up)
    (imported,) = _spirometry_records(db, actor, twin)
    same = ("pattern", "severity", "bdr", "bdr_2005", "bdr_fev1_pct_pred_change", "equations")
    assert {k: getattr(imported, k) for k in same} == {k: getattr(original, k) for k in same}
    for key, result in original.results.items():
        assert imported.results[key].z == pytest.approx(result.z, abs=1e-9), key
    assert (imported.bronchodilator, imported.bronchodilator_dose_ug) == ("salbutamol", 400)
    locations = {e["response"]["location"] for e in answer["entry"]}
    assert locations <= {
        f"Observation/{o['id']}" for o in by_type(everything(doctor, twin), "Observation")
    }


def test_a_bundle_naming_the_patient_by_record_number_in_plain_json_is_imported(
    doctor, make_patient, sc, db
):
    pid = make_patient()
    mrn = doctor.get(f"/fhir/Patient/{pid}").json()["identifier"][0]
    subject = {"identifier": {"system": mrn["system"], "value": mrn["value"]}}
    body = transaction([volume("20157-4", 2.4), volume("19876-2", 3.3)], subject)
    r = doctor.post("/fhir/Bundle", json=body)
    assert r.status_code == 200, r.text
    (record,) = _spirometry_records(db, sc.physician.actor, pid)
    assert (record.fev1_pre_l, record.fvc_pre_l, record.fev1_post_l) == (2.4, 3.3, None)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"{not json", None),
        (b"[]", None),
        (json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}), "Bundle.type"),
        (
            json.dumps(
                {
                    "resourceType": "Bundle",
                    "type": "transaction",
                    "entry": [
                        {
                            "resource": {
                                **{
                                    k: v
                                    for k, v in volume("20157-4", 2.4).items()
                                    if k != "valueQuantity"
                                },
                                "subject": {"reference": "Patient/1"},
                            },
                            "request": {"method": "POST", "url": "Observation"},
                        }
                    ],
                }
            ),
            "Bundle.entry[0].resource.valueQuantity",
        ),
    ],
    ids=["not-json", "not-a-bundle", "not-a-transaction", "no-value"],
)
def test_a_malformed_bundle_is_refused_with_400_and_changes_nothing(
    doctor, make_patient, db, body, where
):
    make_patient()
    before = _counts(db)
    r = doctor.post("/fhir/Bundle", content=body, headers=FHIR_JSON)
    assert r.status_code == 400
    issues = outcome_issues(r)
    if where is not None:
        assert [where] == [e for i in issues for e in i["expression"]]
    assert _counts(db) == before


def test_an_unknown_code_refuses_the_whole_bundle_naming_the_code(doctor, make_patient, db):
    pid = make_patient()
    before = _counts(db)
    body = transaction(
        [volume("20157-4", 2.4), volume("19876-2", 3.3), volume("12345-6", 1.0)],
        {"reference": f"Patient/{pid}"},
    )
    r = doctor.post("/fhir/Bundle", json=body)
    assert r.status_code == 422
    (issue,) = outcome_issues(r)
    assert issue["code"] == "code-invalid"
    assert issue["expression"] == ["Bundle.entry[2].resource.code"]
    assert "http://loinc.org|12345-6" in issue["diagnostics"]
    assert _counts(db) == before


def test_values_the_spirometry_record_refuses_leave_nothing_behind(doctor, make_patient, db):
    # The visit is written first and the spirometry refused after it (no height on the
    # record): the visit must not stay.
    no_height = make_patient(height_cm=None)
    pid = make_patient()
    before = _counts(db)
    body = transaction(
        [volume("20157-4", 2.4), volume("19876-2", 3.3)], {"reference": f"Patient/{no_height}"}
    )
    r = doctor.post("/fhir/Bundle", json=body)
    assert r.status_code == 422
    assert "height" in outcome_issues(r)[0]["diagnostics"]
    assert _counts(db) == before
    # Post values without the bronchodilator: named at the post entry.
    body = transaction(
        [
            volume("20157-4", 2.4),
            volume("19876-2", 3.3),
            volume("20155-8", 2.7),
            volume("19874-7", 3.4),
        ],
        {"reference": f"Patient/{pid}"},
    )
    r = doctor.post("/fhir/Bundle", json=body)
    assert r.status_code == 422
    issues = outcome_issues(r)
    assert any(i["diagnostics"].startswith("bronchodilator") for i in issues)
    assert _counts(db) == before


def test_a_ratio_that_does_not_match_the_volumes_or_an_unknown_patient_is_refused(
    doctor, make_patient, db
):
    pid = make_patient()
    before = _counts(db)
    ratio = volume("19926-5", 95.0)
    ratio["valueQuantity"] = {"value": 95.0, "unit": "%", "code": "%"}
    r = doctor.post(
        "/fhir/Bundle",
        json=transaction(
            [volume("20157-4", 2.4), volume("19876-2", 3.3), ratio], {"reference": f"Patient/{pid}"}
        ),
    )
    assert r.status_code == 422
    assert "does not match" in outcome_issues(r)[0]["diagnostics"]
    r = doctor.post(
        "/fhir/Bundle",
        json=transaction([volume("20157-4", 2.4)], {"reference": "Patient/999999"}),
    )
    assert r.status_code == 422
    assert outcome_issues(r)[0]["code"] == "not-found"
    assert _counts(db) == before


def test_only_admins_and_physicians_import_and_only_fhir_json(api_as, doctor, make_patient):
    pid = make_patient()
    body = transaction(
        [volume("20157-4", 2.4), volume("19876-2", 3.3)], {"reference": f"Patient/{pid}"}
    )
    for role in ("nurse", "patient", "coordinator"):
        r = api_as(role).post("/fhir/Bundle", json=body)
        assert r.status_code == 403, role
        assert outcome_issues(r)[0]["code"] == "forbidden"
    r = doctor.post(
        "/fhir/Bundle", content=json.dumps(body), headers={"Content-Type": "text/plain"}
    )
    assert r.status_code == 415
    assert outcome_issues(r)


def test_an_import_is_audited_with_the_bundle_it_came_from(doctor, make_patient, db):
    pid = make_patient()
    body = transaction(
        [volume("20157-4", 2.4), volume("19876-2", 3.3)], {"reference": f"Patient/{pid}"}
    )
    assert doctor.post("/fhir", json=body).status_code == 200
    with db.session() as s:
        (record,) = s.scalars(select(AuditRecord).where(AuditRecord.entity_type == "fhir_import"))
    after = json.loads(record.after)
    assert after["patient_id"] == pid and after["bundle_identifier"] == "urn:uuid:5b1e0c1e-1"
    assert record.actor_role == "physician"


def test_a_ratio_without_a_phase_is_matched_to_the_volumes_it_fits(doctor, make_patient):
    # Another system's FEV1/FVC (19926-5 has no phase in LOINC) as a plain ratio.
    pid = make_patient()
    ratio = volume("19926-5", 0.727)
    ratio["valueQuantity"] = {"value": 0.727, "unit": "1"}
    body = transaction(
        [volume("20157-4", 2.4), volume("19876-2", 3.3), ratio], {"reference": f"Patient/{pid}"}
    )
    r = doctor.post("/fhir/Bundle", json=body)
    assert r.status_code == 200, r.text
    locations = [e["response"]["location"] for e in r.json()["entry"]]
    assert locations[2].endswith("-fev1fvc-pre")
