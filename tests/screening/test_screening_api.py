"""Screenings through the JSON API: evaluation, the e-signature and its rules, that a
signed decision never changes, superseding, and who may see what."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from respira.accounts.models import User
from respira.diagnostics import service as diagnostics_service
from respira.diagnostics.schemas import (
    HistoryIn,
    MarkersIn,
    QuestionnaireIn,
    SpirometryIn,
    VisitIn,
)
from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.validation import today_utc
from respira.screening import service
from respira.screening.models import Screening
from tests.screening.screening_helpers import good_findings_values

APPROVE, DECLINE = "approved eligibility", "declined"

# A diagnostic work-up as diagnostics' own schemas take it (issue 3's API contract).
SPIRO: dict[str, Any] = {
    "equations": "gli-global",
    "fev1_pre_l": 2.10,
    "fvc_pre_l": 3.20,
    "fev1_post_l": 2.50,
    "fvc_post_l": 3.40,
    "bronchodilator": "salbutamol",
    "bronchodilator_dose_ug": 400,
}
MARKERS: dict[str, Any] = {"blood_eosinophils_per_ul": 420, "feno_ppb": 38}
HISTORY: dict[str, Any] = {
    "ics_dose_level": "high",
    "laba": True,
    "lama": True,
    "maintenance_ocs": False,
    "biologic": "none",
    "gina_step": 5,
    "severe_exacerbations_12m": 3,
    "hospitalisations_12m": 1,
    "rescue_puffs_per_week": 14,
    "adherence_confirmed": "yes",
    "inhaler_technique_confirmed": "yes",
}


def evaluate(client: Any, pid: int, expected: int = 201) -> dict[str, Any]:
    r = client.post(f"/api/v1/patients/{pid}/screenings")
    assert r.status_code == expected, r.text
    return dict(r.json())


def sign(client: Any, sid: int, meaning: str, password: str | None = None) -> Any:
    pw = client.account.password if password is None else password
    return client.post(
        f"/api/v1/screenings/{sid}/sign",
        json={"password": pw, "meaning": meaning},
        headers={"If-Match": read_etag(client, sid)},
    )


def read_etag(client: Any, sid: int) -> str:
    """The version a physician read (the signature binds to it)."""
    return str(client.get(f"/api/v1/screenings/{sid}").headers["etag"])


def audit_actions(db: Any, entity_type: str, entity_id: Any) -> list[str]:
    with db.session() as session:
        return [r.action for r in audit.history(session, entity_type, entity_id)]


def failed_logins(db: Any, user_id: int) -> int:
    with db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.failed_logins


# --- evaluation ---------------------------------------------------------------------


def test_evaluation_answers_decision_version_and_every_criterion_with_evidence(doc, candidate):
    pid = candidate()
    out = evaluate(doc, pid)
    assert out["decision"] == "eligible"
    assert out["criteria_version"] == "respira-default-2026.12"
    assert out["screening_date"] == today_utc().isoformat()
    assert len(out["criteria"]) == 22
    for c in out["criteria"]:
        assert set(c) >= {"id", "description", "status", "evidence"}
        assert c["status"] in ("met", "not_met", "unknown")
        assert c["evidence"]
    renal = next(c for c in out["criteria"] if c["id"] == "severe_renal_failure")
    assert renal["status"] == "not_met"
    assert "eGFR: 88 mL/min/1.73m²" in renal["evidence"]
    assert f"screening findings {out['findings_id']}" in renal["evidence"]
    assert out["signed"] is False and out["signed_by"] is None and out["meaning"] is None
    assert doc.get(f"/api/v1/screenings/{out['id']}").json() == out


def test_without_findings_or_diagnostics_the_screening_needs_review_never_eligible(
    doc, make_patient, snapshots
):
    pid = make_patient()
    out = evaluate(doc, pid)
    assert out["decision"] == "needs_review"
    assert out["findings_id"] is None
    infection = next(c for c in out["criteria"] if c["id"] == "active_infection")
    assert infection["status"] == "unknown"
    assert "not recorded (screening findings)" in infection["evidence"]


def test_a_met_exclusion_in_the_findings_makes_the_patient_not_eligible(doc, candidate):
    out = evaluate(doc, candidate(findings={"pneumonia": "yes"}))
    assert out["decision"] == "not_eligible"
    assert "exclusion met: active_infection" in out["reasons"]


def test_age_comes_from_the_patient_record_on_the_screening_date(doc, candidate):
    born = today_utc().replace(year=today_utc().year - 66)
    out = evaluate(doc, candidate(date_of_birth=born.isoformat()))
    age = next(c for c in out["criteria"] if c["id"] == "adult_age")
    assert age["status"] == "not_met"
    assert "age: 66 years" in age["evidence"]
    assert out["decision"] == "not_eligible"


def test_evaluation_installs_the_default_on_first_use_and_audits_it(db, doc, candidate):
    r = doc.post(
        f"/api/v1/patients/{candidate()}/screenings", json={"note": "after the new spirometry"}
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert audit_actions(db, "screening", out["id"]) == ["create"]
    assert audit_actions(db, "screening_criteria_set", out["criteria_set_id"]) == ["create"]
    with db.session() as session:
        rec = audit.history(session, "screening", out["id"])[0]
        after = json.loads(rec.after or "{}")
    assert rec.reason == "after the new spirometry"
    assert after["decision"] == "eligible"
    assert after["statuses"]["active_infection"] == "not_met"


def test_an_unknown_patient_answers_404_and_stores_nothing(doc, count_rows, snapshots):
    r = doc.post("/api/v1/patients/999999/screenings")
    assert r.status_code == 404
    assert count_rows()["screenings"] == 0


def test_the_real_clinical_snapshot_feeds_the_screening(db, doc, make_patient):
    """No stand-in: diagnostics recorded through diagnostics' own use cases."""
    pid = make_patient(height_cm=168.0)
    today = today_utc()
    system = Actor.system("test")
    with db.transaction() as session:
        visit = diagnostics_service.create_visit(
            session, system, pid, VisitIn(visit_date=today - dt.timedelta(days=3))
        )
    with db.transaction() as session:
        diagnostics_service.record_spirometry(
            session, system, visit.id, SpirometryIn.model_validate(SPIRO)
        )
    with db.transaction() as session:
        diagnostics_service.record_markers(
            session, system, visit.id, MarkersIn.model_validate(MARKERS)
        )
    with db.transaction() as session:
        diagnostics_service.record_questionnaire(
            session,
            system,
            visit.id,
            QuestionnaireIn.model_validate({"instrument": "act", "answers": [2, 3, 3, 2, 3]}),
        )
    with db.transaction() as session:
        diagnostics_service.record_history(
            session, system, visit.id, HistoryIn.model_validate(HISTORY)
        )
    r = doc.post(f"/api/v1/patients/{pid}/screening-findings", json=good_findings_values(today))
    assert r.status_code == 201, r.text
    out = evaluate(doc, pid)
    by_id = {c["id"]: c for c in out["criteria"]}
    assert by_id["uncontrolled_asthma"]["status"] == "met"
    assert f"visit {visit.id} / questionnaire" in by_id["uncontrolled_asthma"]["evidence"]
    assert by_id["despite_standard_treatment"]["status"] == "met"
    assert by_id["hypereosinophilia"]["status"] == "not_met"
    assert "420 cells/µL" in by_id["hypereosinophilia"]["evidence"]
    assert by_id["confirmed_asthma"]["status"] == "met"
    # HISTORY reports 3 exacerbations without a date: the diagnostics cannot rule out a
    # recent one; the physician's answer on the screening date does (issue 14).
    assert by_id["recent_exacerbation"]["status"] == "not_met"
    assert out["decision"] == "eligible"
    unasked = good_findings_values(today, exacerbation_or_scs_4w="unknown")
    assert doc.post(f"/api/v1/patients/{pid}/screening-findings", json=unasked).status_code == 201
    out = evaluate(doc, pid)
    by_id = {c["id"]: c for c in out["criteria"]}
    assert by_id["recent_exacerbation"]["status"] == "unknown"
    assert out["decision"] == "needs_review"


