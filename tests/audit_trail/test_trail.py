"""The admin's trail: filters (patient, user, kind of record, action, dates), keyset
paging beyond the newest 50, the readable page, and the audited CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from sqlalchemy import select, update

from respira.audit_trail import links
from respira.audit_trail.models import AuditPatientLink
from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.audit import AuditRecord

DR = Actor(user_id=901, role="physician", name="Dr. Paula Pulmo")
NURSE = Actor(user_id=902, role="nurse", name="Nina Nurse")


def _note(db, actor, entity_type, entity_id, action, **change):
    with db.transaction() as s:
        return audit.record(
            s, actor, entity_type=entity_type, entity_id=entity_id, action=action, **change
        ).seq


def _clinical_story(db, make_patient):
    """Two patients; a visit of the first, an ACT recorded at it and then retracted, a
    screening of the first signed; a change of the second patient's date of birth."""
    p1 = make_patient(first_name="Olga", last_name="Ivanova")
    p2 = make_patient(first_name="Lukas", last_name="Weber")
    _note(
        db,
        DR,
        "diagnostic_visit",
        40,
        "create",
        after={"patient_id": p1, "visit_date": "2026-11-30"},
    )
    _note(
        db,
        DR,
        "questionnaire_response",
        41,
        "create",
        after={"visit_id": 40, "instrument": "act", "score": 12.0},
    )
    _note(
        db,
        NURSE,
        "questionnaire_response",
        41,
        "retract",
        before={"retracted": False},
        after={"retracted": True, "reason": "entered on the wrong patient"},
        reason="entered on the wrong patient",
    )
    _note(db, DR, "screening", 42, "create", after={"patient_id": p1, "decision": "eligible"})
    _note(
        db,
        DR,
        "signature",
        43,
        "sign",
        after={"entity_type": "screening", "entity_id": "42", "meaning": "eligible"},
    )
    _note(
        db,
        NURSE,
        "patient",
        p2,
        "update",
        before={"date_of_birth": "1980-03-14"},
        after={"date_of_birth": "1980-03-15"},
    )
    return p1, p2


def test_the_records_of_a_patient_include_those_of_its_visits_signatures_and_retractions(
    db, api_as, make_patient
):
    p1, p2 = _clinical_story(db, make_patient)
    admin = api_as("admin")
    r = admin.get("/api/v1/audit", params={"patient_id": p1})
    assert r.status_code == 200, r.text
    kinds = [(t["entity_type"], t["action"]) for t in r.json()]
    assert kinds == [
        ("signature", "sign"),
        ("screening", "create"),
        ("questionnaire_response", "retract"),
        ("questionnaire_response", "create"),
        ("diagnostic_visit", "create"),
        ("patient", "create"),
    ]
    other = admin.get("/api/v1/audit", params={"patient_id": p2}).json()
    assert [(t["entity_type"], t["action"]) for t in other] == [
        ("patient", "update"),
        ("patient", "create"),
    ]
    assert other[0]["description"] == "changed; Date of birth: 1980-03-14 → 1980-03-15"


def test_a_consultation_request_converted_later_joins_the_patients_records(db, make_patient):
    pid = make_patient()
    first = _note(
        db, Actor.public(), "consultation_request", 9, "create", after={"patient_id": None}
    )
    links.catch_up(db)
    _note(
        db,
        DR,
        "consultation_request",
        9,
        "convert",
        before={"patient_id": None},
        after={"patient_id": pid},
    )
    links.catch_up(db)
    with db.transaction() as s:
        linked = set(
            s.scalars(select(AuditPatientLink.seq).where(AuditPatientLink.patient_id == pid))
        )
    assert first in linked


def test_filters_by_user_kind_action_and_date_range(db, api_as, make_patient):
    _clinical_story(db, make_patient)
    admin = api_as("admin")

    def kinds(**params):
        r = admin.get("/api/v1/audit", params=params)
        assert r.status_code == 200, r.text
        return [(t["entity_type"], t["action"]) for t in r.json()]

    assert kinds(actor_id=NURSE.user_id) == [
        ("patient", "update"),
        ("questionnaire_response", "retract"),
    ]
    assert kinds(entity_type="questionnaire_response") == [
        ("questionnaire_response", "retract"),
        ("questionnaire_response", "create"),
    ]
    assert kinds(action="sign") == [("signature", "sign")]
    # Move the visit's record back a year: a date range leaves it out or keeps only it.
    with db.transaction() as s:
        s.execute(
            update(AuditRecord)
            .where(AuditRecord.entity_type == "diagnostic_visit")
            .values(at=dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC))
        )
    assert kinds(date_to="2025-06-01") == [("diagnostic_visit", "create")]
    assert ("diagnostic_visit", "create") not in kinds(date_from="2025-06-02")
    assert (
        admin.get(
            "/api/v1/audit", params={"date_from": "2026-02-01", "date_to": "2026-01-01"}
        ).status_code
        == 422
    )
    assert admin.get("/api/v1/audit", params={"entity_id": "4"}).status_code == 422


