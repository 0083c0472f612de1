"""``Patient/{id}/$everything`` for a patient with the whole road: every resource type
is there, every resource is valid FHIR R4, references resolve inside the bundle, each
observation carries the right code (clinical.md §7), and each resource answers on its
own exactly as in the bundle."""

from __future__ import annotations

import base64
import hashlib

from respira.app.factory import routers
from respira.diagnostics import service as diagnostics
from respira.fhir import service
from respira.kit.config import get_settings
from respira.summaries import service as summaries
from respira.summaries.schemas import RevisionIn
from tests.fhir.fhir_helpers import (
    assert_valid_r4,
    by_id,
    by_type,
    codings,
    component,
    everything,
    resources,
)

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ATC = "http://www.whocc.no/atc"
ALL_TYPES = set(service.TYPE_ROLES)


def _references(node, found):
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            found.append(node["reference"])
        for value in node.values():
            _references(value, found)
    elif isinstance(node, list):
        for value in node:
            _references(value, found)
    return found


def test_everything_holds_every_resource_type_of_the_whole_road_each_valid_r4(fhir_road, doctor):
    bundle = everything(doctor, fhir_road.pid)
    assert bundle["type"] == "searchset"
    assert bundle["total"] == len(bundle["entry"])
    assert_valid_r4(bundle)
    for resource in resources(bundle):
        assert_valid_r4(resource)
    assert {r["resourceType"] for r in resources(bundle)} == ALL_TYPES
    assert resources(bundle)[0] == {**resources(bundle)[0], "resourceType": "Patient"}
    assert resources(bundle)[0]["id"] == str(fhir_road.pid)


def test_references_inside_the_bundle_resolve_to_its_entries_by_full_url(fhir_road, doctor):
    bundle = everything(doctor, fhir_road.pid)
    base = get_settings().public_base_url + "/fhir"
    urls = {e["fullUrl"] for e in bundle["entry"]}
    assert urls == {f"{base}/{key}" for key in by_id(bundle)}
    found = _references(resources(bundle), [])
    assert found and all(f"{base}/{ref}" in urls for ref in found), set(found) - {
        u.removeprefix(base + "/") for u in urls
    }


def _spirometry(db, actor, pid):
    with db.session() as s:
        (visit,) = diagnostics.list_visits(s, actor, pid).items
        full = diagnostics.get_visit(s, actor, visit.id)
    return full, full.spirometry[0]


def test_spirometry_results_carry_loinc_codes_reference_values_and_the_equations(
    worked_up, sc, db, doctor
):
    visit, spiro = _spirometry(db, sc.physician.actor, worked_up)
    obs = {r["id"]: r for r in by_type(everything(doctor, worked_up), "Observation")}
    expected = {
        "fev1_pre": "20157-4",
        "fvc_pre": "19876-2",
        "fev1fvc_pre": "19926-5",
        "fev1_post": "20155-8",
        "fvc_post": "19874-7",
        "fev1fvc_post": "19926-5",
    }
    assert set(spiro.results) == set(expected)
    for key, loinc in expected.items():
        o = obs[f"spirometry-{visit.id}-{spiro.id}-{key.replace('_', '-')}"]
        r = spiro.results[key]
        assert (LOINC, loinc) in codings(o["code"])
        assert o["effectiveDateTime"] == visit.visit_date.isoformat()
        factor = 100 if key.startswith("fev1fvc") else 1
        assert abs(o["valueQuantity"]["value"] - r.measured * factor) < 0.006
        assert o["valueQuantity"]["code"] == ("%" if factor == 100 else "L")
        assert abs(component(o, "predicted")["valueQuantity"]["value"] - r.pred * factor) < 0.006
        assert abs(component(o, "lln")["valueQuantity"]["value"] - r.lln * factor) < 0.006
        assert abs(component(o, "z-score")["valueQuantity"]["value"] - r.z) < 0.006
        assert ("https://respira.example/fhir/CodeSystem/respira", "gli-global") in codings(
            o["method"]
        )
        assert o["method"]["text"] == spiro.equations_version
        phase = component(o, "bronchodilator-phase")["valueCodeableConcept"]["coding"][0]["code"]
        assert phase == key.rsplit("_", 1)[1]
        flag = {"below_lln": "L", "within": "N", "above_uln": "H"}[r.flag]
        assert o["interpretation"][0]["coding"][0]["code"] == flag
    post = obs[f"spirometry-{visit.id}-{spiro.id}-fev1-post"]
    assert component(post, "bronchodilator")["valueString"] == "salbutamol"
    assert component(post, "bronchodilator-dose")["valueQuantity"]["value"] == 400
    # FEV1 % predicted: LOINC 20152-5 (one code for both phases, §7.1).
    pct = component(obs[f"spirometry-{visit.id}-{spiro.id}-fev1-pre"], "20152-5")
    assert pct["valueQuantity"]["value"] == round(spiro.results["fev1_pre"].pctpred, 1)
    panel = obs[f"spirometry-{visit.id}-{spiro.id}"]
    assert panel["valueCodeableConcept"]["coding"][0]["code"] == f"pattern-{spiro.pattern}"
    assert len(panel["hasMember"]) == len(expected)
    assert component(panel, "bdr-2022")["valueBoolean"] is spiro.bdr
    height = obs[f"spirometry-{visit.id}-{spiro.id}-height"]
    assert (LOINC, "8302-2") in codings(height["code"])
    assert height["valueQuantity"]["value"] == spiro.height_cm


