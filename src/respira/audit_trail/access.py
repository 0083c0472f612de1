"""Who read a patient's record: access records written off the request path.

A staff member's read of a patient's record (the patient page with its clinical
sections, ``GET /api/v1/patients/{id}``) must be recorded so that a patient can be told
who looked at their record, but the read must not pay for it: OpenEMR's users report
its full access logging turning a 2.3 s page into 14 s. A read therefore only appends a
small tuple to an in-process queue (a ``collections.deque``: no lock taken by the
reader beyond the interpreter's, no I/O, no database connection); one background thread
per process and database writes the queue to ``access_records`` in batches, every
``FLUSH_INTERVAL_S`` or as soon as ``BATCH_SIZE`` entries wait, in one short write
transaction per batch. On SQLite (one writer) a read never waits for that writer: WAL
readers do not block on it, and the reader never asks for it.

The queue is flushed when the process exits (``atexit``: Uvicorn returns from its
graceful shutdown, the interpreter runs the exit handlers), and ``flush(db)`` flushes it
on demand (tests, the "who looked at my record" page, which flushes before it reads so
that a patient sees the newest entries). What a hard kill of the process loses is at
most the last interval's entries; see the decision record
(``docs/decisions/2026-12-06-hardening.md``) for why these records are not part of the
hash chain.
"""

from __future__ import annotations

import atexit
import collections
import datetime as dt
import logging
import threading
import time
import weakref

from respira.audit_trail.models import ACCESS_PLACES
from respira.kit.actors import Actor
from respira.kit.db import Database

log = logging.getLogger("respira.audit_trail.access")

FLUSH_INTERVAL_S = 1.0
BATCH_SIZE = 500
# A batch the database refused is tried again at the next turns, up to this many times;
# then it is dropped with an error in the log (counts only, never who or which patient).
MAX_ATTEMPTS = 5

# (time.time(), patient_id, actor_id, actor_role, actor_name, place): the cheapest tuple
# to build on the read path; the writer turns the time into a timestamp.
Entry = tuple[float, int, int | None, str, str, str]

_INSERT = (
    "INSERT INTO access_records (at, patient_id, actor_id, actor_role, actor_name, place) "
    "VALUES ({0}, {0}, {0}, {0}, {0}, {0})"
)


class AccessLog:
    """The queue of one process for one database, and its writer thread."""

    def __init__(self, db: Database, *, background: bool = True) -> None:
        self.db = db
        self.background = background  # False: written only by flush() (tests)
        self._queue: collections.deque[Entry] = collections.deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._write_lock = threading.Lock()  # one batch at a time (thread or flush())
        self._failed: list[Entry] = []
        self._attempts = 0
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    # -- the read path: append and return ------------------------------------------

    def add(self, actor: Actor, patient_id: int, place: str) -> None:
        self._queue.append((time.time(), patient_id, actor.user_id, actor.role, actor.name, place))
        if self._thread is None and self.background:
            self._start()
        if len(self._queue) >= BATCH_SIZE:
            self._wake.set()

    # -- the writer ----------------------------------------------------------------

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stop.is_set():
                thread = threading.Thread(target=self._run, name="respira-access-log", daemon=True)
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(FLUSH_INTERVAL_S)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # the writer thread must outlive a bad moment of the database
                log.exception("writing access records failed")

    def flush(self) -> int:
        """Write everything queued so far; answers how many records were written."""
        with self._write_lock:
            batch = self._failed
            self._failed = []
            while self._queue:
                batch.append(self._queue.popleft())
            if not batch:
                return 0
            try:
                self._write(batch)
            except Exception:
                self._attempts += 1
                if self._attempts >= MAX_ATTEMPTS:
                    log.error(
                        "dropped %d access records after %d attempts", len(batch), self._attempts
                    )
                    self._attempts = 0
                else:
                    self._failed = batch
                raise
            self._attempts = 0
            return len(batch)

    def _write(self, batch: list[Entry]) -> None:
        """One transaction, one ``executemany`` on the driver's cursor: the writer's cost
        per record is a few microseconds (SQLAlchemy's per-row bind processing would
        cost more than the read it records). Timestamps as ``UTCDateTime`` stores them:
        naive UTC text on SQLite, ``timestamptz`` on PostgreSQL."""
        sqlite = self.db.is_sqlite
        utc = dt.UTC
        stamp = dt.datetime.fromtimestamp
        rows = [
            (
                stamp(t, utc).replace(tzinfo=None).isoformat(" ", "microseconds")
                if sqlite
                else stamp(t, utc),
                patient_id,
                actor_id,
                str(role),
                name,
                place,
            )
            for t, patient_id, actor_id, role, name, place in batch
        ]
        sql = _INSERT.format("?" if sqlite else "%s")
        with self.db.write_engine.begin() as conn:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            cursor = dbapi.cursor()
            try:
                cursor.executemany(sql, rows)
            finally:
                cursor.close()

    def close(self) -> None:
        """Stop the writer and write what is left (the process is ending)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            self.flush()
        except Exception:
            log.exception("writing the last access records failed")


_logs: weakref.WeakKeyDictionary[Database, AccessLog] = weakref.WeakKeyDictionary()
_logs_lock = threading.Lock()


def log_for(db: Database) -> AccessLog:
    """The process's access log for ``db`` (made on first use)."""
    found = _logs.get(db)
    if found is not None:
        return found
    with _logs_lock:
        found = _logs.get(db)
        if found is None:
            found = _logs[db] = AccessLog(db)
        return found


def record(db: Database, actor: Actor, patient_id: int, place: str) -> None:
    """Queue one read of a patient's record by a staff member (a patient reading their
    own record is not recorded: they know who they are). Never touches the database."""
    if actor.patient_id is not None or actor.role == "patient":
        return
    if place not in ACCESS_PLACES:
        raise ValueError(f"unknown access place {place!r}")
    log_for(db).add(actor, patient_id, place)


def flush(db: Database) -> int:
    """Write the queued access records of ``db`` now."""
    found = _logs.get(db)
    return found.flush() if found is not None else 0


@atexit.register
def _flush_all_at_exit() -> None:
    for access_log in list(_logs.values()):
        access_log.close()
