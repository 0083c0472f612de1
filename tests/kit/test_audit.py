"""The hash-chained audit trail, its verification, and e-signatures."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select, text, update

from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.audit import AuditRecord, Signature
from respira.kit.errors import Forbidden, InvalidInput
from tests.conftest import PASSWORD, patient_data


def run_cli(db, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RESPIRA_DATABASE_URL": db.url}
    return subprocess.run(
        [sys.executable, "-m", "respira.app.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _seed(db, n: int = 5) -> None:
    with db.transaction() as s:
        for i in range(n):
            audit.record(
                s,
                Actor.system("test"),
                entity_type="thing",
                entity_id=i,
                action="create",
                after={"n": i, "text": "Grüße"},
            )


def test_records_chain_each_to_the_previous_hash(db):
    _seed(db, 3)
    with db.transaction() as s:
        rows = list(s.scalars(select(AuditRecord).order_by(AuditRecord.seq)))
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == audit.GENESIS_HASH
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert len({r.hash for r in rows}) == 3


def test_verify_passes_on_an_intact_chain_and_prints_the_count(db):
    _seed(db, 7)
    r = run_cli(db, "audit", "verify")
    assert r.returncode == 0, r.stderr
    assert "7 records checked" in r.stdout


@pytest.mark.parametrize(
    "column,value",
    [
        ("after", '{"n":99,"text":"Grüße"}'),
        ("actor_name", "someone else"),
        ("entity_id", "42"),
        ("reason", "covering up"),
    ],
)
def test_verify_fails_and_names_the_record_whose_content_was_altered(db, column, value):
    _seed(db, 5)
    with db.engine.begin() as conn:
        conn.execute(text(f"UPDATE audit_records SET {column} = :v WHERE seq = 3"), {"v": value})
    r = run_cli(db, "audit", "verify")
    assert r.returncode == 1
    assert "seq 3" in r.stderr and "content altered" in r.stderr


def test_verify_fails_when_a_record_was_removed(db):
    _seed(db, 5)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records WHERE seq = 2"))
    r = run_cli(db, "audit", "verify")
    assert r.returncode == 1
    assert "seq 3" in r.stderr and "sequence gap" in r.stderr


def test_verify_fails_when_a_record_is_inserted_out_of_order(db):
    _seed(db, 4)
    with db.engine.begin() as conn:
        # shift records 3.. up and put a forged record, with a self-consistent hash, at 3
        conn.execute(text("UPDATE audit_records SET seq = seq + 100 WHERE seq >= 3"))
        conn.execute(text("UPDATE audit_records SET seq = seq - 99 WHERE seq >= 100"))
        row = conn.execute(text("SELECT hash FROM audit_records WHERE seq = 2")).one()
        import datetime as dt

        at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        # Even a forger holding the audit key cannot make the next record point to it.
        content = (None, "system", "forger", "thing", "x", "delete", None, None, None)
        payload = audit._record_payload(3, audit._timestamp(at), content, None, None, row.hash)
        forged = audit._record_hash(audit.audit_key(), payload)
        conn.execute(
            text(
                "INSERT INTO audit_records (seq, at, actor_role, actor_name, entity_type, "
                "entity_id, action, prev_hash, hash) VALUES (3, :at, 'system', 'forger', "
                "'thing', 'x', 'delete', :prev, :hash)"
            ),
            {
                "at": at.replace(tzinfo=None) if db.is_sqlite else at,
                "prev": row.hash,
                "hash": forged,
            },
        )
    r = run_cli(db, "audit", "verify")
    assert r.returncode == 1
    assert "seq 4" in r.stderr and "link broken" in r.stderr


def test_audit_record_is_written_in_the_same_transaction_as_the_change(db):
    from respira.patients import service
    from respira.patients.schemas import PatientIn

    s = db.session(write=True)
    service.add_patient(s, Actor.system("t"), PatientIn.model_validate(patient_data()))
    s.rollback()
    s.close()
    with db.transaction() as s2:
        assert s2.scalar(select(AuditRecord.id)) is None


def test_admin_reads_the_trail_of_an_entity_through_the_api(api_as):
    coord = api_as("coordinator")
    pid = coord.post("/api/v1/patients", json=patient_data()).json()["id"]
    coord.patch(f"/api/v1/patients/{pid}", json={"weight_kg": 66}, headers={"If-Match": "1"})
    admin = api_as("admin")
    r = admin.get("/api/v1/audit", params={"entity_type": "patient", "entity_id": pid})
    assert r.status_code == 200
    trail = r.json()
    assert [t["action"] for t in trail] == ["create", "update"]
    assert trail[1]["before"] == {"weight_kg": 64.5} and trail[1]["after"] == {"weight_kg": 66.0}
    assert trail[1]["actor_role"] == "coordinator"
    assert (
        coord.get("/api/v1/audit", params={"entity_type": "patient", "entity_id": pid}).status_code
        == 403
    )


def test_admin_audit_page_shows_an_entitys_history(page_as, make_patient):
    pid = make_patient()
    admin = page_as("admin")
    r = admin.get("/audit", params={"entity_type": "patient", "entity_id": pid})
    assert r.status_code == 200
    assert "Audit trail: patient" in r.text and "Lindqvist" in r.text


def test_esign_stores_signer_time_meaning_and_hash_of_the_content(db, make_account):
    acc = make_account("physician")
    content = {"decision": "eligible", "criteria": [1, 2, 3]}
    with db.transaction() as s:
        sig = audit.esign(
            s,
            acc.actor,
            password=PASSWORD,
            meaning="approved",
            allowed_meanings={"approved", "declined"},
            entity_type="screening",
            entity_id=7,
            content=content,
        )
        sig_id = sig.id
    with db.transaction() as s:
        stored = s.get(Signature, sig_id)
        assert stored.signer_id == acc.id and stored.meaning == "approved"
        assert stored.content_hash == audit.content_hash(content)
        assert stored.signed_at is not None
        assert [r.action for r in audit.history(s, "signature", sig_id)] == ["sign"]


def test_esign_with_a_wrong_password_is_refused_counted_and_changes_nothing(db, make_account):
    from respira.accounts.models import User

    acc = make_account("physician")
    with db.transaction() as s:
        s.execute(update(User).where(User.id == acc.id).values(failed_logins=0))
    s = db.session(write=True)
    audit.record(s, acc.actor, entity_type="thing", entity_id=1, action="create", after={})
    with pytest.raises(Forbidden):
        audit.esign(
            s,
            acc.actor,
            password="wrong",
            meaning="approved",
            allowed_meanings={"approved"},
            entity_type="thing",
            entity_id=1,
            content={},
        )
    s.close()
    with db.transaction() as s:
        assert s.scalar(select(Signature.id)) is None
        assert s.scalar(select(AuditRecord.id).where(AuditRecord.entity_type == "thing")) is None
        assert s.scalar(select(User.failed_logins).where(User.id == acc.id)) == 1


def test_esign_refuses_a_meaning_outside_the_allowed_ones(db, make_account):
    acc = make_account("physician")
    with db.transaction() as s, pytest.raises(InvalidInput):
        audit.esign(
            s,
            acc.actor,
            password=PASSWORD,
            meaning="whatever",
            allowed_meanings={"approved"},
            entity_type="thing",
            entity_id=1,
            content={},
        )


def test_a_long_trail_is_read_a_page_at_a_time_with_a_next_link(api_as, db):
    with db.transaction() as s:
        for i in range(7):
            audit.record(
                s,
                Actor.system("t"),
                entity_type="thing",
                entity_id=1,
                action="update",
                after={"n": i},
            )
            audit.record(
                s,
                Actor.system("t"),
                entity_type="thing",
                entity_id=2,
                action="update",
                after={"n": i},
            )
    admin = api_as("admin")
    seen = []
    url = "/api/v1/audit?entity_type=thing&entity_id=1&limit=3"
    while url:
        r = admin.get(url)
        assert r.status_code == 200
        seen += [rec["after"]["n"] for rec in r.json()]
        link = r.headers.get("link")
        url = link[1 : link.index(">")] if link else None
    assert seen == list(range(7))
    assert admin.get("/api/v1/audit?entity_type=thing&entity_id=1&limit=1001").status_code == 422
