"""The de-identified outcome export: the registry, one row per treated course and
follow-up window, for a researcher who receives it under a data-use agreement.

What leaves the clinic is what the outcome report computes from, and nothing that names
a person: no name, contact data, free text, record number or exact date. The rules are
those of the HIPAA Privacy Rule's Safe Harbor method (45 CFR §164.514(b)(2)) where they
apply to this table, with two choices of our own, both written out in the data
dictionary that goes with every export (``data_dictionary.md``):

- identifiers become keyed hashes (HMAC-SHA256, RFC 2104, of the record's internal number
  under ``settings.outcomes_export_key``, truncated to ``KEY_HEX_CHARS``), so that a
  re-export with the same key links to the first and no one without the key can go
  back (§164.514(c): a re-identification code not derived from the person's data);
- every date of a patient moves back by one offset of 1–364 days, also derived from the
  key (HMAC), so intervals within a patient stay exact (the issue's "random offset of up
  to 364 days that keeps intervals"; date shifting as in the HIPAA Expert Determination
  guidance, HHS 2012, §3.4); ages over 89 become "90+" (§164.514(b)(2)(i)(C)).

Rows are written sorted by the patient's key, not in the record's order (which follows
the calendar and would undo the shift), through 256 temporary files: one pass
over the database reads the rows in batches and spreads them by the key's first byte,
a second pass sorts one bucket at a time. Memory holds a batch and a bucket, not the
registry. Each window's state is the registry's own ``CASE`` (``registry``), evaluated
on the day of the export, so the report's figures on that day come out of the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hmac
import importlib
import json
import pickle
import secrets
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from respira.kit import audit
from respira.kit.actors import Actor, Role, require_role
from respira.kit.audit import AuditRecord
from respira.kit.clinic_time import clinic_today
from respira.kit.config import get_settings
from respira.kit.errors import InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.outcomes.models import OutcomeAdverseEvent, OutcomeCourse, OutcomeWindow
from respira.outcomes.registry import (
    MEASURES,
    STATES,
    CohortFilter,
    cohort_conditions,
    days_between,
    window_state,
)
from respira.outcomes.report import parse_filters

ROLES = frozenset({Role.ADMIN})
FORMATS = ("csv", "parquet")
ENTITY_TYPE = "outcomes_export"
KEY_MIN_CHARS = 32
KEY_HEX_CHARS = 16  # 64 bits: collisions among a million patients ~ 3e-8
SHIFT_MAX_DAYS = 364
AGE_TOP_CODED = 89  # ages above it are one group, "90+" (45 CFR §164.514(b)(2)(i)(C))
DATA_FILE = "outcomes"
AE_FILE = "adverse_events"
DICTIONARY = "data_dictionary.md"
FETCH_ROWS = 5_000  # rows fetched from the database at a time
HOLD_ROWS = 50_000  # rows held before they go to the bucket files
_ANSWERED = frozenset({STATES.index("completed"), STATES.index("completed_late")})

# The files' columns and their types ("str", "int", "float", "bool", "date"), in order.
OUTCOME_COLUMNS: tuple[tuple[str, str], ...] = (
    ("patient_key", "str"),
    ("course_key", "str"),
    ("course_number", "int"),
    ("window_month", "int"),
    ("state", "str"),
    ("synthetic", "bool"),
    ("treated_on", "date"),
    ("due_date", "date"),
    ("window_start", "date"),
    ("window_end", "date"),
    ("answered_on", "date"),
    ("cell_source", "str"),
    ("dose_million_cells_per_kg", "float"),
    ("phenotype", "str"),
    ("gina_step", "int"),
    ("baseline_control", "str"),
    ("instrument", "str"),
    ("sex", "str"),
    ("age", "str"),
    *((name, "float") for m in MEASURES for name in (f"{m}_baseline", m)),
    ("exacerbations_12m_baseline", "int"),
    ("exacerbations", "int"),
    ("exacerbations_after", "int"),
    ("exposure_days_after", "int"),
    ("first_exacerbation_day", "int"),
    ("exit_kind", "str"),
    ("exit_on", "date"),
)
AE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("patient_key", "str"),
    ("course_key", "str"),
    ("term", "str"),
    ("grade", "int"),
    ("serious", "bool"),
    ("related", "bool"),
    ("onset_day", "int"),
)

E_NO_KEY = N_(
    "The export is switched off: the key of its keyed hashes and date shifts is not set. "
    "Set RESPIRA_OUTCOMES_EXPORT_KEY to a secret of at least 32 characters and restart."
)
E_FORMAT = N_("choose csv or parquet")
E_NO_PARQUET = N_(
    "Parquet needs pyarrow, which comes with the “model” extra (pip install "
    "'respira[model]'); choose csv, or ask the operator to install it."
)


@dataclass(frozen=True)
class ExportResult:
    """What one export wrote (and what its audit record holds)."""

    export_id: str
    as_of: dt.date
    format: str
    filters: dict[str, str]
    key_id: str
    courses: int
    patients: int
    rows: int
    adverse_events: int
    files: tuple[str, ...]

    def facts(self) -> dict[str, Any]:
        return {
            "export_id": self.export_id,
            "as_of": self.as_of.isoformat(),
            "format": self.format,
            "filters": self.filters,
            "key_id": self.key_id,
            "courses": self.courses,
            "patients": self.patients,
            "rows": self.rows,
            "adverse_events": self.adverse_events,
            "files": list(self.files),
        }


@dataclass(frozen=True)
class ExportZip:
    """A finished export packed for download: a temporary file the caller removes."""

    path: Path
    filename: str
    result: ExportResult


@dataclass(frozen=True)
class PastExport:
    """An export in the audit trail: who made it, when, with which filter, how big."""

    at: dt.datetime
    actor_name: str
    actor_role: str
    export_id: str
    format: str
    filters: dict[str, str]
    rows: int
    patients: int


# -- the key -------------------------------------------------------------------------


class Pseudonyms:
    """The keyed hashes and date shifts of one key. A label names what is hashed
    (``patient:12``), so a patient's key, a course's key and a patient's shift are
    independent values of the one key."""

    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def _mac(self, label: str) -> bytes:
        return hmac.digest(self._key, label.encode(), "sha256")

    def key_id(self) -> str:
        """Names the key without revealing it: exports with equal key ids link."""
        return self._mac("key-id").hex()[:8]

    def patient_key(self, patient_id: int) -> str:
        return self._mac(f"patient:{patient_id}").hex()[:KEY_HEX_CHARS]

    def course_key(self, origin: str, row_id: int, course_id: int | None) -> str:
        # A clinic course by its course's id (stable when the registry row is rebuilt);
        # a synthetic one (no course) by its registry row.
        ref = row_id if course_id is None else course_id
        return self._mac(f"course:{origin}:{ref}").hex()[:KEY_HEX_CHARS]

    def shift_days(self, patient_id: int) -> int:
        """1 to 364 days, the same for every date of the patient."""
        value = int.from_bytes(self._mac(f"date-shift:patient:{patient_id}")[:8], "big")
        return 1 + value % SHIFT_MAX_DAYS


def configured_key() -> str | None:
    key = get_settings().outcomes_export_key
    return key if key and len(key) >= KEY_MIN_CHARS else None


def _pseudonyms() -> Pseudonyms:
    key = configured_key()
    if key is None:
        raise InvalidInput({"__all__": Msg(E_NO_KEY)})
    return Pseudonyms(key)


def age_group(age_years: int) -> str:
    return "90+" if age_years > AGE_TOP_CODED else str(age_years)


# -- the formats ---------------------------------------------------------------------


def parquet_available() -> bool:
    try:
        _pyarrow()
    except ImportError:
        return False
    return True


def _pyarrow() -> tuple[ModuleType, ModuleType]:
    return importlib.import_module("pyarrow"), importlib.import_module("pyarrow.parquet")


def _format_problem(fmt: str) -> Msg | None:
    if fmt not in FORMATS:
        return Msg(E_FORMAT)
    if fmt == "parquet" and not parquet_available():
        return Msg(E_NO_PARQUET)
    return None


def parse_request(params: Mapping[str, str]) -> tuple[str, CohortFilter]:
    """The format (``format``, csv when not given) and the cohort filter of a form or
    of the command line's ``--filter``s; ``InvalidInput`` naming every wrong field."""
    fmt = (params.get("format") or "csv").strip().lower()
    errors: dict[str, str] = {}
    if (problem := _format_problem(fmt)) is not None:
        errors["format"] = problem
    filters = CohortFilter()
    try:
        filters = parse_filters(params, ignore=("format",))
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)
    return fmt, filters


