"""Tampering with the audit trail and the records behind the application's back: each
case of issue 7 is detected by ``respira audit verify`` (the keyed chain, the anchor,
``--records``), on every database backend."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.config import get_settings
from respira.kit.db import Database
from respira.kit.errors import InvalidInput


@pytest.fixture
def anchor_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An anchor file of the test's own."""
    path = tmp_path / "audit-anchor"
    monkeypatch.setenv("RESPIRA_AUDIT_ANCHOR_FILE", str(path))
    get_settings.cache_clear()
    yield path
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def clinic(db: Database, make_patient, make_account, anchor_file: Path) -> dict[str, int]:
    """Patients (one updated), an account, a diet restriction and records of no row,
    with the head anchored: 15 records."""
    from respira.logistics.diets import record_restriction
    from respira.logistics.schemas import RestrictionIn
    from respira.patients import service
    from respira.patients.schemas import PatientPatch

    ids = [make_patient(first_name=f"Anna{i}", email=f"a{i}@mail.example") for i in range(3)]
    nurse = make_account("nurse")
    with db.transaction() as s:
        service.update_patient(s, Actor.system("t"), ids[0], PatientPatch(weight_kg=70), 1)
    with db.transaction() as s:
        diet = record_restriction(
            s,
            Actor.system("t"),
            ids[1],
            RestrictionIn(substance="peanut", kind="allergy", severity="severe"),
        )
    with db.transaction() as s:
        for i in range(9):
            audit.record(
                s, Actor.system("t"), entity_type="thing", entity_id=i, action="note", after={}
            )
    with db.transaction() as s:
        assert audit.write_anchor(s) is not None
    return {"patient": ids[0], "other_patient": ids[2], "user": nurse.id, "diet": diet.id}


def _verify(db: Database, *, records: bool = False) -> audit.Verdict:
    with db.session() as s:
        return audit.verify(s, records=records)


def _problems(db: Database, *, records: bool = False) -> str:
    verdict = _verify(db, records=records)
    assert not verdict.ok
    return "\n".join(verdict.problems)


def _head(db: Database) -> int:
    with db.session() as s:
        return audit.head(s)[0]


def test_an_untouched_clinic_verifies_with_its_rows(db, clinic):
    verdict = _verify(db, records=True)
    assert verdict.ok, verdict.problems
    assert verdict.chain.head_seq == _head(db) == 15
    assert verdict.rows is not None
    # 3 patients + the nurse + the diet restriction are checked, none unhashed.
    assert verdict.rows.checked == 5 and not verdict.rows.unhashed
    assert {"patients", "users", "diet_restrictions"} <= set(verdict.rows.tables)


@pytest.mark.parametrize("removed", [1, 10])
def test_removing_the_newest_records_is_caught_by_the_anchor(db, clinic, removed):
    head = _head(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records WHERE seq > :s"), {"s": head - removed})
    assert f"{removed} newest records removed" in _problems(db)


def test_removing_every_record_of_a_database_with_data_is_caught(db, clinic):
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records"))
    assert "the audit trail is empty" in _problems(db)


def _insert(conn, row: dict) -> None:
    conn.execute(
        text(
            "INSERT INTO audit_records (seq, at, actor_id, actor_role, actor_name, "
            "entity_type, entity_id, action, before, after, reason, prev_hash, hash) VALUES "
            "(:seq, :at, NULL, 'system', 'forger', 'patient', '1', 'update', NULL, "
            ":after, NULL, :prev, :hash)"
        ),
        row,
    )


@pytest.mark.parametrize("forger_key", [None, b"a guessed key"])
def test_a_forged_appended_record_is_caught(db, clinic, forger_key):
    at = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    stamp = audit._timestamp(at)
    with db.engine.begin() as conn:
        seq, prev = conn.execute(
            text("SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1")
        ).one()
        after = '{"weight_kg":120}'
        content = (None, "system", "forger", "patient", "1", "update", None, after, None)
        if forger_key is None:  # the algorithm before keyed chains
            forged = audit.plain_record_hash(seq + 1, stamp, content, prev)
        else:
            payload = audit._record_payload(seq + 1, stamp, content, None, None, prev)
            forged = audit._record_hash(forger_key, payload)
        value = at.replace(tzinfo=None) if db.is_sqlite else at
        _insert(conn, {"seq": seq + 1, "at": value, "after": after, "prev": prev, "hash": forged})
    problems = _problems(db)
    assert f"seq {seq + 1}" in problems and "content altered" in problems


def test_a_record_rewritten_and_the_rest_rehashed_is_caught(db, clinic):
    """The attack that passed before: change a record and re-hash it and every later one
    with the (plain) algorithm, so that every link holds."""
    with db.session() as s:
        rows = list(audit._walk(s, 1000, None))
    prev = None
    with db.engine.begin() as conn:
        for rid, seq, at, *middle, _rt, _rh, _prev_hash, _stored in rows:
            if seq < 3:
                prev = _stored
                continue
            if seq == 3:
                middle[7] = json.dumps({"weight_kg": 99})  # the "after" column
            new = audit.plain_record_hash(seq, at, tuple(middle), prev)
            conn.execute(
                text(
                    "UPDATE audit_records SET after = :a, prev_hash = :p, hash = :h WHERE id = :i"
                ),
                {"a": middle[7], "p": prev, "h": new, "i": rid},
            )
            prev = new
    problems = _problems(db)
    assert "seq 3" in problems and "content altered" in problems


def test_an_anchor_line_forged_to_hide_a_truncation_is_caught(db, clinic, anchor_file):
    head = _head(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records WHERE seq > :s"), {"s": head - 3})
        hash_at = conn.scalar(
            text("SELECT hash FROM audit_records WHERE seq = :s"), {"s": head - 3}
        )
    latest = audit.read_anchors(anchor_file).anchors[-1]
    forged = audit.Anchor(head - 3, hash_at, latest.chain, dt.datetime.now(dt.UTC).isoformat())
    with anchor_file.open("a") as fh:
        fh.write(forged.line(b"not the audit key") + "\n")
    problems = _problems(db)
    assert "anchor file line 2" in problems and "forged" in problems
    assert "3 newest records removed" in problems  # the genuine anchor still counts


def test_a_patient_row_edited_directly_is_caught_by_records(db, clinic):
    assert _verify(db).ok  # the chain itself is intact
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE patients SET date_of_birth = :d WHERE id = :i"),
            {"d": dt.date(1950, 1, 1), "i": clinic["patient"]},
        )
    assert f"patients id {clinic['patient']}: content differs" in _problems(db, records=True)


def test_a_clinical_record_edited_directly_is_caught_by_records(db, clinic):
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE diet_restrictions SET severity = 'mild' WHERE id = :i"),
            {"i": clinic["diet"]},
        )
    assert f"diet_restrictions id {clinic['diet']}: content differs" in _problems(db, records=True)