# --- signing ----------------------------------------------------------------------------


def test_a_physician_signs_an_eligible_screening_approved(db, doc, candidate):
    out = evaluate(doc, candidate())
    r = sign(doc, out["id"], APPROVE)
    assert r.status_code == 200, r.text
    signed = r.json()
    assert signed["signed"] is True
    assert signed["meaning"] == APPROVE
    assert signed["signed_by"] == doc.account.actor.name
    assert signed["signed_by_id"] == doc.account.id
    assert signed["signed_at"]
    assert signed["signature_valid"] is True
    with db.session() as session:
        row = session.get(Screening, out["id"])
        assert row is not None
        sig = session.get(audit.Signature, row.signature_id)
        assert sig is not None
        # The signature's hash covers exactly the evaluated screening as stored.
        assert sig.content_hash == audit.content_hash(service.signed_content(row))
        assert sig.meaning == APPROVE and sig.entity_type == "screening"
    assert audit_actions(db, "screening", out["id"]) == ["create", "sign"]
    assert audit_actions(db, "signature", signed["signature_id"]) == ["sign"]


def test_declined_may_be_signed_whatever_the_decision(doc, candidate):
    for changes in ({}, {"pneumonia": "yes"}, {"stable_general_health": "unknown"}):
        out = evaluate(doc, candidate(findings=changes))
        r = sign(doc, out["id"], DECLINE)
        assert r.status_code == 200, (out["decision"], r.text)
        assert r.json()["meaning"] == DECLINE