def test_markers_and_questionnaire_scores_carry_their_loinc_codes(worked_up, sc, db, doctor):
    visit, _ = _spirometry(db, sc.physician.actor, worked_up)
    obs = {r["id"]: r for r in by_type(everything(doctor, worked_up), "Observation")}
    panel = visit.markers[0]
    for slug, loinc, value, ucum in (
        ("eosinophils", "26449-9", 420, "/uL"),
        ("feno", "96269-6", 38, "[ppb]"),
        ("ige", "19113-0", 250, "[IU]/mL"),
    ):
        o = obs[f"markers-{visit.id}-{panel.id}-{slug}"]
        assert (LOINC, loinc) in codings(o["code"])
        assert (o["valueQuantity"]["value"], o["valueQuantity"]["code"]) == (value, ucum)
    act = obs[f"questionnaire-{visit.id}-{visit.questionnaires[0].id}"]
    assert (LOINC, "82668-5") in codings(act["code"])
    assert act["valueInteger"] == 14  # the summaries' baseline ACT: 3+2+3+3+3


def test_the_asthma_has_snomed_195967001_the_phenotype_and_severity_codes_and_icd10(
    worked_up, doctor
):
    (condition,) = by_type(everything(doctor, worked_up), "Condition")
    assert condition["id"] == f"asthma-{worked_up}"
    found = codings(condition["code"])
    # Allergic (a positive skin-prick test) and eosinophilic (420 cells/µL): both codes;
    # GINA step 5: severe asthma; ICD-10 J45.0 predominantly allergic (§7.2, §7.3).
    assert {(SNOMED, "195967001"), (SNOMED, "389145006"), (SNOMED, "367542003")} <= found
    assert (SNOMED, "370221004") in found
    assert (ICD10, "J45.0") in found
    assert codings(condition["severity"]) == {(SNOMED, "24484000")}
    assert condition["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert condition["evidence"]


def test_the_treatment_history_is_medication_statements_with_atc_codes(worked_up, doctor):
    meds = by_type(everything(doctor, worked_up), "MedicationStatement")
    found = {next(iter(codings(m["medicationCodeableConcept"])))[1]: m for m in meds}
    # High-dose ICS, LABA, maintenance OCS 10 mg; no LAMA, no biologic (§7.4).
    assert set(found) == {"R03BA", "R03AC", "H02AB"}
    assert all((ATC, code) in codings(m["medicationCodeableConcept"]) for code, m in found.items())
    assert found["H02AB"]["dosage"][0]["text"] == "10 mg/day prednisone-equivalent"
    assert found["R03BA"]["dosage"][0]["text"] == "high daily dose (GINA band)"


def test_the_course_administration_unit_adverse_event_check_in_and_summary(
    fhir_road, sc, db, doctor
):
    bundle = everything(doctor, fhir_road.pid)
    road = fhir_road.road
    (plan,) = by_type(bundle, "CarePlan")
    first = plan["activity"][0]
    assert first["detail"]["status"] == "completed"
    assert first["outcomeReference"] == [{"reference": f"Procedure/{road.administration_id}"}]
    assert first["detail"]["quantity"]["value"] == road.course.infusions[0].cells_total
    (procedure,) = by_type(bundle, "Procedure")
    assert procedure["usedReference"][0]["reference"] == f"BiologicallyDerivedProduct/{road.din}"
    (unit,) = by_type(bundle, "BiologicallyDerivedProduct")
    assert unit["identifier"][0]["value"] == road.din
    assert unit["productCategory"] == "cells"
    vitals = [o for o in by_type(bundle, "Observation") if o["id"].startswith("vitals-")]
    loincs = {c for o in vitals for _, c in codings(o["code"])}
    assert {"8310-5", "8867-4", "9279-1", "59408-5", "85354-9"} <= loincs
    bp = next(o for o in vitals if (LOINC, "85354-9") in codings(o["code"]))
    assert component(bp, "8480-6")["valueQuantity"]["code"] == "mm[Hg]"
    (weight,) = [o for o in by_type(bundle, "Observation") if o["id"].endswith("-weight")]
    assert (LOINC, "29463-7") in codings(weight["code"])
    (event,) = by_type(bundle, "AdverseEvent")
    assert event["extension"][0]["valueInteger"] == 1
    assert event["severity"]["coding"][0]["code"] == "mild"
    assert event["seriousness"]["coding"][0]["code"] == "Non-serious"
    assert event["outcome"]["coding"][0]["code"] == "resolved"
    assert (
        event["suspectEntity"][0]["instance"]["reference"] == f"Procedure/{road.administration_id}"
    )
    (response,) = by_type(bundle, "QuestionnaireResponse")
    assert response["basedOn"] == [{"reference": f"CarePlan/{road.course.id}"}]
    answers = [i["answer"][0]["valueInteger"] for i in response["item"][0]["item"]]
    assert answers == [4, 4, 4, 4, 4]
    score = by_id(bundle)[f"Observation/checkin-{response['id']}-score"]
    assert score["valueInteger"] == 20 and (LOINC, "82668-5") in codings(score["code"])
    (document,) = by_type(bundle, "DocumentReference")
    with db.session() as s:
        (signed,) = summaries.signed_summaries(s, sc.physician.actor, fhir_road.pid)
    attachment = document["content"][0]["attachment"]
    assert base64.b64decode(attachment["data"]) == signed.pdf
    sha1 = hashlib.sha1(signed.pdf).digest()  # noqa: S324 (R4's Attachment.hash is SHA-1)
    assert attachment["hash"] == base64.b64encode(sha1).decode()
    assert (attachment["contentType"], attachment["size"]) == ("application/pdf", len(signed.pdf))
    assert document["status"] == "current"
    assert (LOINC, "18842-5") in codings(document["type"])


def test_every_resource_answers_on_its_own_as_in_the_bundle(fhir_road, doctor):
    for key, resource in by_id(everything(doctor, fhir_road.pid)).items():
        r = doctor.get(f"/fhir/{key}")
        assert r.status_code == 200, (key, r.text)
        assert r.headers["content-type"] == "application/fhir+json"
        assert r.json() == resource, key


def test_metadata_is_public_and_declares_exactly_what_the_server_answers(client):
    r = client.get("/fhir/metadata")
    assert r.status_code == 200
    statement = r.json()
    assert_valid_r4(statement)
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["format"] == ["application/fhir+json", "application/json"]
    (rest,) = statement["rest"]
    declared = {res["type"] for res in rest["resource"]}
    paths = [route.path for router in routers() for route in router.routes]
    routes = {
        p.removeprefix("/fhir/").split("/")[0]
        for p in paths
        if p.startswith("/fhir/") and p.endswith("/{resource_id}") and "{resource_type}" not in p
    }
    assert declared == routes == ALL_TYPES
    for res in rest["resource"]:
        assert [i["code"] for i in res["interaction"]] == ["read"]
    (patient,) = [res for res in rest["resource"] if res["type"] == "Patient"]
    assert [op["name"] for op in patient["operation"]] == ["everything"]
    assert [i["code"] for i in rest["interaction"]] == ["transaction"]


def test_a_corrected_summary_replaces_the_version_it_corrects(sc, db, doctor, make_patient):
    pid = make_patient()
    first = sc.signed(pid, language="en")
    with db.transaction() as s:
        draft = summaries.revise(
            s, sc.physician.actor, first.id, RevisionIn(what_changed="dose corrected")
        )
    second = sc.sign(draft.id)
    documents = {d["id"]: d for d in by_type(everything(doctor, pid), "DocumentReference")}
    old, new = documents[str(first.id)], documents[str(second.id)]
    assert (old["status"], new["status"]) == ("superseded", "current")
    assert new["relatesTo"] == [
        {"code": "replaces", "target": {"reference": f"DocumentReference/{first.id}"}}
    ]
    assert "relatesTo" not in old
    for document in documents.values():
        assert_valid_r4(document)