def test_a_role_raised_directly_is_caught_by_records(db, clinic):
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE users SET role = 'admin' WHERE id = :i"), {"i": clinic["user"]})
    assert f"users id {clinic['user']}: content differs" in _problems(db, records=True)


def test_a_patient_inserted_or_deleted_directly_is_caught_by_records(db, clinic):
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO patients (medical_record_number, first_name, last_name, "
                "date_of_birth, sex_at_birth, country, preferred_language, created_at, "
                "updated_at, version, search_key) VALUES ('R-9999999', 'Ghost', 'Row', "
                ":d, 'male', 'DE', 'de', :t, :t, 1, 'ghost row')"
            ),
            {"d": dt.date(1970, 1, 1), "t": dt.datetime(2026, 1, 1)},
        )
        conn.execute(text("DELETE FROM patients WHERE id = :i"), {"i": clinic["other_patient"]})
    problems = _problems(db, records=True)
    assert "no audit record: inserted behind the application" in problems
    assert f"patients id {clinic['other_patient']}: row missing" in problems


def test_the_command_exits_non_zero_and_says_what_is_wrong(db, clinic, anchor_file):
    env = {**os.environ, "RESPIRA_DATABASE_URL": db.url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "respira.app.cli", "audit", "verify", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = run("--records")
    assert ok.returncode == 0, ok.stderr
    assert "15 records checked" in ok.stdout and "5 rows match" in ok.stdout
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE patients SET last_name = 'X' WHERE id = :i"), {"i": clinic["patient"]}
        )
        conn.execute(text("DELETE FROM audit_records WHERE seq = 15"))
    broken = run()
    assert broken.returncode == 1
    assert "truncated" in broken.stderr and "1 newest records removed" in broken.stderr
    assert "content differs" not in broken.stderr  # rows only with --records
    assert run("--records").returncode == 1


def test_a_trail_from_before_keyed_chains_is_rekeyed_once(db, anchor_file):
    """Records written with the plain hash (before migration 0022) fail verification
    until ``rekey`` re-chains them under the key; a keyed trail is never re-keyed."""
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    prev = audit.GENESIS_HASH
    with db.engine.begin() as conn:
        for seq in range(1, 4):
            after = json.dumps({"n": seq})
            content = (None, "system", "forger", "patient", "1", "update", None, after, None)
            h = audit.plain_record_hash(seq, audit._timestamp(at), content, prev)
            value = at.replace(tzinfo=None) if db.is_sqlite else at
            _insert(conn, {"seq": seq, "at": value, "after": after, "prev": prev, "hash": h})
            prev = h
    problems = _problems(db)
    assert "seq 1" in problems and "plain SHA-256" in problems and "rekey" in problems
    with db.transaction() as s:
        assert audit.rekey(s, Actor.system("t")) == 3
    verdict = _verify(db)
    assert verdict.ok and verdict.chain.head_seq == 4  # and the audited rekey record
    with db.transaction() as s, pytest.raises(InvalidInput, match="plain hash"):
        audit.rekey(s, Actor.system("t"))