@pytest.mark.parametrize("changes", [{"pneumonia": "yes"}, {"stable_general_health": "unknown"}])
def test_approved_eligibility_is_refused_unless_the_screening_is_eligible(
    db, doc, candidate, changes
):
    out = evaluate(doc, candidate(findings=changes))
    assert out["decision"] != "eligible"
    r = sign(doc, out["id"], APPROVE)
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["field"] == "meaning"
    assert "only for an eligible screening" in detail["msg"]
    assert doc.get(f"/api/v1/screenings/{out['id']}").json()["signed"] is False
    assert failed_logins(db, doc.account.id) == 0


def test_a_wrong_password_answers_403_counts_toward_lockout_and_signs_nothing(db, doc, candidate):
    out = evaluate(doc, candidate())
    r = sign(doc, out["id"], APPROVE, password="not my password")
    assert r.status_code == 403
    assert "password" in r.json()["detail"]
    assert failed_logins(db, doc.account.id) == 1
    assert doc.get(f"/api/v1/screenings/{out['id']}").json() == out
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(audit.Signature)) == 0
    assert audit_actions(db, "screening", out["id"]) == ["create"]


def test_five_wrong_passwords_lock_the_account_and_then_even_the_right_one_is_refused(
    db, doc, candidate
):
    out = evaluate(doc, candidate())
    for _ in range(5):
        assert sign(doc, out["id"], APPROVE, password="wrong").status_code == 403
    with db.session() as session:
        user = session.get(User, doc.account.id)
        assert user is not None and user.locked_until is not None
    assert sign(doc, out["id"], APPROVE).status_code == 403
    assert doc.get(f"/api/v1/screenings/{out['id']}").json()["signed"] is False


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"meaning": APPROVE},
        {"password": "", "meaning": APPROVE},
        {"password": "PW"},
        {"password": "PW", "meaning": ""},
        {"password": "PW", "meaning": "approved"},
        {"password": "PW", "meaning": APPROVE, "comment": "extra field"},
    ],
    ids=[
        "empty",
        "no-password",
        "empty-password",
        "no-meaning",
        "empty-meaning",
        "unknown-meaning",
        "extra-field",
    ],
)
def test_missing_or_empty_password_or_meaning_answers_422_not_403(db, doc, candidate, body):
    out = evaluate(doc, candidate())
    if body.get("password") == "PW":
        body = {**body, "password": doc.account.password}
    r = doc.post(
        f"/api/v1/screenings/{out['id']}/sign",
        json=body,
        headers={"If-Match": read_etag(doc, out["id"])},
    )
    assert r.status_code == 422, r.text
    assert failed_logins(db, doc.account.id) == 0
    assert doc.get(f"/api/v1/screenings/{out['id']}").json()["signed"] is False