class _CsvFile:
    """UTF-8 CSV: the csv module writes None as an empty field, a date as its ISO form
    (``str``) and a float as its shortest exact form (it reads back equal); yes/no
    columns become ``true``/``false``."""

    def __init__(self, path: Path, columns: tuple[tuple[str, str], ...]) -> None:
        self._handle: IO[str] = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._handle, lineterminator="\n")
        self._writer.writerow([name for name, _ in columns])
        self._bools = [i for i, (_, kind) in enumerate(columns) if kind == "bool"]

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        self._writer.writerows([self._words(row) for row in rows] if self._bools else rows)

    def _words(self, row: tuple[Any, ...]) -> list[Any]:
        out = list(row)
        for i in self._bools:
            out[i] = "true" if out[i] else "false"
        return out

    def close(self) -> None:
        self._handle.close()


class _ParquetFile:
    def __init__(self, path: Path, columns: tuple[tuple[str, str], ...]) -> None:
        pa, pq = _pyarrow()
        kinds = {
            "str": pa.string(),
            "int": pa.int64(),
            "float": pa.float64(),
            "bool": pa.bool_(),
            "date": pa.date32(),
        }
        self._pa = pa
        self._schema = pa.schema([(name, kinds[kind]) for name, kind in columns])
        self._writer = pq.ParquetWriter(str(path), self._schema, compression="zstd")

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            arrays = [list(column) for column in zip(*rows, strict=True)]
            self._writer.write_batch(self._pa.record_batch(arrays, schema=self._schema))

    def close(self) -> None:
        self._writer.close()


