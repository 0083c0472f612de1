"""``respira fhir export``: one NDJSON file per resource type (the Bulk Data layout) with
a manifest, every line a valid R4 resource, the same resources ``$everything`` gives
staff, and ``--since`` keeping only what changed at or after it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from respira.app.cli import app as cli
from respira.fhir import service
from respira.kit.config import get_settings
from tests.fhir.fhir_helpers import assert_valid_r4, by_id, everything


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
