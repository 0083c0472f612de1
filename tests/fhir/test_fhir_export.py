"""``respira fhir export``: one NDJSON file per resource type (the Bulk Data layout) with
a manifest, every line a valid R4 resource, byte for byte what ``$everything`` gives each
patient (the export reads a page of patients at once, ``$everything`` one patient
through each step's reads), and ``--since`` keeping only what changed at or after it
(a corrected adverse event included)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update
from typer.testing import CliRunner

from respira.app.cli import app as cli
from respira.diagnostics import service as diagnostics
from respira.diagnostics.schemas import RetractionIn
from respira.fhir import record, service
from respira.fhir.datatypes import instant
from respira.kit.actors import Actor
from respira.kit.audit import AuditRecord
from respira.kit.config import get_settings
from respira.patients import service as patients
from respira.safety import service as safety
from respira.safety.models import AdverseEvent
from respira.safety.schemas import CorrectionIn
from tests.fhir.fhir_helpers import assert_valid_r4, by_id, by_type, everything

SYSTEM = Actor.system("respira fhir export")


def _export(
    db: Any, monkeypatch: pytest.MonkeyPatch, out: Path, *args: str, workers: int = 1
) -> Any:
    monkeypatch.setenv("RESPIRA_DATABASE_URL", db.url)
    get_settings.cache_clear()
    command = ["fhir", "export", "--out", str(out), "--workers", str(workers), *args]
    try:
        return CliRunner().invoke(cli, command)
    finally:
        monkeypatch.delenv("RESPIRA_DATABASE_URL")
        get_settings.cache_clear()


def _read(out: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        path.name.removesuffix(".ndjson"): [json.loads(line) for line in path.open()]
        for path in sorted(out.glob("*.ndjson"))
    }


def test_the_export_writes_ndjson_per_type_that_reads_back_as_the_record(
    fhir_road, make_patient, doctor, db, monkeypatch, tmp_path
):
    plain = make_patient(first_name="Plain", email="plain@mail.example")
    result = _export(db, monkeypatch, tmp_path, workers=2)
    assert result.exit_code == 0, result.output
    files = _read(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["requiresAccessToken"] is False and manifest["error"] == []
    assert {o["type"]: o["count"] for o in manifest["output"]} == {
        kind: len(lines) for kind, lines in files.items()
    }
    for kind, lines in files.items():
        for resource in lines:
            assert resource["resourceType"] == kind
            assert_valid_r4(resource)
    exported = {f"{r['resourceType']}/{r['id']}": r for lines in files.values() for r in lines}
    for pid in (fhir_road.pid, plain):
        assert by_id(everything(doctor, pid)).items() <= exported.items()
    assert f"Patient/{plain}" in exported


def test_since_keeps_only_what_changed_at_or_after_it(fhir_road, db, monkeypatch, tmp_path):
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    result = _export(db, monkeypatch, tmp_path / "later", "--since", tomorrow)
    assert result.exit_code == 0, result.output
    assert _read(tmp_path / "later") == {}
    manifest = json.loads((tmp_path / "later" / "manifest.json").read_text())
    assert manifest["output"] == [] and manifest["request"].endswith(f"--since {tomorrow}")
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    result = _export(db, monkeypatch, tmp_path / "recent", "--since", yesterday)
    assert result.exit_code == 0, result.output
    assert {"Patient", "Observation", "Procedure", "AdverseEvent"} <= set(
        _read(tmp_path / "recent")
    )


def test_a_since_that_is_no_date_is_refused_before_anything_is_written(db, monkeypatch, tmp_path):
    result = _export(db, monkeypatch, tmp_path / "x", "--since", "last week")
    assert result.exit_code == 2
    assert "--since" in result.output
    assert not (tmp_path / "x").exists()


def test_worker_processes_write_the_same_files_as_one_process(
    fhir_road, make_patient, db, tmp_path
):
    for n in range(3):
        make_patient(first_name=f"Many{n}", email=f"many{n}@mail.example")
    alone = service.export(db, tmp_path / "alone", page_size=2)
    # Pages of two patients: both workers get pages.
    shared = service.export(db, tmp_path / "shared", page_size=2, workers=2)
    assert (alone.patients, alone.counts) == (shared.patients, shared.counts)
    one, two = _read(tmp_path / "alone"), _read(tmp_path / "shared")
    assert set(one) == set(two)
    for kind in one:
        key = lambda r: r["id"]  # noqa: E731
        assert sorted(one[kind], key=key) == sorted(two[kind], key=key), kind
    assert not (tmp_path / "shared" / ".parts").exists()


# --- the page read gives what $everything gives ---------------------------------------------


@pytest.fixture
def varied(fhir_road: Any, sc: Any, db: Any, make_patient: Any) -> list[int]:
    """Patients whose records take every path of the export: the whole road (its
    adverse event corrected, a second event retracted as entered in error), a work-up
    with a record retracted, and a patient with nothing recorded."""
    pid = fhir_road.pid
    physician = sc.physician.actor
    with db.session() as s:
        (fever,) = safety.list_events(s, physician, pid)
    with db.transaction() as s:
        correction = CorrectionIn.model_validate({"reason": "graded again", "grade": 2})
        safety.correct_event(s, physician, fever.id, correction, fever.version)
    wrong = sc.adverse_event(pid, None, term="Headache")
    with db.transaction() as s:
        safety.retract_event(s, physician, wrong.id, "entered for the wrong patient")
    worked = make_patient(first_name="Worked", email="worked@mail.example")
    sc.work_up(worked)
    with db.session() as s:
        (visit,) = diagnostics.patient_visits(s, physician, worked)
    with db.transaction() as s:
        retraction = RetractionIn(reason="the sample was another patient's")
        diagnostics.retract_record(
            s, physician, visit.id, "markers", visit.markers[0].id, retraction
        )
    plain = make_patient(first_name="Plain", email="plain@mail.example")
    return [pid, worked, plain]


def _line(resource: dict[str, Any]) -> str:
    """A resource as the Bulk Data NDJSON holds it: compact JSON, UTF-8, one line."""
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"


def test_the_export_writes_byte_for_byte_what_everything_gives_each_patient(varied, db, tmp_path):
    result = service.export(db, tmp_path, page_size=2)  # pages of two: three pages at least
    expected: dict[str, list[str]] = {}
    with db.session() as s:
        pids = patients.patient_ids(s, SYSTEM, limit=1000)
        for pid in pids:
            for resource in record.everything(s, SYSTEM, pid):
                expected.setdefault(resource["resourceType"], []).append(_line(resource))
    assert set(varied) <= set(pids) and result.patients == len(pids)
    written = {path.name.removesuffix(".ndjson") for path in tmp_path.glob("*.ndjson")}
    assert written == set(expected) == set(service.TYPE_ROLES)
    for kind, lines in expected.items():
        assert (tmp_path / f"{kind}.ndjson").read_text(encoding="utf-8") == "".join(lines), kind
    # The paths that differ from a plain record are in it.
    exported = (tmp_path / "Observation.ndjson").read_text(encoding="utf-8")
    assert '"status":"entered-in-error"' in exported
    events = [json.loads(line) for line in expected["AdverseEvent"]]
    assert [e["event"]["text"] for e in events] == ["Fever"]  # the retracted one is left out


@contextmanager
def _statements(db: Any) -> Iterator[list[str]]:
    """The SQL statements run on the database's read engine meanwhile."""
    found: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        found.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield found
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _page_statements(db: Any, pids: list[int]) -> int:
    with db.session() as s, _statements(db) as found:
        for patient in record.read_page(s, SYSTEM, pids):
            record.resources(patient, dt.date.today())
    return len(found)


