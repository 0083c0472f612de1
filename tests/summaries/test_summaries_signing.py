"""Signing freezes a summary: the PDFs and their SHA-256 never change after it, whatever
happens to the records; a correction is a new version that says what changed and lists
the sections that differ, and the version it corrects stays downloadable, superseded.
Through the API contract: POST /api/v1/patients/{id}/summaries, POST
/api/v1/summaries/{id}/sign, GET /api/v1/summaries/{id}.pdf."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from respira.kit.audit import AuditRecord, Signature
from tests.conftest import PASSWORD
from tests.summaries.summaries_helpers import pdf_text

MEANING = "approved summary"


def _create(api, pid, **body):
    r = api.post(f"/api/v1/patients/{pid}/summaries", json={"kind": "discharge", **body})
    assert r.status_code == 201, r.text
    return r.json()


def _sign(api, summary_id, password=PASSWORD, meaning=MEANING):
    return api.post(
        f"/api/v1/summaries/{summary_id}/sign", json={"password": password, "meaning": meaning}
    )


def _write(api, summary_id, text="Continue the inhaler as before."):
    etag = api.get(f"/api/v1/summaries/{summary_id}").headers["ETag"]
    r = api.patch(
        f"/api/v1/summaries/{summary_id}",
        json={"recommendations": text},
        headers={"If-Match": etag},
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_the_contract_create_sign_download(api_as, road):
    doc = api_as("physician")
    made = _create(doc, road.pid, language="de")
    assert {k: made[k] for k in ("version", "status")} == {"version": 1, "status": "draft"}
    _write(doc, made["id"])
    r = _sign(doc, made["id"])
    assert r.status_code == 200, r.text
    signed = r.json()
    assert signed["status"] == "signed" and signed["meaning"] == MEANING
    pdf = doc.get(f"/api/v1/summaries/{made['id']}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert hashlib.sha256(pdf.content).hexdigest() == signed["pdf_sha256"]
    assert pdf.headers["X-Content-SHA256"] == signed["pdf_sha256"]
    english = doc.get(f"/api/v1/summaries/{made['id']}.pdf?lang=en")
    assert hashlib.sha256(english.content).hexdigest() == signed["pdf_english_sha256"]
    assert doc.get(f"/api/v1/summaries/{made['id']}.pdf?lang=ru").status_code == 422


def test_a_signed_summary_keeps_its_bytes_and_hash_when_the_records_change(api_as, sc, road):
    doc = api_as("physician")
    made = _create(doc, road.pid, recommendations="Review in 4 weeks.")
    signed = _sign(doc, made["id"]).json()
    before = doc.get(f"/api/v1/summaries/{made['id']}.pdf").content
    sc.adverse_event(road.pid, term="Headache", causality="unlikely")
    after = doc.get(f"/api/v1/summaries/{made['id']}.pdf").content
    assert after == before
    assert hashlib.sha256(after).hexdigest() == signed["pdf_sha256"]
    assert "Headache" not in pdf_text(after)
    # A new draft reads the records as they are now.
    fresh = _create(doc, road.pid)
    assert "Headache" in pdf_text(doc.get(f"/api/v1/summaries/{fresh['id']}.pdf").content)


def test_signing_needs_the_password_the_meaning_and_the_recommendations(api_as, db, road):
    doc = api_as("physician")
    made = _create(doc, road.pid)
    r = _sign(doc, made["id"])
    assert r.status_code == 422 and "recommendations" in r.text
    _write(doc, made["id"])
    assert _sign(doc, made["id"], meaning="approved protocol").status_code == 422
    assert _sign(doc, made["id"], password="wrong password").status_code == 403
    with db.session() as s:
        assert (
            s.scalar(
                select(func.count(Signature.id)).where(Signature.entity_type == "medical_summary")
            )
            == 0
        )
    assert doc.get(f"/api/v1/summaries/{made['id']}").json()["status"] == "draft"
    assert _sign(doc, made["id"]).status_code == 200
    with db.session() as s:
        sig = s.scalars(select(Signature).where(Signature.entity_type == "medical_summary")).one()
        assert sig.meaning == MEANING and sig.entity_id == str(made["id"])
        actions = s.scalars(
            select(AuditRecord.action).where(
                AuditRecord.entity_type == "medical_summary",
                AuditRecord.entity_id == str(made["id"]),
            )
        ).all()
    assert actions == ["create", "update", "sign"]


def test_a_signed_summary_refuses_edits_and_a_second_signature(api_as, road):
    doc = api_as("physician")
    made = _create(doc, road.pid, recommendations="Review in 4 weeks.")
    etag = doc.get(f"/api/v1/summaries/{made['id']}").headers["ETag"]
    assert _sign(doc, made["id"]).status_code == 200
    r = doc.patch(
        f"/api/v1/summaries/{made['id']}", json={"recommendations": "x"}, headers={"If-Match": etag}
    )
    assert r.status_code == 409
    assert _sign(doc, made["id"]).status_code == 409


def test_a_stale_draft_edit_is_refused(api_as, road):
    doc = api_as("physician")
    made = _create(doc, road.pid)
    etag = doc.get(f"/api/v1/summaries/{made['id']}").headers["ETag"]
    _write(doc, made["id"], "first")
    r = doc.patch(
        f"/api/v1/summaries/{made['id']}",
        json={"recommendations": "second"},
        headers={"If-Match": etag},
    )
    assert r.status_code == 409
    r = doc.patch(f"/api/v1/summaries/{made['id']}", json={"recommendations": "third"})
    assert r.status_code == 428
    assert doc.get(f"/api/v1/summaries/{made['id']}").json()["recommendations"] == "first"


def test_a_correction_is_a_new_version_that_says_what_changed(api_as, sc, road):
    doc = api_as("physician")
    first = _create(doc, road.pid, recommendations="Review in 4 weeks.")
    assert _sign(doc, first["id"]).status_code == 200
    v1_pdf = doc.get(f"/api/v1/summaries/{first['id']}.pdf").content
    sc.adverse_event(road.pid, term="Headache", causality="unlikely")
    r = doc.post(f"/api/v1/summaries/{first['id']}/revisions", json={"what_changed": ""})
    assert r.status_code == 422
    r = doc.post(
        f"/api/v1/summaries/{first['id']}/revisions",
        json={"what_changed": "Adds the headache reported after discharge."},
    )
    assert r.status_code == 201, r.text
    second = r.json()
    assert (second["version"], second["status"], second["revises_id"]) == (2, "draft", first["id"])
    assert second["recommendations"] == "Review in 4 weeks."
    again = doc.post(f"/api/v1/summaries/{first['id']}/revisions", json={"what_changed": "x"})
    assert again.status_code == 409
    signed = _sign(doc, second["id"]).json()
    assert signed["changed_sections"] == ["adverse_events"]
    old = doc.get(f"/api/v1/summaries/{first['id']}").json()
    assert old["status"] == "superseded" and old["superseded_by_id"] == second["id"]
    assert doc.get(f"/api/v1/summaries/{first['id']}.pdf").content == v1_pdf
    text = pdf_text(doc.get(f"/api/v1/summaries/{second['id']}.pdf?lang=en").content)
    assert "This version corrects version 1" in text
    assert "Adds the headache reported after discharge." in text
    assert "Sections that differ from version 1: Adverse events." in text
    listed = doc.get(f"/api/v1/patients/{road.pid}/summaries").json()
    assert [(s["version"], s["status"]) for s in listed] == [(2, "signed"), (1, "superseded")]
    assert (
        doc.post(
            f"/api/v1/summaries/{first['id']}/revisions", json={"what_changed": "y"}
        ).status_code
        == 409
    )


def test_a_language_respira_does_not_write_is_refused_and_changes_nothing(api_as, road):
    doc = api_as("physician")
    r = doc.post(
        f"/api/v1/patients/{road.pid}/summaries", json={"kind": "discharge", "language": "sv"}
    )
    assert r.status_code == 422 and "language" in r.text
    r = doc.post(f"/api/v1/patients/{road.pid}/summaries", json={"kind": "letter"})
    assert r.status_code == 422
    assert doc.get(f"/api/v1/patients/{road.pid}/summaries").json() == []


def test_without_a_language_the_patients_preferred_one_or_english(api_as, make_patient):
    doc = api_as("physician")
    swede = make_patient(first_name="Sven", email="sven@mail.example", preferred_language="sv")
    russian = make_patient(first_name="Olga", email="olga@mail.example", preferred_language="ru")
    assert _create(doc, swede)["language"] == "en"
    assert _create(doc, russian)["language"] == "ru"
