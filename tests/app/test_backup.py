"""``respira backup`` and ``respira restore``: a consistent copy of a busy database,
restored into an empty one with its audit chain and anchor verified."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from respira.kit import audit
from respira.kit import backup as backups
from respira.kit.actors import Actor
from respira.kit.config import get_settings
from respira.kit.db import Database
from respira.patients.models import Patient
from tests.conftest import patient_data


@pytest.fixture
def anchor_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "audit-anchor"
    monkeypatch.setenv("RESPIRA_AUDIT_ANCHOR_FILE", str(path))
    get_settings.cache_clear()
    yield path
    monkeypatch.undo()
    get_settings.cache_clear()


def _add_patients(db: Database, n: int, tag: str) -> None:
    from respira.patients import service
    from respira.patients.schemas import PatientIn

    for i in range(n):
        with db.transaction() as s:
            service.add_patient(
                s,
                Actor.system("t"),
                PatientIn.model_validate(patient_data(first_name=f"{tag}{i}", email=None)),
            )


def _counts(db: Database) -> tuple[int, int, int]:
    """Patients, their create records, and all records."""
    with db.session() as s:
        return (
            s.scalar(select(func.count(Patient.id))) or 0,
            s.scalar(
                select(func.count(audit.AuditRecord.id)).where(
                    audit.AuditRecord.entity_type == "patient"
                )
            )
            or 0,
            s.scalar(select(func.count(audit.AuditRecord.id))) or 0,
        )


def test_a_busy_database_backs_up_and_restores_whole(
    db: Database,
    backend: str,
    make_database_url: Callable[[str], str],
    tmp_path: Path,
    anchor_file: Path,
) -> None:
    _add_patients(db, 40, "Before")
    with db.transaction() as s:
        audit.write_anchor(s)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        while not stop.is_set():
            _add_patients(db, 1, f"During{len(written)}")
            written.append(1)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.3)
        result = backups.backup(db, tmp_path / "copy.backup")
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join()
    assert written, "the writer never wrote"
    with db.transaction() as s:
        audit.write_anchor(s)  # the live anchor now knows the records after the copy
    assert oct(result.path.stat().st_mode & 0o777) == "0o600"
    assert backups.sidecar(result.path).exists()
    source = _counts(db)

    target_url = make_database_url(backend)
    restored = backups.restore(target_url, result.path)
    assert restored.verdict.ok, restored.verdict.problems
    target = Database(target_url)
    try:
        patients, creates, records = _counts(target)
        # One snapshot: every patient with its audit record, the chain whole and at least
        # the 40 written before, no more than the source holds after the writer stopped.
        assert patients == creates >= 40
        assert patients <= source[0] and records <= source[2]
        assert restored.verdict.chain.head_seq == records
        with target.session() as s:
            assert audit.verify(s).ok
        if records < source[2]:  # the live anchor knows more: said, not an error
            assert any("written after the backup" in n for n in restored.notes)
        with pytest.raises(backups.BackupError, match="not empty"):
            backups.restore(target_url, result.path)
    finally:
        target.dispose()
    print(
        f"\n{backend}: backup {result.seconds:.2f} s ({result.bytes / 1e6:.1f} MB, "
        f"{source[2]} records), restore {restored.seconds:.2f} s"
    )


def test_a_restored_copy_that_was_tampered_with_is_refused(
    db: Database,
    backend: str,
    make_database_url: Callable[[str], str],
    tmp_path: Path,
    anchor_file: Path,
) -> None:
    _add_patients(db, 5, "P")
    result = backups.backup(db, tmp_path / "copy.backup")
    # The copy's anchor line says the chain reached further than the copy holds.
    line = backups.sidecar(result.path).read_text()
    anchor = audit.read_anchors(backups.sidecar(result.path)).anchors[0]
    forged = audit.Anchor(anchor.seq + 3, anchor.hash, anchor.chain, anchor.at, anchor.note)
    backups.sidecar(result.path).write_text(forged.line(audit.audit_key()) + "\n")
    restored = backups.restore(make_database_url(backend), result.path)
    assert not restored.verdict.ok
    assert "3 newest records removed" in "\n".join(restored.verdict.problems)
    assert line != backups.sidecar(result.path).read_text()


def test_the_commands_back_up_and_restore(
    db: Database, backend: str, make_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    _add_patients(db, 3, "C")
    env = {
        **os.environ,
        "RESPIRA_DATABASE_URL": db.url,
        "RESPIRA_AUDIT_ANCHOR_FILE": str(tmp_path / "anchor"),
    }

    def run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "respira.app.cli", *args],
            env={**env, "RESPIRA_DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
        )

    out = tmp_path / "nightly.backup"
    made = run("backup", "--out", str(out), url=db.url)
    assert made.returncode == 0, made.stderr
    assert "head seq 3" in made.stdout
    assert run("backup", "--out", str(out), url=db.url).returncode == 1  # never overwrites
    target = make_database_url(backend)
    back = run("restore", str(out), url=target)
    assert back.returncode == 0, back.stderr
    assert "audit trail intact: 3 records" in back.stdout
    again = run("restore", str(out), url=target)
    assert again.returncode == 1 and "not empty" in again.stderr
