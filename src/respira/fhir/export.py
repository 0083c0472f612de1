"""The bulk export for registries and research partners: every patient's record as FHIR
R4, one NDJSON file per resource type (the FHIR Bulk Data layout: ``Patient.ndjson``,
``Observation.ndjson``, ... and a ``manifest.json`` like the one a ``$export`` status
request answers), read as the command line's operator (the system actor, who may read
everything), optionally only what changed since a moment (Bulk Data's ``_since``: a
resource whose ``meta.lastUpdated`` is at or after it).

Streaming: the registry is listed a page of patients at a time, and each page is
exported and written out at once; the session then forgets the rows it loaded, so
memory stays flat however many patients there are. Alone (``workers=1``) one read
transaction spans the whole export (on PostgreSQL at REPEATABLE READ), so the files are
one state of the record. With worker processes, the listing process hands pages of
patient ids through a bounded queue to workers that each write their own part files
(merged into one file per type at the end); each worker reads in one transaction of its
own, so a record written while the export runs may be in it or not, patient by patient.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import multiprocessing
import queue
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from respira.fhir import record
from respira.fhir.datatypes import instant
from respira.fhir.roles import TYPE_ROLES
from respira.kit.actors import Actor
from respira.kit.clinic_time import clinic_today
from respira.kit.db import Database
from respira.patients import service as patients_service

PAGE_SIZE = 100  # the patient registry's largest page
MANIFEST = "manifest.json"
PARTS = ".parts"

Progress = Callable[[int, int], None]
# One encoder for every line (``json.dumps`` with these options makes a new one a call).
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass
class ExportResult:
    out_dir: Path
    transaction_time: str
    since: str | None
    patients: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def manifest(self, request: str) -> dict[str, object]:
        return {
            "transactionTime": self.transaction_time,
            "request": request,
            "requiresAccessToken": False,
            "output": [
                {
                    "type": kind,
                    "url": (self.out_dir / f"{kind}.ndjson").resolve().as_uri(),
                    "count": count,
                }
                for kind, count in sorted(self.counts.items())
            ],
            "error": [],
        }


class _Files:
    """One NDJSON file per resource type (``{type}{suffix}.ndjson``), opened when its
    first resource comes."""

    def __init__(self, out_dir: Path, suffix: str = "") -> None:
        self.out_dir = out_dir
        self.suffix = suffix
        self.handles: dict[str, IO[str]] = {}
        self.counts: dict[str, int] = {}

    def write(self, resource: dict[str, Any]) -> None:
        kind = str(resource["resourceType"])
        handle = self.handles.get(kind)
        if handle is None:
            path = self.out_dir / f"{kind}{self.suffix}.ndjson"
            handle = self.handles[kind] = open(path, "w", encoding="utf-8")  # noqa: SIM115
            self.counts[kind] = 0
        handle.write(_encode(resource))
        handle.write("\n")
        self.counts[kind] += 1

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()


def _changed_since(resource: dict[str, Any], threshold: str | None) -> bool:
    """Whether the resource changed at or after ``threshold`` (an instant; a resource
    that keeps no time of change is always written)."""
    if threshold is None or "meta" not in resource:
        return True
    return str(resource["meta"]["lastUpdated"]) >= threshold


def _write_patients(session: Session, ids: list[int], files: _Files, threshold: str | None) -> None:
    """Write a page of patients' resources (each step's rows of the page read at once:
    ``record.read_page``), patient by patient."""
    actor = Actor.system("respira fhir export")
    today = clinic_today()
    for patient in record.read_page(session, actor, ids):
        for resource in record.resources(patient, today):
            if _changed_since(resource, threshold):
                files.write(resource)
    session.expunge_all()  # the page's rows go: memory stays flat


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """While the export runs, the garbage collector leaves alone what start-up built
    (``gc.freeze``, as the app's server does) and runs after 50,000 new objects rather
    than 700: an export makes millions of short-lived dicts, and each early collection
    walked the page's rows again (a quarter of the export's time)."""
    threshold = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


@contextmanager
def _snapshot(db: Database) -> Iterator[Session]:
    """A read session whose one transaction sees one state of the database."""
    with db.session() as session:
        if not db.is_sqlite:
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield session


def _pages(session: Session, page_size: int) -> Iterator[tuple[list[int], int]]:
    """The registry's patient ids, a page at a time, with the total."""
    actor = Actor.system("respira fhir export")
    total = patients_service.patient_count(session, actor)
    after = 0
    while ids := patients_service.patient_ids(session, actor, after=after, limit=page_size):
        yield ids, total
        after = ids[-1]


