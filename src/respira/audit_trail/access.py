"""Who read a patient's record: access records written off the request path.

Every staff member's read of a patient's record must be recorded so that a patient can
be told who looked at their record: the patient page with its clinical sections, and
every page, API, PDF and FHIR route that answers one patient's data (their screenings,
a diagnostic visit, a course, an adverse event, a summary and its PDF, ``$everything``,
a FHIR resource, a quote, a stay, a message thread, ...). One mechanism notes them all:
the kit's hook (``respira.kit.web.reads``) hands every ``GET`` answered 2xx to a
signed-in actor to ``note_read`` below, which knows from the route's path whose record
it read (``patient_id``, or one of their records: ``RECORD_PARAMS``, whose patient the
writer finds through the audit trail's links). A refused read (403, 404, ...) answers no
2xx and is not noted; a patient reading their own record is not noted; lists of many
patients (the search, worklists, the registry's statistics) are not reads of a
patient's record and are not noted. ``access_records.place`` keeps where and what in 32
characters: ``patient_page``, ``patient_api``, or ``<page|api|fhir>:<what>`` such as
``api:screening 12`` or ``fhir:$everything`` (no migration was needed for "what").

But the read must not pay for it: OpenEMR's users report
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
import os
import re
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, tuple_

from respira.audit_trail import links
from respira.audit_trail.models import ACCESS_PLACES, AuditPatientLink
from respira.kit.actors import Actor
from respira.kit.audit import AuditRecord
from respira.kit.db import Database

log = logging.getLogger("respira.audit_trail.access")

FLUSH_INTERVAL_S = 1.0
BATCH_SIZE = 500
# A batch the database refused is tried again at the next turns, up to this many times;
# then it is dropped with an error in the log (counts only, never who or which patient).
MAX_ATTEMPTS = 5

# (time.time(), patient_id, actor_id, actor_role, actor_name, place, record): the
# cheapest tuple to build on the read path; the writer turns the time into a timestamp,
# and a read of one of a patient's records (``record``: the audit trail's entity type and
# id, the patient None) into the patient's id (``_resolve``).
Entry = tuple[float, int | None, int | None, str, str, str, tuple[str, str] | None]

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

    def add(
        self,
        actor: Actor,
        patient_id: int | None,
        place: str,
        record: tuple[str, str] | None = None,
    ) -> None:
        self._queue.append(
            (time.time(), patient_id, actor.user_id, actor.role, actor.name, place, record)
        )
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
                batch = self._resolve(batch)
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

    def _resolve(self, batch: list[Entry]) -> list[Entry]:
        """The patient of each read of one of a patient's records, from the audit trail's
        links (``respira.audit_trail.links``: the trail knows which record is whose, so
        the audit trail need not know every step's tables). The links are brought up to
        date first, so that a record made a moment ago is found; a read of a record that
        belongs to no patient (a consultation request not yet converted) is dropped."""
        wanted = {entry[6] for entry in batch if entry[1] is None and entry[6] is not None}
        if not wanted:
            return batch
        links.catch_up(self.db)
        found: dict[tuple[str, str], int] = {}
        keys = sorted(wanted)
        with self.db.session() as session:
            for start in range(0, len(keys), 200):
                rows = session.execute(
                    select(
                        AuditRecord.entity_type, AuditRecord.entity_id, AuditPatientLink.patient_id
                    )
                    .join(AuditPatientLink, AuditPatientLink.seq == AuditRecord.seq)
                    .where(
                        tuple_(AuditRecord.entity_type, AuditRecord.entity_id).in_(
                            keys[start : start + 200]
                        )
                    )
                )
                for entity_type, entity_id, patient_id in rows:
                    found[(entity_type, entity_id)] = patient_id
        out: list[Entry] = []
        for t, known, actor_id, role, name, place, record in batch:
            patient = known if known is not None else found.get(record or ("", ""))
            if patient is not None:
                out.append((t, patient, actor_id, role, name, place, record))
        return out

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
            for t, patient_id, actor_id, role, name, place, _record in batch
        ]
        if not rows:
            return
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


def _not_staff(actor: Actor) -> bool:
    return actor.patient_id is not None or actor.role in ("patient", "public")


def record(db: Database, actor: Actor, patient_id: int, place: str) -> None:
    """Queue one read of a patient's record by a staff member (a patient reading their
    own record is not recorded: they know who they are). Never touches the database."""
    if _not_staff(actor) or not ENABLED:
        return
    if place not in ACCESS_PLACES and place.partition(":")[0] not in CHANNELS:
        raise ValueError(f"unknown access place {place!r}")
    log_for(db).add(actor, patient_id, place[:PLACE_LENGTH])


# --- which route reads whose record -------------------------------------------------
#
# Every ``GET`` answered 2xx to a member of staff reaches ``note_read`` (the kit's hook,
# ``respira.kit.web.reads``, installed as ``app.state.patient_reads``). A route reads a
# patient's record when its path names the patient (``patient_id``) or one of their
# records (``RECORD_PARAMS``); the first such parameter of the path counts. Lists of many
# patients (search, worklists, the registry's statistics) name no patient and are not
# reads of a patient's record. A route whose path does not say whose record it read (a
# FHIR resource) declares it with ``respira.kit.web.reads.reads_patient``.

# A path parameter naming one of a patient's records → the audit trail's entity type of
# that record (the writer finds its patient through the trail's links).
RECORD_PARAMS: dict[str, str] = {
    "consultation_request_id": "consultation_request",
    "visit_id": "diagnostic_visit",
    "screening_id": "screening",
    "course_id": "course",
    "administration_id": "administration",
    "event_id": "adverse_event",
    "follow_up_id": "follow_up_check_in",
    "appointment_id": "appointment",
    "thread_id": "message_thread",
    "summary_id": "medical_summary",
    "exit_id": "outcome_exit",
    "quote_id": "quote",
    "invoice_id": "invoice",
    "stay_id": "stay",
    "harvest_id": "harvest",
}
# Path parameters that name no patient's record: accounts, mail, criteria sets, the
# laboratory's lots and units (a unit's patient is read through the patient's
# ``unit-chains``), price lists, sign-in links, and FHIR resources (declared by the route).
NOT_PATIENT_PARAMS = frozenset(
    {
        "user_id",
        "message_id",
        "set_id",
        "lot_id",
        "din",
        "price_list_id",
        "token",
        "resource_type",
        "resource_id",
        "item_id",
    }
)
CHANNELS = ("page", "api", "fhir")
PLACE_LENGTH = 32  # access_records.place

# Benchmark switch (bench/README.md): RESPIRA_ACCESS_LOG=false turns the recording of
# reads off, to measure what it costs. Never for a clinic.
ENABLED = os.environ.get("RESPIRA_ACCESS_LOG", "true").strip().lower() not in (
    "0",
    "false",
    "no",
    "off",
)

_PARAM = re.compile(r"\{([a-z_]+)(?::[^}]*)?\}")


@dataclass(frozen=True, slots=True)
class RouteRead:
    """What a route's path says it reads: the parameter naming the patient or one of
    their records, that record's entity type (None: the patient), and the place to
    note, ``{value}`` standing for the parameter's value (made once per route, so that
    a read only fills it in)."""

    param: str
    entity_type: str | None
    place: str
    fill_others: bool  # the place names other parameters too (a stay's item)


_routes: dict[str, RouteRead | None] = {}


def _channel(path: str) -> str:
    return "api" if path.startswith("/api/") else "fhir" if path.startswith("/fhir/") else "page"


def route_read(path: str) -> RouteRead | None:
    """What a route's path template says it reads: None for no patient's record."""
    if path in _routes:
        return _routes[path]
    channel = _channel(path)
    found: RouteRead | None = None
    for match in _PARAM.finditer(path):
        param = match.group(1)
        if param == "patient_id" or param in RECORD_PARAMS:
            rest = path[match.end() :].lstrip("/.")
            entity_type = RECORD_PARAMS.get(param)
            if entity_type is None:
                place = f"{channel}:{rest}" if rest or channel == "fhir" else f"patient_{channel}"
            else:
                place = f"{channel}:{entity_type} {{value}} {rest}".rstrip()
            found = RouteRead(param, entity_type, place, "{" in rest)
            break
    _routes[path] = found
    return found


def place_of(read: RouteRead, value: str, path_params: Mapping[str, Any]) -> str:
    """The short "where and what" of a read, as ``access_records.place`` keeps it
    (``api:screening 12``, ``page:visits/new``, ``patient_page``)."""
    place = read.place.replace("{value}", value)
    if read.fill_others:
        place = _PARAM.sub(lambda m: str(path_params.get(m.group(1), "")), place)
    return place[:PLACE_LENGTH]


def note_read(
    db: Database,
    actor: Actor,
    route: Any,
    path_params: Mapping[str, Any],
    declared: tuple[int, str] | None,
) -> None:
    """The app's ``patient_reads`` hook: queue a staff member's successful ``GET`` of a
    patient's record. Never touches the database."""
    if not ENABLED or actor.patient_id is not None or actor.role == "patient":
        return
    path: str = route.path
    if declared is not None:
        log_for(db).add(actor, declared[0], f"{_channel(path)}:{declared[1]}"[:PLACE_LENGTH])
        return
    read = _routes[path] if path in _routes else route_read(path)
    if read is None:
        return
    value = str(path_params.get(read.param, ""))
    if not value.isdigit():
        return
    place = place_of(read, value, path_params)
    if read.entity_type is None:
        log_for(db).add(actor, int(value), place)
    else:
        log_for(db).add(actor, None, place, (read.entity_type, value))


def flush(db: Database) -> int:
    """Write the queued access records of ``db`` now."""
    found = _logs.get(db)
    return found.flush() if found is not None else 0


@atexit.register
def _flush_all_at_exit() -> None:
    for access_log in list(_logs.values()):
        access_log.close()