@pytest.mark.parametrize("role", ["admin", "coordinator", "lab", "patient"])
def test_only_a_physician_signs(api_as, doc, candidate, role):
    out = evaluate(doc, candidate())
    other = api_as(role)
    r = other.post(
        f"/api/v1/screenings/{out['id']}/sign",
        json={"password": other.account.password, "meaning": APPROVE},
    )
    assert r.status_code == 403
    assert doc.get(f"/api/v1/screenings/{out['id']}").json()["signed"] is False


# --- a signed decision never changes ------------------------------------------------


def test_a_signed_screening_cannot_be_signed_again_and_the_attempt_is_audited(
    db, api_as, doc, candidate
):
    out = evaluate(doc, candidate())
    signed = sign(doc, out["id"], APPROVE).json()
    second = api_as("physician")
    for client, meaning in ((doc, DECLINE), (doc, APPROVE), (second, DECLINE)):
        r = sign(client, out["id"], meaning)
        assert r.status_code == 409, r.text
        assert "never changes" in r.json()["detail"]
    assert doc.get(f"/api/v1/screenings/{out['id']}").json() == signed
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(audit.Signature)) == 1
    actions = audit_actions(db, "screening", out["id"])
    assert actions == ["create", "sign", "change_refused", "change_refused", "change_refused"]
    with db.session() as session:
        assert audit.verify_chain(session).ok


@pytest.mark.parametrize("if_match", [None, '"1"', '"2"', '"99"'])
def test_editing_a_signed_screening_answers_409_whatever_the_request_says(
    db, doc, candidate, if_match
):
    out = evaluate(doc, candidate())
    signed = sign(doc, out["id"], DECLINE).json()
    headers = {} if if_match is None else {"If-Match": if_match}
    r = doc.patch(
        f"/api/v1/screenings/{out['id']}", json={"physician_note": "changed"}, headers=headers
    )
    assert r.status_code == 409
    assert doc.get(f"/api/v1/screenings/{out['id']}").json() == signed
    assert audit_actions(db, "screening", out["id"])[-1] == "change_refused"


def test_the_database_refuses_an_approval_of_a_screening_that_is_not_eligible(db, doc, candidate):
    out = evaluate(doc, candidate(findings={"pneumonia": "yes"}))
    assert sign(doc, out["id"], DECLINE).status_code == 200
    with pytest.raises(IntegrityError) as refused, db.transaction() as session:
        session.execute(
            text("UPDATE screenings SET meaning = 'approved eligibility' WHERE id = :id"),
            {"id": out["id"]},
        )
    assert "approval_needs_eligible" in str(refused.value)


# --- the reviewing physician's note (editable until signed) -------------------------------