def test_paging_goes_beyond_the_newest_fifty_newest_first_without_gaps(db, api_as, page_as):
    for i in range(120):
        _note(db, DR, "thing", i % 3, "update", before={"n": i}, after={"n": i + 1})
    admin = api_as("admin")
    seen: list[int] = []
    url: str | None = "/api/v1/audit?entity_type=thing&limit=50"
    while url:
        r = admin.get(url)
        seen += [t["seq"] for t in r.json()]
        link = r.headers.get("link")
        url = link[1 : link.index(">")] if link else None
    assert len(seen) == 120 and seen == sorted(seen, reverse=True)
    page = page_as("admin")
    first = page.get("/audit", params={"entity_type": "thing"})
    assert first.status_code == 200
    assert first.text.count('data-label="When"') == 50
    assert "before_seq=" in first.text
    second = page.get(f"/audit?entity_type=thing&before_seq={seen[49]}")
    assert f"#{seen[50]}<" in second.text and f"#{seen[49]}<" not in second.text


def test_an_entitys_history_still_reads_oldest_first_with_its_old_parameters(db, api_as):
    for i in range(5):
        _note(db, DR, "thing", 1, "update", before={"n": i}, after={"n": i + 1})
    admin = api_as("admin")
    r = admin.get("/api/v1/audit?entity_type=thing&entity_id=1&limit=3")
    assert [t["after"]["n"] for t in r.json()] == [1, 2, 3]
    assert "after_seq=" in r.headers["link"]


def test_the_page_shows_changes_not_dictionaries(db, page_as, make_patient):
    _p1, p2 = _clinical_story(db, make_patient)
    page = page_as("admin")
    html = page.get("/audit").text
    assert "ACT score 12 → retracted, reason: entered on the wrong patient" in html
    assert "Date of birth: <del>1980-03-14</del> → <ins>1980-03-15</ins>" in html
    assert "Nina Nurse (nurse)" in html
    assert "{&#34;" not in html and '{"' not in html  # no raw JSON
    only_p2 = page.get("/audit", params={"patient_id": p2}).text
    assert "1980-03-15" in only_p2 and "ACT score" not in only_p2
    bad = page.get("/audit", params={"date_from": "14.03.2026"})
    assert bad.status_code == 200 and "enter a full date, e.g. 2026-03-14" in bad.text
    german = page.get("/audit", params={"lang": "de"}).text
    assert "Geburtsdatum: <del>1980-03-14</del>" in german


def test_the_csv_export_holds_the_filtered_trail_and_is_itself_audited(
    db, page_as, api_as, make_patient
):
    p1, _p2 = _clinical_story(db, make_patient)
    page = page_as("admin")
    r = page.get("/audit/export", params={"patient_id": p1})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["action"] for row in rows] == [
        "sign",
        "create",
        "retract",
        "create",
        "create",
        "create",
    ]
    retraction = rows[2]
    assert (
        retraction["description"]
        == "ACT score 12 → retracted, reason: entered on the wrong patient"
    )
    assert json.loads(retraction["after"])["retracted"] is True
    assert retraction["hash"] and retraction["at_utc"].endswith("+00:00")
    trail = api_as("admin").get("/api/v1/audit", params={"action": "export"}).json()
    assert len(trail) == 1
    assert trail[0]["actor_name"] == page.account.actor.name
    assert trail[0]["after"] == {"format": "csv", "filters": {"patient_id": str(p1)}}


def test_export_cells_cannot_run_as_spreadsheet_formulas(db, api_as):
    _note(db, DR, "thing", 1, "update", after={"note": "x"}, reason='=HYPERLINK("http://x")')
    r = api_as("admin").get("/api/v1/audit/export", params={"entity_type": "thing"})
    row = next(csv.DictReader(io.StringIO(r.text)))
    assert row["reason"].startswith("'=")


def test_only_admins_read_or_export_the_trail(api_as, page_as):
    for role in ("physician", "coordinator", "nurse", "lab", "patient"):
        assert api_as(role).get("/api/v1/audit/export").status_code == 403


def test_the_export_streams_a_long_trail_in_batches_without_gaps(db, api_as, monkeypatch):
    from respira.audit_trail import service

    monkeypatch.setattr(service, "EXPORT_BATCH", 7)
    for i in range(30):
        _note(db, DR, "thing", i % 4, "update", before={"n": i}, after={"n": i + 1})
    admin = api_as("admin")
    rows = list(csv.DictReader(io.StringIO(admin.get("/api/v1/audit/export").text)))
    things = [int(r["seq"]) for r in rows if r["entity_type"] == "thing"]
    assert len(things) == 30 and things == sorted(things, reverse=True)
    history = admin.get("/api/v1/audit/export", params={"entity_type": "thing", "entity_id": "1"})
    seqs = [int(r["seq"]) for r in csv.DictReader(io.StringIO(history.text))]
    assert len(seqs) == 8 and seqs == sorted(seqs)  # an entity's history: oldest first
