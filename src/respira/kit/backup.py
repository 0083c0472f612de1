"""Backing up and restoring the database, with the audit chain checked on both ends.

``backup`` takes a consistent copy of a live database: SQLite's online backup API
(``sqlite3.Connection.backup``: the copy is one snapshot, and writers go on meanwhile in
WAL mode) or ``pg_dump`` in its custom format (one repeatable-read snapshot). Beside the
copy it writes ``FILE.anchor``: the chain's head as the copy holds it, keyed with the
audit key like the anchor file's lines (``respira.kit.audit.Anchor``).

``restore`` loads a copy into an **empty** database only (SQLite: a new file; PostgreSQL:
a database without tables), then verifies the restored chain with the audit key and
against the copy's anchor, notes what the live anchor file knows beyond the copy (the
records written after the backup), and anchors the restored head.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from respira.kit import audit
from respira.kit.db import Database, utcnow

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done, said for the operator."""


@dataclass
class BackupResult:
    path: Path
    anchor: audit.Anchor | None
    seconds: float
    bytes: int


@dataclass
class RestoreResult:
    verdict: audit.Verdict
    seconds: float
    notes: list[str] = field(default_factory=list)


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".anchor")


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The SQLAlchemy URL as libpq takes it (``postgresql://…``, no driver name), and
    the environment that carries its password (never on the command line, where every
    user of the machine could read it)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    bare = parsed.set(drivername="postgresql", password=None)
    return bare.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed; install the PostgreSQL client tools of the server's "
            "major version"
        )
    return found


def _write_private(path: Path, data: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(data)


def _anchor_of(db: Database, note: str) -> audit.Anchor | None:
    with db.session() as session:
        seq, head_hash, first = audit.head(session)
    if first is None:
        return None
    at = utcnow().isoformat()
    return audit.Anchor(seq, head_hash, first, at, note)


def backup(db: Database, out: Path) -> BackupResult:
    """Copy the live database to ``out`` (mode 0600) and its head to ``out.anchor``."""
    started = time.perf_counter()
    out = out.resolve()
    if out.exists():
        raise BackupError(f"{out} exists already; choose a new file name")
    partial = out.with_name(out.name + ".partial")
    try:
        if db.is_sqlite:
            source = sqlite3.connect(_sqlite_path(db.url), timeout=30)
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.close(fd)
            target = sqlite3.connect(partial)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
            # The head exactly as the copy holds it.
            copy = Database(f"sqlite:///{partial}")
            try:
                anchor = _anchor_of(copy, f"backup {out.name}")
            finally:
                copy.dispose()
        else:
            # The head committed before the dump's snapshot: the copy holds it (and
            # perhaps more).
            anchor = _anchor_of(db, f"backup {out.name}")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.close(fd)
            libpq_url, env = _libpq(db.url)
            done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
                [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                 "--file", str(partial), "--dbname", libpq_url],
                capture_output=True,
                env=env,
                text=True,
            )  # fmt: skip
            if done.returncode != 0:
                raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    if anchor is not None:
        _write_private(sidecar(out), anchor.line(audit.audit_key()) + "\n")
    else:
        sidecar(out).unlink(missing_ok=True)
    return BackupResult(out, anchor, time.perf_counter() - started, out.stat().st_size)


def _kind(path: Path) -> str:
    with path.open("rb") as fh:
        start = fh.read(16)
    if start.startswith(SQLITE_MAGIC):
        return "sqlite"
    if start.startswith(PGDUMP_MAGIC):
        return "postgres"
    raise BackupError(f"{path} is neither an SQLite database nor a pg_dump custom archive")


def _require_empty(url: str) -> None:
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path.exists() and path.stat().st_size > 0:
            engine = create_engine(url)
            try:
                tables = inspect(engine).get_table_names()
            finally:
                engine.dispose()
            if tables:
                raise BackupError(
                    f"{path} is not empty ({len(tables)} tables): restore only into a new "
                    "database file"
                )
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            n = conn.scalar(
                text(
                    "SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                )
            )
    finally:
        engine.dispose()
    if n:
        raise BackupError(
            f"the database is not empty ({n} tables): restore only into a newly created "
            "database (createdb)"
        )


def restore(url: str, source: Path) -> RestoreResult:
    """Load the copy ``source`` into the empty database at ``url`` and verify it."""
    started = time.perf_counter()
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    kind = _kind(source)
    target_kind = "sqlite" if url.startswith("sqlite") else "postgres"
    if kind != target_kind:
        raise BackupError(
            f"{source} is a {kind} backup; the database to restore into is {target_kind}"
        )
    _require_empty(url)
    key = audit.audit_key()
    expected = audit.read_anchors(sidecar(source), key=key)
    if kind == "sqlite":
        path = _sqlite_path(url)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(path)
        try:
            src.backup(target)
        finally:
            target.close()
            src.close()
    else:
        libpq_url, env = _libpq(url)
        done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
            [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
             "--single-transaction", "--dbname", libpq_url, str(source)],
            capture_output=True,
            env=env,
            text=True,
        )  # fmt: skip
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
    db = Database(url)
    notes: list[str] = []
    try:
        with db.session() as session:
            verdict = audit.verify(session, anchors=expected)
            if not expected.anchors and verdict.chain.checked:
                verdict.problems.append(
                    f"{sidecar(source).name} is missing: the restored chain cannot be checked "
                    "against the head the backup was taken at"
                )
            if verdict.ok:
                live = audit.read_anchors(key=key).latest(verdict.chain.first_hash)
                if live is not None and live.seq > verdict.chain.head_seq:
                    notes.append(
                        f"the anchor file knows this chain up to seq {live.seq} ({live.at}); "
                        f"the backup ends at seq {verdict.chain.head_seq}: "
                        f"{live.seq - verdict.chain.head_seq} records written after the "
                        "backup are not in it"
                    )
                audit.write_anchor(session, note=f"restored from {source.name}")
    finally:
        db.dispose()
    return RestoreResult(verdict, time.perf_counter() - started, notes)