def test_a_note_changes_an_unsigned_screening_with_if_match_and_is_signed_with_it(
    db, doc, candidate
):
    out = evaluate(doc, candidate())
    url = f"/api/v1/screenings/{out['id']}"
    assert doc.patch(url, json={"physician_note": "x"}).status_code == 428
    r = doc.patch(
        url, json={"physician_note": "Reviewed with the patient."}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    assert r.json()["physician_note"] == "Reviewed with the patient."
    assert r.json()["version"] == 2
    stale = doc.patch(url, json={"physician_note": "late"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409
    assert audit_actions(db, "screening", out["id"]) == ["create", "update"]
    sign(doc, out["id"], APPROVE)
    with db.session() as session:
        row = session.get(Screening, out["id"])
        assert row is not None
        assert service.signed_content(row)["physician_note"] == "Reviewed with the patient."
        assert row.content_hash == audit.content_hash(service.signed_content(row))


# --- superseding --------------------------------------------------------------------------


def test_a_new_screening_supersedes_the_newest_and_the_signed_one_stays_as_it_was(doc, candidate):
    pid = candidate()
    first = evaluate(doc, pid)
    signed = sign(doc, first["id"], APPROVE).json()
    second = evaluate(doc, pid)
    assert second["supersedes_id"] == first["id"]
    old = doc.get(f"/api/v1/screenings/{first['id']}").json()
    assert old["superseded_by_id"] == second["id"]
    assert {k: v for k, v in old.items() if k != "superseded_by_id"} == {
        k: v for k, v in signed.items() if k != "superseded_by_id"
    }
    third = evaluate(doc, pid)
    assert third["supersedes_id"] == second["id"]
    listed = doc.get(f"/api/v1/patients/{pid}/screenings").json()
    assert [s["id"] for s in listed] == [third["id"], second["id"], first["id"]]


def test_a_superseded_screening_can_no_longer_be_signed_or_annotated(doc, candidate):
    pid = candidate()
    first = evaluate(doc, pid)
    second = evaluate(doc, pid)
    r = sign(doc, first["id"], DECLINE)
    assert r.status_code == 409
    assert f"superseded by screening {second['id']}" in r.json()["detail"]
    r = doc.patch(
        f"/api/v1/screenings/{first['id']}",
        json={"physician_note": "x"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 409
    assert sign(doc, second["id"], APPROVE).status_code == 200


def test_screenings_of_different_patients_do_not_supersede_each_other(doc, candidate):
    a = evaluate(doc, candidate())
    b = evaluate(doc, candidate(first_name="Bo", email="bo@mail.example"))
    assert a["supersedes_id"] is None and b["supersedes_id"] is None


# --- who may see what ----------------------------------------------------------------------


def test_a_patient_reads_their_own_screenings_and_no_one_elses(api_as, doc, candidate):
    own = candidate(first_name="Own", email="own@mail.example")
    other = candidate(first_name="Else", email="else@mail.example")
    mine = evaluate(doc, own)
    theirs = evaluate(doc, other)
    me = api_as("patient", patient_id=own)
    assert me.get(f"/api/v1/screenings/{mine['id']}").status_code == 200
    assert [s["id"] for s in me.get(f"/api/v1/patients/{own}/screenings").json()] == [mine["id"]]
    assert me.get(f"/api/v1/screenings/{theirs['id']}").status_code == 404
    assert me.get(f"/api/v1/patients/{other}/screenings").status_code == 404
    assert me.get(f"/api/v1/patients/{other}/screening-findings").status_code == 404
    assert me.get("/api/v1/screenings/999999").status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "lab"])
def test_coordinators_and_the_laboratory_see_no_screening_detail(api_as, doc, candidate, role):
    pid = candidate()
    out = evaluate(doc, pid)
    c = api_as(role)
    assert c.get(f"/api/v1/screenings/{out['id']}").status_code == 403
    assert c.get(f"/api/v1/patients/{pid}/screenings").status_code == 403
    assert c.post(f"/api/v1/patients/{pid}/screenings").status_code == 403


def test_an_admin_reads_screenings_but_neither_runs_nor_signs_them(api_as, doc, candidate):
    pid = candidate()
    out = evaluate(doc, pid)
    admin = api_as("admin")
    assert admin.get(f"/api/v1/screenings/{out['id']}").status_code == 200
    assert admin.post(f"/api/v1/patients/{pid}/screenings").status_code == 403


def test_a_signature_binds_to_the_version_read_428_without_if_match_409_when_stale(
    db, doc, candidate
):
    out = evaluate(doc, candidate())
    body = {"password": doc.account.password, "meaning": APPROVE}
    r = doc.post(f"/api/v1/screenings/{out['id']}/sign", json=body)
    assert r.status_code == 428, r.text
    assert "If-Match" in r.json()["detail"]
    read = read_etag(doc, out["id"])
    noted = doc.patch(
        f"/api/v1/screenings/{out['id']}",
        json={"physician_note": "seen by a colleague"},
        headers={"If-Match": read},
    )
    assert noted.status_code == 200, noted.text
    r = doc.post(f"/api/v1/screenings/{out['id']}/sign", json=body, headers={"If-Match": read})
    assert r.status_code == 409, r.text
    assert doc.get(f"/api/v1/screenings/{out['id']}").json()["signed"] is False
    assert failed_logins(db, doc.account.id) == 0
