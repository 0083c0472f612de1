"""Who reads what through FHIR: a patient their own record only (another patient's is
"not found", resource by resource), without adverse events and units; staff outside the
FHIR roles are refused; every refusal is an OperationOutcome; a record retracted as
entered in error is marked so for staff and gone for the patient."""

from __future__ import annotations

from typing import Any

import pytest

from respira.diagnostics import service as diagnostics
from respira.diagnostics.schemas import RetractionIn
from respira.safety import service as safety
from tests.conftest import api_token
from tests.fhir.fhir_helpers import (
    assert_valid_r4,
    by_id,
    by_type,
    everything,
    outcome_issues,
    r4_problems,
    resources,
)


@pytest.fixture
def patient_api(app: Any, fhir_road: Any) -> Any:
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {api_token(c, fhir_road.road.patient)}"
        yield c


def test_a_patient_reads_their_own_record_without_adverse_events_or_units(fhir_road, patient_api):
    bundle = everything(patient_api, fhir_road.pid)
    kinds = {r["resourceType"] for r in resources(bundle)}
    assert "AdverseEvent" not in kinds and "BiologicallyDerivedProduct" not in kinds
    assert {"Patient", "Condition", "Observation", "Procedure", "CarePlan"} <= kinds
    assert {"QuestionnaireResponse", "DocumentReference", "MedicationStatement"} <= kinds
    for resource in resources(bundle):
        assert_valid_r4(resource)
    # The unit the patient may not read stays named by its DIN, not by a dangling link.
    (procedure,) = by_type(bundle, "Procedure")
    (used,) = procedure["usedReference"]
    assert "reference" not in used and used["identifier"]["value"] == fhir_road.road.din
    for kind in ("AdverseEvent", "BiologicallyDerivedProduct"):
        r = patient_api.get(f"/fhir/{kind}/1")
        assert r.status_code == 403
        assert outcome_issues(r)[0]["code"] == "forbidden"


def test_another_patient_gets_404_for_the_record_and_for_each_of_its_resources(
    fhir_road, doctor, api_as
):
    keys = [k for k in by_id(everything(doctor, fhir_road.pid)) if "AdverseEvent" not in k]
    other = api_as("patient")
    r = other.get(f"/fhir/Patient/{fhir_road.pid}/$everything")
    assert r.status_code == 404
    assert outcome_issues(r)[0]["code"] == "not-found"
    for key in keys:
        if key.startswith("BiologicallyDerivedProduct/"):
            continue  # not a patient's resource: 403 for every patient
        r = other.get(f"/fhir/{key}")
        assert r.status_code == 404, (key, r.status_code)


def test_without_a_token_the_answer_is_401_with_an_operation_outcome(client, make_patient):
    pid = make_patient()
    r = client.get(f"/fhir/Patient/{pid}/$everything")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert outcome_issues(r)[0]["code"] == "login"


@pytest.mark.parametrize("role", ["nurse", "coordinator", "lab"])
def test_staff_outside_the_fhir_roles_get_403(api_as, make_patient, role):
    pid = make_patient()
    r = api_as(role).get(f"/fhir/Patient/{pid}/$everything")
    assert r.status_code == 403
    assert outcome_issues(r)[0]["code"] == "forbidden"


def test_an_unknown_type_or_id_answers_404_with_an_operation_outcome(doctor, make_patient):
    pid = make_patient()
    for path in (
        "/fhir/Medication/1",
        "/fhir/Observation/not-an-id",
        "/fhir/Observation/spirometry-999-999-fev1-pre",
        f"/fhir/Condition/asthma-{pid}",  # no work-up recorded: no asthma yet
        "/fhir/Patient/999999",
        # beyond any row id (a 32-bit integer on PostgreSQL): still "not found"
        "/fhir/Patient/99999999999",
        "/fhir/Patient/99999999999/$everything",
        "/fhir/Observation/vitals-99999999999-0-spo2",
        "/fhir/Patient/12abc/$everything",
    ):
        r = doctor.get(path)
        assert r.status_code == 404, path
        assert outcome_issues(r)


def test_a_record_entered_in_error_is_marked_so_for_staff_and_gone_for_the_patient(
    worked_up, sc, db, doctor, api_as
):
    actor = sc.physician.actor
    with db.session() as s:
        (visit,) = diagnostics.list_visits(s, actor, worked_up).items
        spiro = diagnostics.get_visit(s, actor, visit.id).spirometry[0]
    with db.transaction() as s:
        diagnostics.retract_record(
            s, actor, visit.id, "spirometry", spiro.id, RetractionIn(reason="wrong patient")
        )
    prefix = f"spirometry-{visit.id}-{spiro.id}"
    staff = by_type(everything(doctor, worked_up), "Observation")
    retracted = [o for o in staff if o["id"].startswith(prefix)]
    assert retracted and {o["status"] for o in retracted} == {"entered-in-error"}
    patient = api_as("patient", patient_id=worked_up)
    mine = by_type(everything(patient, worked_up), "Observation")
    assert mine and not [o for o in mine if o["id"].startswith(prefix)]
    assert patient.get(f"/fhir/Observation/{prefix}").status_code == 404


def test_an_adverse_event_retracted_as_entered_in_error_is_gone(fhir_road, sc, db, doctor):
    bundle = everything(doctor, fhir_road.pid)
    (event,) = by_type(bundle, "AdverseEvent")
    with db.transaction() as s:
        safety.retract_event(s, sc.physician.actor, int(event["id"]), "entered for the wrong day")
    r = doctor.get(f"/fhir/AdverseEvent/{event['id']}")
    assert r.status_code == 410
    assert outcome_issues(r)[0]["code"] == "deleted"
    assert not by_type(everything(doctor, fhir_road.pid), "AdverseEvent")


def test_the_r4_check_rejects_what_the_models_let_through():
    """The validity check of these tests is not vacuous: it fails on what fhir.resources
    accepts but FHIR R4 forbids."""
    base = {
        "resourceType": "Observation",
        "id": "x",
        "status": "final",
        "code": {"text": "FEV1"},
    }
    assert r4_problems(base) == []
    assert r4_problems({**base, "status": "done"})  # outside the required value set
    assert r4_problems({**base, "valueQuantity": {}})  # an empty object
    assert r4_problems({**base, "note": []})  # an empty array
    assert r4_problems({**base, "id": "a_b"})  # not a FHIR id
    assert r4_problems({**base, "subject": {"reference": "patient 1"}})  # not Type/id
    assert r4_problems({**base, "valueDecimal": 1})  # no such element (the models)
