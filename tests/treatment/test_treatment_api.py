"""The stay through its JSON API, on each database: the bedside check (every refusal
reason, the DIN's check character, the audit of every scan), the administration's rules,
admission and discharge, the ward board, and who sees what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from respira.kit import audit
from respira.kit.clinic_time import clinic_today
from respira.kit.db import utcnow
from respira.products import din as dins
from respira.treatment import bedside
from respira.treatment.models import BedsideCheck
from tests.treatment.treatment_helpers import vitals

# --- helpers ----------------------------------------------------------------------------


def scan(client: Any, patient_code: str, din: str) -> Any:
    return client.post("/api/v1/bedside-checks", json={"patient_code": patient_code, "din": din})


def administration(ready: Any, witness_email: str, **overrides: Any) -> dict[str, Any]:
    now = utcnow()
    body: dict[str, Any] = {
        "din": ready.din,
        "patient_id": ready.pid,
        "course_id": ready.course.id,
        "route": "iv",
        "started_at": (now - dt.timedelta(minutes=20)).isoformat(),
        "ended_at": (now - dt.timedelta(minutes=5)).isoformat(),
        "volume_ml": 50,
        "rate_ml_per_h": 200,
        "vitals": [vitals("before"), vitals("during"), vitals("after", temperature_c=37.4)],
        "witness_email": witness_email,
        "reactions": ["chills"],
        "reaction_notes": "mild chills at 10 minutes, settled without treatment",
    }
    body.update(overrides)
    return body


def codes(r: Any) -> list[str]:
    assert r.status_code == 200, r.text
    return list(r.json()["reason_codes"])


# --- bedside checks ---------------------------------------------------------------------


def test_bedside_check_is_go_for_the_patients_allocated_thawed_released_unit(nurse_api, ready, db):
    r = scan(nurse_api, ready.mrn, ready.din)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and body["reasons"] == []
    assert body["patient_id"] == ready.pid and body["course_id"] == ready.course.id


def test_accepted_scan_is_stored_audited_and_written_into_the_units_ledger(
    nurse_api, ready, db, clinic
):
    r = scan(nurse_api, ready.mrn, ready.din)
    with db.session() as s:
        row = s.get(BedsideCheck, r.json()["id"])
        assert row is not None and row.ok and row.checked_by_name == nurse_api.account.actor.name
        trail = audit.history(s, "bedside_check", row.id)
        assert [t.action for t in trail] == ["create"]
        assert audit.verify_chain(s).ok
    chain = nurse_api.get(f"/api/v1/units/{ready.din}/chain")
    if chain.status_code == 200:
        assert any("GO" in e["detail"] for e in chain.json()["events"])


def test_refused_scan_is_stored_audited_and_written_into_the_units_ledger(
    nurse_api, ready, db, clinic
):
    other = clinic.eligible_patient()
    r = scan(nurse_api, clinic.mrn(other), ready.din)
    assert r.json()["ok"] is False
    with db.session() as s:
        row = s.get(BedsideCheck, r.json()["id"])
        assert row is not None and not row.ok and row.reasons
        assert [t.action for t in audit.history(s, "bedside_check", row.id)] == ["create"]
    chain = nurse_api.get(f"/api/v1/units/{ready.din}/chain")
    if chain.status_code == 200:
        assert any("NO-GO" in e["detail"] for e in chain.json()["events"])


def test_bedside_refuses_a_unit_allocated_to_another_patients_course(nurse_api, ready, clinic):
    other = clinic.eligible_patient()
    assert bedside.NOT_ALLOCATED in codes(scan(nurse_api, clinic.mrn(other), ready.din))


def test_bedside_refuses_another_patients_autologous_unit(nurse_api, clinic):
    donor_patient = clinic.eligible_patient()
    harvest = clinic.harvest(donor_patient)
    course = clinic.course(donor_patient, source="autologous_bone_marrow", harvest_id=harvest)
    din = clinic.lot(units=1, harvest_id=harvest)[0]
    clinic.prepare(course, [din])
    other = clinic.eligible_patient()
    found = codes(scan(nurse_api, clinic.mrn(other), din))
    assert bedside.OTHER_PATIENTS_AUTOLOGOUS in found
    assert codes(scan(nurse_api, clinic.mrn(donor_patient), din)) == []


def test_bedside_refuses_a_unit_not_allocated_to_any_course(nurse_api, ready):
    assert codes(scan(nurse_api, ready.mrn, ready.spare_din)) == [bedside.NOT_ALLOCATED]


def test_bedside_refuses_a_unit_of_an_unreleased_lot(nurse_api, clinic):
    pid = clinic.eligible_patient()
    clinic.course(pid)
    din = clinic.lot(units=1, release=False)[0]
    found = codes(scan(nurse_api, clinic.mrn(pid), din))
    assert bedside.NOT_RELEASED in found


def test_bedside_refuses_a_unit_of_a_recalled_lot(nurse_api, ready, clinic):
    clinic.recall(ready.din)
    assert codes(scan(nurse_api, ready.mrn, ready.din)) == [bedside.RECALLED]


def test_bedside_refuses_a_unit_of_an_expired_lot(nurse_api, ready, clinic):
    clinic.expire_lot(ready.din)
    assert codes(scan(nurse_api, ready.mrn, ready.din)) == [bedside.EXPIRED]


def test_bedside_refuses_a_unit_past_its_post_thaw_time(nurse_api, ready, clinic):
    clinic.thaw_expired(ready.din)
    assert codes(scan(nurse_api, ready.mrn, ready.din)) == [bedside.THAW_EXPIRED]


def test_bedside_refuses_a_unit_already_given(nurse_api, ready, clinic):
    assert scan(nurse_api, ready.mrn, ready.din).json()["ok"]
    r = nurse_api.post("/api/v1/administrations", json=administration(ready, clinic.witness.email))
    assert r.status_code == 201, r.text
    assert codes(scan(nurse_api, ready.mrn, ready.din)) == [bedside.ALREADY_GIVEN]


def test_bedside_refuses_an_unknown_wristband_code(nurse_api, ready):
    assert bedside.UNKNOWN_PATIENT in codes(scan(nurse_api, "RSP-0000000-0", ready.din))


def test_bedside_refuses_a_well_formed_din_that_names_no_unit(nurse_api, ready):
    assert codes(scan(nurse_api, ready.mrn, "Z999926000001")) == [bedside.UNKNOWN_UNIT]


def test_din_with_a_wrong_check_character_is_a_bad_request(nurse_api, ready, db):
    right = dins.check_character(ready.din)
    wrong = next(c for c in dins.CHARSET if c != right)
    r = scan(nurse_api, ready.mrn, ready.din + wrong)
    assert r.status_code == 400, r.text
    assert "check character" in r.json()["detail"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(BedsideCheck)) == 0


@pytest.mark.parametrize(
    "bad", ["G12349865432", "G1234986543210X", "1123498654321", "G1234-98-65432"]
)
def test_malformed_din_is_a_bad_request(nurse_api, ready, bad):
    assert scan(nurse_api, ready.mrn, bad).status_code == 400


def test_din_typed_with_its_right_check_character_is_accepted(nurse_api, ready):
    r = scan(nurse_api, ready.mrn, ready.din + dins.check_character(ready.din))
    assert r.status_code == 200 and r.json()["ok"] is True
    assert r.json()["din"] == ready.din


# --- administrations --------------------------------------------------------------------


def test_administration_recorded_after_a_go_check_marks_the_unit_given(
    nurse_api, ready, clinic, db
):
    assert scan(nurse_api, ready.mrn, ready.din).json()["ok"]
    r = nurse_api.post("/api/v1/administrations", json=administration(ready, clinic.witness.email))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["operator"] == nurse_api.account.actor.name
    assert body["witness_name"] == clinic.witness.actor.name
    assert [v["phase"] for v in body["vitals"]] == ["before", "during", "after"]
    assert body["reactions"] == ["chills"]
    with db.session() as s:
        assert [t.action for t in audit.history(s, "administration", body["id"])] == ["create"]


def test_second_administration_of_the_same_unit_is_409(nurse_api, ready, clinic):
    scan(nurse_api, ready.mrn, ready.din)
    body = administration(ready, clinic.witness.email)
    assert nurse_api.post("/api/v1/administrations", json=body).status_code == 201
    again = nurse_api.post("/api/v1/administrations", json=body)
    assert again.status_code == 409, again.text


def test_administration_without_a_go_check_is_refused(nurse_api, ready, clinic):
    r = nurse_api.post("/api/v1/administrations", json=administration(ready, clinic.witness.email))
    assert r.status_code == 422
    assert "bedside check" in r.text


def test_administration_after_a_no_go_check_only_is_refused(nurse_api, ready, clinic):
    other = clinic.eligible_patient()
    scan(nurse_api, clinic.mrn(other), ready.din)  # NO-GO: the wrong wristband
    r = nurse_api.post("/api/v1/administrations", json=administration(ready, clinic.witness.email))
    assert r.status_code == 422


def test_go_check_counts_for_30_minutes(nurse_api, ready, clinic):
    scan(nurse_api, ready.mrn, ready.din)
    clinic.age_checks(31)
    body = administration(ready, clinic.witness.email)
    assert nurse_api.post("/api/v1/administrations", json=body).status_code == 422
    clinic.age_checks(29)
    assert nurse_api.post("/api/v1/administrations", json=body).status_code == 201


def test_witness_must_not_be_the_operator(nurse_api, ready, clinic):
    scan(nurse_api, ready.mrn, ready.din)
    r = nurse_api.post(
        "/api/v1/administrations", json=administration(ready, nurse_api.account.email)
    )
    assert r.status_code == 422 and "witness_email" in r.text


def test_witness_must_be_a_nurse_or_physician_account(nurse_api, ready, clinic):
    scan(nurse_api, ready.mrn, ready.din)
    unknown = administration(ready, "nobody@clinic.example.org")
    assert nurse_api.post("/api/v1/administrations", json=unknown).status_code == 422
    lab = administration(ready, clinic.lab.email)
    assert nurse_api.post("/api/v1/administrations", json=lab).status_code == 422


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("temperature_c", 30, 43),
        ("heart_rate_bpm", 20, 250),
        ("spo2_pct", 50, 100),
        ("respiratory_rate_per_min", 4, 60),
    ],
)
def test_vital_signs_outside_their_plausible_range_are_refused_at_the_cut_off(
    nurse_api, ready, clinic, name, low, high
):
    scan(nurse_api, ready.mrn, ready.din)
    for value in (low - 1, high + 1):
        body = administration(ready, clinic.witness.email, vitals=[vitals(**{name: value})])
        r = nurse_api.post("/api/v1/administrations", json=body)
        assert r.status_code == 422 and "not plausible" in r.text
    body = administration(ready, clinic.witness.email, vitals=[vitals(**{name: high})])
    assert nurse_api.post("/api/v1/administrations", json=body).status_code == 201


def test_blood_pressure_with_systolic_not_above_diastolic_is_refused(nurse_api, ready, clinic):
    scan(nurse_api, ready.mrn, ready.din)
    body = administration(
        ready, clinic.witness.email, vitals=[vitals(systolic_mmhg=80, diastolic_mmhg=80)]
    )
    r = nurse_api.post("/api/v1/administrations", json=body)
    assert r.status_code == 422 and "systolic" in r.text


def test_refused_administration_changes_nothing(nurse_api, ready, clinic, db):
    scan(nurse_api, ready.mrn, ready.din)
    body = administration(ready, clinic.witness.email, vitals=[vitals(spo2_pct=101)])
    assert nurse_api.post("/api/v1/administrations", json=body).status_code == 422
    assert scan(nurse_api, ready.mrn, ready.din).json()["ok"] is True


# --- admissions, discharge, supporting sessions, the board ------------------------------


def admit(client: Any, ready: Any, at: dt.datetime | None = None) -> Any:
    return client.post(
        f"/api/v1/patients/{ready.pid}/admissions",
        json={"course_id": ready.course.id, "admitted_at": (at or utcnow()).isoformat()},
    )


def test_admission_and_discharge(nurse_api, ready):
    r = admit(nurse_api, ready)
    assert r.status_code == 201, r.text
    assert admit(nurse_api, ready).status_code == 409  # already in
    d = nurse_api.post(f"/api/v1/admissions/{r.json()['id']}/discharge", json={"note": "well"})
    assert d.status_code == 200 and d.json()["discharged_at"] is not None
    assert nurse_api.post(f"/api/v1/admissions/{r.json()['id']}/discharge").status_code == 409


def test_admission_is_refused_long_before_the_course_starts(nurse_api, clinic):
    pid = clinic.eligible_patient()
    start = clinic_today() + dt.timedelta(days=3)
    course = clinic.course(pid, start=start)
    r = nurse_api.post(
        f"/api/v1/patients/{pid}/admissions",
        json={"course_id": course.id, "admitted_at": utcnow().isoformat()},
    )
    assert r.status_code == 422 and "admitted_at" in r.text


def test_admission_for_another_patients_course_is_refused(nurse_api, ready, clinic):
    other = clinic.eligible_patient()
    r = nurse_api.post(
        f"/api/v1/patients/{other}/admissions",
        json={"course_id": ready.course.id, "admitted_at": utcnow().isoformat()},
    )
    assert r.status_code == 422


def test_ward_board_shows_who_is_in_and_what_is_due_done_or_not(nurse_api, ready, clinic):
    admit(nurse_api, ready)
    board = nurse_api.get("/api/v1/ward").json()
    (row,) = [p for p in board["patients"] if p["patient_id"] == ready.pid]
    assert row["in_ward"] is True
    due = {d["kind"]: d for d in row["due"]}
    assert due["infusion"]["done"] is False
    assert due["infusion"]["cells"] == 70_000_000 and "1" in due["infusion"]["dose"]
    assert due["supporting"]["done"] is False
    assert "nebulisation" not in due  # on day 2
    scan(nurse_api, ready.mrn, ready.din)
    assert (
        nurse_api.post(
            "/api/v1/administrations", json=administration(ready, clinic.witness.email)
        ).status_code
        == 201
    )
    s = nurse_api.post(
        "/api/v1/supporting-sessions",
        json={
            "course_id": ready.course.id,
            "modality": "physiotherapy",
            "day": clinic_today().isoformat(),
            "done": True,
        },
    )
    assert s.status_code == 201, s.text
    board = nurse_api.get("/api/v1/ward").json()
    (row,) = [p for p in board["patients"] if p["patient_id"] == ready.pid]
    assert all(d["done"] for d in row["due"])
    tomorrow = (clinic_today() + dt.timedelta(days=1)).isoformat()
    board = nurse_api.get(f"/api/v1/ward?day={tomorrow}").json()
    (row,) = [p for p in board["patients"] if p["patient_id"] == ready.pid]
    assert [d["kind"] for d in row["due"] if d["kind"] != "supporting"] == ["nebulisation"]


def test_skipped_supporting_session_needs_a_reason_and_is_recorded_once(nurse_api, ready):
    body = {
        "course_id": ready.course.id,
        "modality": "physiotherapy",
        "day": clinic_today().isoformat(),
        "done": False,
    }
    assert nurse_api.post("/api/v1/supporting-sessions", json=body).status_code == 422
    body["reason"] = "patient asleep after the infusion"
    assert nurse_api.post("/api/v1/supporting-sessions", json=body).status_code == 201
    assert nurse_api.post("/api/v1/supporting-sessions", json=body).status_code == 409


def test_patient_reads_their_own_administrations_only(nurse_api, ready, clinic, api_as):
    scan(nurse_api, ready.mrn, ready.din)
    r = nurse_api.post("/api/v1/administrations", json=administration(ready, clinic.witness.email))
    own = api_as("patient", patient_id=ready.pid)
    assert (
        own.get(f"/api/v1/patients/{ready.pid}/administrations").json()[0]["id"] == r.json()["id"]
    )
    assert own.get(f"/api/v1/administrations/{r.json()['id']}").status_code == 200
    stranger = api_as("patient")
    assert stranger.get(f"/api/v1/administrations/{r.json()['id']}").status_code == 404
    assert stranger.get(f"/api/v1/patients/{ready.pid}/administrations").status_code == 404


def test_admission_for_a_course_not_yet_approved_is_refused(nurse_api, clinic):
    pid = clinic.eligible_patient()
    draft = clinic.course(pid, approve=False)
    r = nurse_api.post(
        f"/api/v1/patients/{pid}/admissions",
        json={"course_id": draft.id, "admitted_at": utcnow().isoformat()},
    )
    assert r.status_code == 422 and "not approved" in r.text


def test_bedside_check_and_administration_are_the_ward_staffs_not_the_labs(api_as, ready):
    lab = api_as("lab")
    assert scan(lab, ready.mrn, ready.din).status_code == 403
    coordinator = api_as("coordinator")
    assert coordinator.get("/api/v1/ward").status_code == 200
    assert scan(coordinator, ready.mrn, ready.din).status_code == 403