def _open(fmt: str, path: Path, columns: tuple[tuple[str, str], ...]) -> _CsvFile | _ParquetFile:
    return _CsvFile(path, columns) if fmt == "csv" else _ParquetFile(path, columns)


# -- sorting by key, a bucket at a time -----------------------------------------------


class _Buckets:
    """Rows spread over temporary files by the first byte of their patient key, then
    read back one bucket at a time, sorted: an external sort whose memory is
    ``HOLD_ROWS`` rows and a bucket (1/256 of the export)."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._pending: dict[int, list[tuple[Any, ...]]] = {}
        self._count = 0
        self._used: set[int] = set()

    def add(self, rows: list[tuple[Any, ...]]) -> None:
        pending = self._pending
        for row in rows:
            bucket = int(row[0][:2], 16)
            if bucket in pending:
                pending[bucket].append(row)
            else:
                pending[bucket] = [row]
        self._count += len(rows)
        if self._count >= HOLD_ROWS:
            self.flush()

    def flush(self) -> None:
        for bucket, rows in self._pending.items():
            with open(self._folder / f"{bucket:02x}.pickle", "ab") as fh:
                pickle.dump(rows, fh, protocol=pickle.HIGHEST_PROTOCOL)
            self._used.add(bucket)
        self._pending = {}
        self._count = 0

    def sorted_batches(self, key: Callable[[tuple[Any, ...]], Any]) -> Iterator[list[Any]]:
        self.flush()
        for bucket in sorted(self._used):
            path = self._folder / f"{bucket:02x}.pickle"
            rows: list[tuple[Any, ...]] = []
            with open(path, "rb") as fh:
                while True:
                    try:
                        rows.extend(pickle.load(fh))  # noqa: S301 (our own temporary file)
                    except EOFError:
                        break
            path.unlink()
            rows.sort(key=key)
            yield rows


# -- reading the registry -------------------------------------------------------------

# The statement's columns: the course's (read once per course), then the window's.
_COURSE_FIELDS = (
    "id",
    "patient_id",
    "origin",
    "course_id",
    "course_number",
    "treated_on",
    "exit_on",
    # the profile, as written
    "cell_source",
    "dose_million_cells_per_kg",
    "phenotype",
    "gina_step",
    "baseline_control",
    "instrument",
    "sex",
    "age_years",
    *(f"{m}_baseline" for m in MEASURES),
    "exacerbations_12m_baseline",
    # the time after treatment, as written
    "exacerbations_after",
    "exposure_days_after",
    "first_exacerbation_day",
    "exit_kind",
)
_WINDOW_FIELDS = (
    "month",
    "due_date",
    "window_start",
    "window_end",
    "answered_on",
    *MEASURES,
    "exacerbations",
)
_PROFILE = slice(7, 15)
_AGE = 14
_BASELINE = slice(15, 15 + len(MEASURES))
_EXACERBATIONS_12M = 15 + len(MEASURES)
_AFTER = slice(_EXACERBATIONS_12M + 1, len(_COURSE_FIELDS))
_W = len(_COURSE_FIELDS)  # where the window's columns start
_W_VALUES = slice(_W + 5, _W + 5 + len(MEASURES))
_STATE = _W + len(_WINDOW_FIELDS)


def _outcome_statement(filters: CohortFilter, as_of: dt.date) -> sa.Select[Any]:
    c, w = OutcomeCourse, OutcomeWindow
    return (
        sa.select(
            *(getattr(c, name) for name in _COURSE_FIELDS),
            *(getattr(w, name) for name in _WINDOW_FIELDS),
            window_state(w, as_of),
        )
        .join(w, w.outcome_course_id == c.id)
        .where(*cohort_conditions(filters, as_of))
        .order_by(c.id, w.month)
    )


def _shift(day: dt.date | None, back: dt.timedelta) -> dt.date | None:
    return None if day is None else day - back


def _outcome_rows(
    session: Session, filters: CohortFilter, as_of: dt.date, names: Pseudonyms
) -> Iterator[list[tuple[Any, ...]]]:
    """The export's rows in batches, in the record's order (course, month), in the
    order of ``OUTCOME_COLUMNS``. What belongs to the course is made once per course."""
    statement = _outcome_statement(filters, as_of).execution_options(yield_per=FETCH_ROWS)
    last_course: int | None = None
    head: tuple[Any, ...] = ()
    dated: tuple[Any, ...] = ()
    profile: tuple[Any, ...] = ()
    unanswered: list[Any] = []
    tail: tuple[Any, ...] = ()
    back = dt.timedelta(0)
    for chunk in session.connection().execute(statement).partitions():
        batch = []
        for row in chunk:
            if row[0] != last_course:
                course_id, patient_id, origin, clinic_course, number, treated, exit_on = row[:7]
                last_course = course_id
                back = dt.timedelta(days=names.shift_days(patient_id))
                head = (
                    names.patient_key(patient_id),
                    names.course_key(origin, course_id, clinic_course),
                    number,
                )
                dated = (origin == "synthetic", treated - back)
                profile = (*row[_PROFILE][:-1], age_group(row[_AGE]))
                baseline = row[_BASELINE]
                unanswered = [None] * (2 * len(MEASURES))
                unanswered[0::2] = baseline
                tail = (*row[_AFTER], _shift(exit_on, back))
            state = row[_STATE]
            # The values of a window count once it was answered by the export's day
            # (the registry's state says so), as in the report.
            answered = state in _ANSWERED
            if answered:
                measures = unanswered.copy()  # baseline, value, baseline, value, ...
                measures[1::2] = row[_W_VALUES]
            else:
                measures = unanswered
            batch.append(
                (
                    *head,
                    row[_W],
                    STATES[state],
                    *dated,
                    row[_W + 1] - back,
                    row[_W + 2] - back,
                    row[_W + 3] - back,
                    _shift(row[_W + 4], back) if answered else None,
                    *profile,
                    *measures,
                    row[_EXACERBATIONS_12M],
                    row[_STATE - 1] if answered else None,
                    *tail,
                )
            )
        yield batch


def _ae_rows(
    session: Session, filters: CohortFilter, as_of: dt.date, names: Pseudonyms
) -> Iterator[list[tuple[Any, ...]]]:
    c, ae = OutcomeCourse, OutcomeAdverseEvent
    statement = (
        sa.select(
            c.patient_id,
            c.origin,
            c.id,
            c.course_id,
            ae.term,
            ae.grade,
            ae.serious,
            ae.related,
            ae.onset_day,
        )
        .join(c, c.id == ae.outcome_course_id)
        .where(*cohort_conditions(filters, as_of))
        # As the report: events after the export's day are not in it.
        .where(ae.onset_day <= days_between(sa.literal(as_of, sa.Date), c.treated_on))
        .execution_options(yield_per=FETCH_ROWS)
    )
    for chunk in session.connection().execute(statement).partitions():
        yield [
            (
                names.patient_key(pid),
                names.course_key(origin, row_id, course_id),
                term,
                grade,
                bool(serious),
                bool(related),
                onset_day,
            )
            for pid, origin, row_id, course_id, term, grade, serious, related, onset_day in chunk
        ]


# -- the export ------------------------------------------------------------------------


def _write_sorted(
    fmt: str,
    path: Path,
    columns: tuple[tuple[str, str], ...],
    batches: Iterable[list[tuple[Any, ...]]],
    scratch: Path,
    key: Callable[[tuple[Any, ...]], Any],
) -> int:
    """Write the rows sorted by ``key`` (the patient's key first); the number of rows."""
    buckets = _Buckets(scratch)
    count = 0
    for batch in batches:
        buckets.add(batch)
        count += len(batch)
    out = _open(fmt, path, columns)
    try:
        for rows in buckets.sorted_batches(key):
            out.write(rows)
    finally:
        out.close()
    return count


def _dictionary(result: ExportResult) -> str:
    """The data dictionary with this export's facts on top."""
    static = (Path(__file__).with_name(DICTIONARY)).read_text(encoding="utf-8")
    filters = ", ".join(f"{k}={v}" for k, v in sorted(result.filters.items())) or "none"
    head = (
        "# This export\n\n"
        f"- Export id: `{result.export_id}` (the clinic's audit trail holds who made it "
        "and when)\n"
        f"- Day of the export (window states are as of this day): {result.as_of.isoformat()}\n"
        f"- Format: {result.format}; files: "
        + ", ".join(f"`{name}`" for name in result.files)
        + "\n"
        f"- Filter: {filters}\n"
        f"- Treated courses: {result.courses}; patients: {result.patients}; rows of "
        f"`{DATA_FILE}.{result.format}`: {result.rows}; adverse events: "
        f"{result.adverse_events}\n"
        f"- Key id: `{result.key_id}` (exports with the same key id share patient keys and "
        "date shifts; the key itself is never exported)\n\n"
    )
    return head + static


def _files(fmt: str) -> tuple[str, ...]:
    return (f"{DATA_FILE}.{fmt}", f"{AE_FILE}.{fmt}", DICTIONARY)


def _outcome_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return row[0], row[2], row[1], row[3]  # patient, course number, course, month


def _ae_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return row[0], row[1], row[6], row[2], row[3]  # patient, course, onset, term, grade


class _Tally:
    """The courses and patients of the rows as they stream past (in course order), so
    that the counts are those of the file, whatever was written to the registry during
    the export."""

    def __init__(self) -> None:
        self.courses = 0
        self.patients: set[str] = set()

    def of(self, batches: Iterable[list[tuple[Any, ...]]]) -> Iterator[list[tuple[Any, ...]]]:
        last = None
        for batch in batches:
            for row in batch:
                if row[1] != last:
                    last = row[1]
                    self.courses += 1
                    self.patients.add(row[0])
            yield batch


def _write(
    session: Session,
    fmt: str,
    filters: CohortFilter,
    out_dir: Path,
    as_of: dt.date,
    names: Pseudonyms,
) -> ExportResult:
    tally = _Tally()
    files = (
        (
            DATA_FILE,
            OUTCOME_COLUMNS,
            tally.of(_outcome_rows(session, filters, as_of, names)),
            _outcome_key,
        ),
        (AE_FILE, AE_COLUMNS, _ae_rows(session, filters, as_of, names), _ae_key),
    )
    with tempfile.TemporaryDirectory(prefix="respira-export-") as scratch:
        rows, events = (
            _write_sorted(fmt, out_dir / f"{name}.{fmt}", columns, batches, Path(scratch), key)
            for name, columns, batches, key in files
        )
    result = ExportResult(
        export_id=secrets.token_hex(8),
        as_of=as_of,
        format=fmt,
        filters=filters.as_params(),
        key_id=names.key_id(),
        courses=tally.courses,
        patients=len(tally.patients),
        rows=rows,
        adverse_events=events,
        files=_files(fmt),
    )
    (out_dir / DICTIONARY).write_text(_dictionary(result), encoding="utf-8")
    return result


def _refuse_early(actor: Actor, fmt: str) -> Pseudonyms:
    require_role(actor, ROLES)
    names = _pseudonyms()
    if (problem := _format_problem(fmt)) is not None:
        raise InvalidInput({"format": problem})
    return names


def _audit(session: Session, actor: Actor, result: ExportResult) -> None:
    audit.record(
        session,
        actor,
        entity_type=ENTITY_TYPE,
        entity_id=result.export_id,
        action="export",
        after=result.facts(),
    )
    session.commit()


def export_to_folder(
    session: Session,
    actor: Actor,
    out_dir: Path,
    fmt: str,
    filters: CohortFilter,
    *,
    as_of: dt.date | None = None,
    read: Session | None = None,
) -> ExportResult:
    """Write the export's files to ``out_dir`` (replacing an earlier export's files),
    audit it and commit. Refused (``InvalidInput``, nothing written)
    without a key or with an unknown or unavailable format.

    The rows are read through ``read`` (a read session) when given, and only the audit
    record is written through ``session``: on SQLite a write session holds the database's
    one write lock from its first statement, and an export of a large registry must not
    stall every other write (slow work never runs inside a write transaction)."""
    names = _refuse_early(actor, fmt)
    out_dir.mkdir(parents=True, exist_ok=True)
    day = as_of or clinic_today()
    written = [out_dir / name for name in _files(fmt)]
    try:
        result = _write(read or session, fmt, filters, out_dir, day, names)
        if read is not None:
            read.rollback()  # end the read transaction before the short write
        _audit(session, actor, result)
    except BaseException:
        for path in written:  # no export without its audit record
            path.unlink(missing_ok=True)
        raise
    for other in FORMATS:  # an earlier export in another format would not match
        if other != fmt:
            for name in _files(other)[:2]:
                (out_dir / name).unlink(missing_ok=True)
    return result


def export_zip(
    session: Session,
    actor: Actor,
    fmt: str,
    filters: CohortFilter,
    *,
    as_of: dt.date | None = None,
    read: Session | None = None,
) -> ExportZip:
    """The export as one zip file (a temporary file; the caller removes it once sent),
    audited and committed; read through ``read`` as ``export_to_folder`` says."""
    names = _refuse_early(actor, fmt)
    day = as_of or clinic_today()
    with tempfile.TemporaryDirectory(prefix="respira-export-files-") as folder:
        result = _write(read or session, fmt, filters, Path(folder), day, names)
        if read is not None:
            read.rollback()
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (the response removes it)
            prefix="respira-export-", suffix=".zip", delete=False
        )
        path = Path(handle.name)
        try:
            with handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
                for name in result.files:
                    archive.write(Path(folder) / name, name)
            _audit(session, actor, result)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    filename = f"respira-outcomes-{day.isoformat()}-{result.export_id}.zip"
    return ExportZip(path, filename, result)


def past_exports(session: Session, actor: Actor, limit: int = 20) -> list[PastExport]:
    """The newest exports in the audit trail."""
    require_role(actor, ROLES)
    statement = (
        sa.select(AuditRecord)
        .where(AuditRecord.entity_type == ENTITY_TYPE)
        .order_by(AuditRecord.seq.desc())
        .limit(limit)
    )
    out = []
    for rec in session.scalars(statement):
        facts = _facts(rec.after)
        out.append(
            PastExport(
                at=rec.at,
                actor_name=rec.actor_name,
                actor_role=rec.actor_role,
                export_id=rec.entity_id,
                format=str(facts.get("format", "")),
                filters=dict(facts.get("filters", {})),
                rows=int(facts.get("rows", 0)),
                patients=int(facts.get("patients", 0)),
            )
        )
    return out


def _facts(text: str | None) -> dict[str, Any]:
    value = json.loads(text) if text else {}
    return value if isinstance(value, dict) else {}