def _clear(out_dir: Path) -> None:
    """Remove the files of an earlier export to the same folder (and nothing else)."""
    for kind in TYPE_ROLES:
        (out_dir / f"{kind}.ndjson").unlink(missing_ok=True)
    (out_dir / MANIFEST).unlink(missing_ok=True)
    shutil.rmtree(out_dir / PARTS, ignore_errors=True)


def export(
    db: Database,
    out_dir: Path,
    *,
    since: dt.datetime | None = None,
    request: str = "respira fhir export",
    progress: Progress | None = None,
    page_size: int = PAGE_SIZE,
    workers: int = 1,
) -> ExportResult:
    """Write every patient's record (or what changed since ``since``) to ``out_dir``,
    with ``workers`` processes; ``progress(done, total)`` as pages of patients finish."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear(out_dir)
    threshold = instant(since) if since is not None else None
    result = ExportResult(out_dir, instant(dt.datetime.now(dt.UTC)), threshold)
    report = progress or (lambda done, total: None)
    if workers <= 1:
        files = _Files(out_dir)
        try:
            with _fewer_collections(), _snapshot(db) as session:
                for ids, total in _pages(session, page_size):
                    _write_patients(session, ids, files, threshold)
                    result.patients += len(ids)
                    report(result.patients, total)
        finally:
            files.close()
        result.counts = files.counts
    else:
        _export_in_parallel(db, out_dir, threshold, page_size, workers, result, report)
    (out_dir / MANIFEST).write_text(
        json.dumps(result.manifest(request), indent=2) + "\n", encoding="utf-8"
    )
    return result


# --- with worker processes ---------------------------------------------------------------------


def _work(url: str, parts: str, index: int, threshold: str | None, tasks: Any, done: Any) -> None:
    """A worker: export the pages of patient ids it is handed until it gets None."""
    files = _Files(Path(parts), f".{index}")
    database = Database(url)
    try:
        with _fewer_collections(), _snapshot(database) as session:
            while (ids := tasks.get()) is not None:
                _write_patients(session, ids, files, threshold)
                done.put(("page", len(ids)))
        files.close()
        done.put(("done", files.counts))
    except Exception as exc:  # reported to the listing process, which stops the export
        # The type and message only: database errors carry no parameters (hide_parameters).
        done.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        files.close()
        database.dispose()


def _export_in_parallel(
    db: Database,
    out_dir: Path,
    threshold: str | None,
    page_size: int,
    workers: int,
    result: ExportResult,
    report: Progress,
) -> None:
    context = multiprocessing.get_context("spawn")
    tasks = context.Queue(maxsize=2 * workers)
    done = context.Queue()
    parts = out_dir / PARTS
    parts.mkdir()
    processes = [
        context.Process(
            target=_work,
            args=(db.url, str(parts), i, threshold, tasks, done),
            name=f"respira-fhir-export-{i}",
            daemon=True,
        )
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    total = 0
    finished = 0

    def receive(block: bool) -> None:
        nonlocal finished
        while True:
            try:
                kind, value = done.get(block=block, timeout=60 if block else None)
            except queue.Empty:
                if block and not all(p.is_alive() for p in processes):
                    raise RuntimeError("an export worker stopped without finishing") from None
                return
            if kind == "error":
                raise RuntimeError(f"an export worker failed: {value}")
            if kind == "page":
                result.patients += value
                report(result.patients, total)
            else:
                finished += 1
                for name, count in value.items():
                    result.counts[name] = result.counts.get(name, 0) + count
            if not block:
                continue
            return

    def hand(ids: list[int] | None) -> None:
        """Queue a page for the workers (None: no more), reading their reports while
        the queue is full."""
        while True:
            receive(block=False)
            try:
                tasks.put(ids, timeout=0.5)
                return
            except queue.Full:
                continue

    try:
        with _snapshot(db) as session:
            for ids, listed in _pages(session, page_size):
                total = listed
                hand(ids)
        for _ in processes:
            hand(None)
        while finished < workers:
            receive(block=True)
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
    for kind in result.counts:
        with open(out_dir / f"{kind}.ndjson", "wb") as target:
            for i in range(workers):
                part = parts / f"{kind}.{i}.ndjson"
                if part.exists():
                    with open(part, "rb") as source:
                        shutil.copyfileobj(source, target, 1 << 20)
    shutil.rmtree(parts)