def test_a_page_is_read_with_one_query_per_table_not_one_per_patient(varied, db):
    road, worked, plain = varied
    alone = _page_statements(db, [road])
    together = _page_statements(db, [road, worked, plain])
    # Two more patients on the page cost two more reads: their signed summaries, whose
    # PDFs are read one patient at a time (memory); every other table is read once.
    assert together - alone == 2


# --- an adverse event changes when it is corrected ------------------------------------------


def test_a_corrected_adverse_event_is_exported_since_its_correction(
    fhir_road, sc, db, doctor, tmp_path
):
    physician = sc.physician.actor
    with db.session() as s:
        (fever,) = safety.list_events(s, physician, fhir_road.pid)
    days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    with db.transaction() as s:  # recorded two days ago (and, a grade-1 fever, never serious)
        s.execute(
            update(AdverseEvent).where(AdverseEvent.id == fever.id).values(recorded_at=days_ago)
        )
    since = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    before = service.export(db, tmp_path / "before", since=dt.datetime.fromisoformat(since))
    assert "AdverseEvent" not in before.counts and before.counts["Patient"] >= 1

    with db.transaction() as s:
        correction = CorrectionIn.model_validate({"reason": "graded again", "grade": 2})
        safety.correct_event(s, physician, fever.id, correction, fever.version)
    with db.session() as s:
        corrected = s.scalars(
            select(AuditRecord.at).where(
                AuditRecord.entity_type == "adverse_event",
                AuditRecord.entity_id == str(fever.id),
                AuditRecord.action == "correct",
            )
        ).one()
    after = service.export(db, tmp_path / "after", since=dt.datetime.fromisoformat(since))
    assert after.counts["AdverseEvent"] == 1
    (line,) = (tmp_path / "after" / "AdverseEvent.ndjson").read_text().splitlines()
    exported = json.loads(line)
    assert exported["meta"]["lastUpdated"] == instant(corrected)
    assert exported["severity"]["text"].endswith("grade 2")
    (read,) = by_type(everything(doctor, fhir_road.pid), "AdverseEvent")
    assert read == exported
    alone = doctor.get(f"/fhir/AdverseEvent/{fever.id}")
    assert alone.status_code == 200 and alone.json() == exported
