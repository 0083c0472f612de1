"""Use cases of the patient registry: register, read, search and edit patients.

Edits use optimistic locking: the caller says which version it read, and a stale
version is answered with ``Conflict`` (HTTP 409) without changing anything. A patient
account sees its own record and nothing else; any other id is "not found", so ids leak
nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, bindparam, func, or_, select
from sqlalchemy.orm import Session

from respira.kit import audit, records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, NotFound
from respira.kit.marks import N_
from respira.kit.validation import fold
from respira.patients import matching

# Other steps compare contact details the registry's way (the triage's duplicate flags).
from respira.patients.matching import e164 as e164
from respira.patients.matching import email_key as email_key
from respira.patients.matching import phone_forms as phone_forms

# Patient is the row type other steps receive from get_visible / get_for_update / find.
from respira.patients.models import SEARCH_TABLE
from respira.patients.models import Patient as Patient
from respira.patients.schemas import (
    DuplicateCandidateOut,
    DuplicateConflict,
    PatientIn,
    PatientOut,
    PatientPage,
    PatientPatch,
    PatientRegistration,
)

# Nurses read the registry (the ward needs name, birth date and record number); they do
# not register or edit patients.
READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.COORDINATOR, Role.PATIENT})
WRITE_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR})
MAX_PAGE_SIZE = 100
_FIELDS = tuple(PatientIn.model_fields)


def luhn_digit(digits: str) -> str:
    """The Luhn check digit (ISO/IEC 7812-1) for a string of digits: catches every
    single-digit typo and most transpositions when a record number is read out."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def new_record_number() -> str:
    body = f"{secrets.randbelow(9_000_000) + 1_000_000}"
    return f"RSP-{body}-{luhn_digit(body)}"


def record_number_valid(mrn: str) -> bool:
    parts = mrn.split("-")
    return (
        len(parts) == 3
        and parts[0] == "RSP"
        and parts[1].isdigit()
        and len(parts[1]) == 7
        and luhn_digit(parts[1]) == parts[2]
    )


def search_key(first_name: str, last_name: str, mrn: str) -> str:
    return fold(f"{first_name} {last_name} {mrn}")


def snapshot(p: Patient) -> dict[str, Any]:
    return {f: getattr(p, f) for f in _FIELDS}


def find(session: Session, patient_id: int) -> Patient | None:
    """The patient row, or None, for the operator's and the demo's own use (no actor:
    no visibility rule; steps serving a user call get_visible or get_for_update)."""
    return session.get(Patient, patient_id)


def exists(session: Session, patient_id: int) -> bool:
    return find(session, patient_id) is not None


def get_visible(session: Session, actor: Actor, patient_id: int) -> Patient:
    """The patient row for another step's read (its visits, its screenings), after the
    visibility rule of a read (404 for a patient account's other patients)."""
    records.require_patient_visible(actor, patient_id)
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(N_("no such patient"))
    return patient


def get_for_update(session: Session, actor: Actor, patient_id: int) -> Patient:
    """The patient row for a use case that writes to the patient's record, after the
    same visibility rule, locked (``FOR UPDATE``) to the end of the transaction: the
    use cases of one patient that depend on what the record holds (a screening that
    supersedes the last one, an edit) run one after the other."""
    records.require_patient_visible(actor, patient_id)
    patient = records.lock_row(session, Patient, patient_id)
    if patient is None:
        raise NotFound(N_("no such patient"))
    return patient


def create_patient(
    session: Session, actor: Actor, data: PatientIn | PatientRegistration
) -> PatientOut:
    """Register a patient after the duplicate check (``ProbableDuplicate`` when the
    person may already be registered and the user has not said otherwise)."""
    stated = data.not_a_duplicate_of if isinstance(data, PatientRegistration) else []
    require_role(actor, WRITE_ROLES)
    candidates = check_duplicates(session, data, stated)
    patient = add_patient(session, actor, data)
    record_distinct(session, actor, patient, candidates)
    session.commit()
    return PatientOut.model_validate(patient)


def add_patient(
    session: Session, actor: Actor, data: PatientIn, *, reason: str | None = None
) -> Patient:
    """Register a patient in the caller's transaction (used by create_patient and by
    other steps that create a patient as part of their own use case)."""
    require_role(actor, WRITE_ROLES)
    now = utcnow()
    for _attempt in range(5):
        mrn = new_record_number()
        if session.scalar(select(Patient.id).where(Patient.medical_record_number == mrn)) is None:
            break
    else:  # pragma: no cover - 9 million numbers; five collisions in a row means a bug
        raise RuntimeError("could not allocate a medical record number")
    patient = Patient(
        medical_record_number=mrn,
        created_at=now,
        updated_at=now,
        search_key=search_key(data.first_name, data.last_name, mrn),
        name_key=matching.name_key(data.first_name, data.last_name),
        **data.model_dump(include=set(_FIELDS)),
    )
    # The unique MRN may be raced by a parallel writer.
    with records.flush_or_conflict(
        session, "the record number was taken at the same moment; please retry"
    ):
        session.add(patient)
    audit.record(
        session,
        actor,
        entity_type="patient",
        entity_id=patient.id,
        action="create",
        row=patient,
        after={"medical_record_number": mrn, **snapshot(patient)},
        reason=reason,
    )
    return patient


_PATIENT_BY_ID = select(Patient.__table__).where(Patient.__table__.c.id == bindparam("pid"))


def get_patient(session: Session | Connection, actor: Actor, patient_id: int) -> PatientOut:
    """One patient, read with a single Core statement: the registry's hottest read does
    no ORM identity-map work, so it can run on a bare connection."""
    require_role(actor, READ_ROLES)
    records.require_patient_visible(actor, patient_id)
    row = session.execute(_PATIENT_BY_ID, {"pid": patient_id}).first()
    if row is None:
        raise NotFound(N_("no such patient"))
    return PatientOut.model_validate(row._mapping)


_TABLE = Patient.__table__
_PATIENT_COLUMNS = [c for c in _TABLE.c if c.key not in ("search_key", "name_key")]

# The search index (migration 0025): on SQLite the FTS5 trigram table whose rowid is the
# patient's id; on PostgreSQL trigram GIN indexes on the two key columns themselves.
_FTS = sa.table(SEARCH_TABLE, sa.column("rowid"), sa.column(SEARCH_TABLE), sa.column("rank"))
# A trigram index finds a word of three characters or more; a shorter one is compared
# with LIKE on the rows the longer words found (or on all rows when there is none).
TRIGRAM = 3
MAX_TERMS = 4
# Fuzzy search: how many rows sharing trigrams with the words are ranked, and the
# similarity (Jaro-Winkler of each word with the name's most similar word) they need.
FUZZY_CANDIDATES = 200
FUZZY_THRESHOLD = 0.8

# How a word of a search is compared (the statements' shape; the words themselves are
# bound parameters, so that each shape's statements are built and compiled once):
_SHORT = "short"  # under three characters: LIKE on search_key
_FTS_TERM = "fts"  # SQLite: one phrase of the FTS5 query (``match``)
_KEY = "key"  # PostgreSQL: LIKE on search_key through its trigram index
_KEY_OR_NAME = "key+name"  # PostgreSQL: on search_key or, as a skeleton, on name_key
_PG_FUZZY_THRESHOLD = sa.text("SET LOCAL pg_trgm.word_similarity_threshold = 0.4")


def _connection(session: Session | Connection) -> Connection:
    """The connection of the session's transaction: Core statements run there without
    the ORM's per-statement work (the rows are not ORM objects anyway)."""
    return session.connection() if isinstance(session, Session) else session


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _search_shape(dialect: str, terms: list[str]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Each term's kind and the statement's parameters: each term must occur in the
    patient's folded name and record number (``search_key``) or, spelt as a skeleton,
    in the transliterated name (``name_key``): "mueller" finds Müller, "Иванова" finds
    Ivanova. Served by the trigram index."""
    kinds: list[str] = []
    params: dict[str, Any] = {}
    phrases: list[str] = []
    for i, term in enumerate(terms):
        spelt = matching.skeleton(term).replace(" ", "")
        skel = spelt if len(spelt) >= TRIGRAM else None
        if len(term) < TRIGRAM:
            kinds.append(_SHORT)
            params[f"t{i}"] = f"%{_escape_like(term)}%"
        elif dialect == "sqlite":
            kinds.append(_FTS_TERM)
            alternatives = [f"search_key : {_fts_phrase(term)}"]
            if skel:
                alternatives.append(f"name_key : {_fts_phrase(skel)}")
            phrases.append("(" + " OR ".join(alternatives) + ")")
        else:
            kinds.append(_KEY_OR_NAME if skel else _KEY)
            params[f"t{i}"] = f"%{_escape_like(term)}%"
            if skel:
                params[f"n{i}"] = f"%{_escape_like(skel)}%"
    if phrases:
        params["match"] = " AND ".join(phrases)
    return tuple(kinds), params


@functools.cache
def _search_statements(kinds: tuple[str, ...], own_record: bool) -> tuple[Any, Any]:
    """The statements of a search of this shape: the page's rows with the total, and
    the count on its own (for a page past the last one)."""
    c = _TABLE.c
    conditions: list[Any] = [c.id == bindparam("own_id")] if own_record else []
    for i, kind in enumerate(kinds):
        if kind == _FTS_TERM:
            continue
        like: Any = c.search_key.like(bindparam(f"t{i}"), escape="\\")
        if kind == _KEY_OR_NAME:
            like = or_(like, c.name_key.like(bindparam(f"n{i}"), escape="\\"))
        conditions.append(like)
    if _FTS_TERM in kinds:
        found = select(_FTS.c.rowid).where(_FTS.c[SEARCH_TABLE].op("MATCH")(bindparam("match")))
        conditions.append(c.id.in_(found))
    # The matches first, through the search index (materialised: else the planner may
    # walk the name index in order and test every row of the registry against the
    # words, to stop after a page that the count never lets it stop at); then the
    # page's ids in order with the total (a window count), the sort carrying the id
    # and the two names, not whole rows; then the page's rows, joined by id.
    matched = (
        select(c.id, c.last_name, c.first_name)
        .where(*conditions)
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )
    page = (
        select(
            matched.c.id,
            matched.c.last_name,
            matched.c.first_name,
            func.count().over().label("total"),
        )
        .order_by(matched.c.last_name, matched.c.first_name, matched.c.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page")
    )
    rows = (
        select(page.c.total, *_PATIENT_COLUMNS)
        .join_from(page, _TABLE, c.id == page.c.id)
        .order_by(page.c.last_name, page.c.first_name, page.c.id)
    )
    count = select(func.count(c.id)).where(*conditions)
    return rows, count


def _search_terms(q: str | None) -> list[str]:
    return fold(q).split()[:MAX_TERMS] if q and q.strip() else []


def search_patients(
    session: Session, actor: Actor, q: str | None, page: int, page_size: int
) -> PatientPage:
    """Patients whose name or record number contains every word of ``q`` (accents,
    case and Cyrillic/Latin spelling ignored), ordered by name, one page at a time,
    found through the search index, with the total in the same statement (a window
    count). When no patient contains the words, the patients with the most similar
    names (``fuzzy``: a misspelt name), best first, on one page."""
    require_role(actor, READ_ROLES)
    page = max(page, 1)
    page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
    own_record = actor.role == Role.PATIENT
    conn = _connection(session)
    terms = _search_terms(q)
    kinds, params = _search_shape(conn.dialect.name, terms)
    if own_record:
        params["own_id"] = actor.patient_id
    rows_stmt, count_stmt = _search_statements(kinds, own_record)
    rows = conn.execute(
        rows_stmt, {**params, "limit": page_size, "offset": (page - 1) * page_size}
    ).all()
    if rows:
        total = rows[0].total
    elif page == 1:  # an empty first page: nothing matches
        total = 0
    else:  # past the last page: count on its own
        total = conn.scalar(count_stmt, params) or 0
    if total == 0 and terms and page == 1:
        similar = _similar_names(conn, actor.patient_id if own_record else None, terms, page_size)
        if similar:
            return PatientPage(
                items=similar, total=len(similar), page=1, page_size=page_size, pages=1,
                fuzzy=True,
            )  # fmt: skip
    return PatientPage(
        items=[PatientOut.model_validate(r._mapping) for r in rows],
        total=total,
        page=page,
        page_size=page_size,
        pages=max(1, math.ceil(total / page_size)),
    )


@functools.cache
def _similar_statement(dialect: str, own_record: bool) -> Any:
    query = select(*_PATIENT_COLUMNS, _TABLE.c.name_key).limit(FUZZY_CANDIDATES)
    if own_record:
        query = query.where(_TABLE.c.id == bindparam("own_id"))
    if dialect == "sqlite":
        ranked = (
            select(_FTS.c.rowid)
            .where(_FTS.c[SEARCH_TABLE].op("MATCH")(bindparam("match")))
            .order_by(_FTS.c.rank)
            .limit(FUZZY_CANDIDATES)
        )
        return query.where(_TABLE.c.id.in_(ranked))
    skel = bindparam("skel", type_=sa.String)
    return query.where(skel.op("<%")(_TABLE.c.name_key)).order_by(
        func.word_similarity(skel, _TABLE.c.name_key).desc()
    )


def _similar_names(
    conn: Connection, own_id: int | None, terms: list[str], limit: int
) -> list[PatientOut]:
    """Patients whose name is like the words searched for though it does not contain
    them: the index gives the rows that share the most trigrams with them, ranked here
    by similarity (with each row's stored skeleton, ``name_key``)."""
    # Words with a digit are parts of record numbers, which are not misspelt names.
    words = [
        w for w in matching.skeleton(" ".join(terms)).split() if not any(c.isdigit() for c in w)
    ]
    grams = sorted({w[i : i + TRIGRAM] for w in words for i in range(len(w) - TRIGRAM + 1)})
    if not grams:
        return []
    dialect = conn.dialect.name
    params: dict[str, Any] = {} if own_id is None else {"own_id": own_id}
    if dialect == "sqlite":
        params["match"] = "name_key : (" + " OR ".join(_fts_phrase(g) for g in grams) + ")"
    else:
        # pg_trgm's word similarity of a misspelt word of five or six letters with the
        # right one is 0.4-0.6 (its default threshold, 0.6, misses half of them).
        conn.execute(_PG_FUZZY_THRESHOLD)
        params["skel"] = " ".join(words)
    scored = []
    for row in conn.execute(_similar_statement(dialect, own_id is not None), params):
        score = matching.word_coverage(words, f"{row.first_name} {row.last_name}", row.name_key)
        if score >= FUZZY_THRESHOLD:
            scored.append((-score, row.last_name, row.first_name, row.id, row))
    scored.sort(key=lambda item: item[:4])
    return [PatientOut.model_validate(item[4]._mapping) for item in scored[:limit]]


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- probable duplicates ------------------------------------------------------------

# Why a patient may be the person being registered (the API's ``why`` and the pages'
# text for each).
WHY = {
    "name_and_birth_date": N_("same date of birth and a similar name"),
    "email": N_("same email address"),
    "phone": N_("same phone number"),
}
MAX_CANDIDATES = 20


@dataclass(frozen=True)
class DuplicateCandidate:
    id: int
    medical_record_number: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    why: tuple[str, ...]  # keys of WHY

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def out(self) -> DuplicateCandidateOut:
        return DuplicateCandidateOut(
            id=self.id,
            medical_record_number=self.medical_record_number,
            name=self.name,
            date_of_birth=self.date_of_birth,
            why="; ".join(WHY[w] for w in self.why),
        )


class ProbableDuplicate(Conflict):
    """The person may already be registered (409): the candidates, for the user to
    look at and, if they are other people, to say so (``not_a_duplicate_of``)."""

    def __init__(self, candidates: Sequence[DuplicateCandidate]) -> None:
        super().__init__(
            "this person may already be registered: check the patients listed and, if "
            "none of them is this person, confirm that this is a different person"
        )
        self.candidates = list(candidates)

    def body(self) -> DuplicateConflict:
        return DuplicateConflict(detail=self.message, candidates=[c.out() for c in self.candidates])


@functools.cache
def _candidates_statement(exclude: bool) -> Any:
    """The duplicate check's one statement (built once): the rows that share the birth
    date, the email address or a form of the phone number, through their indexes."""
    c = _TABLE.c
    query = select(
        c.id, c.medical_record_number, c.first_name, c.last_name, c.date_of_birth,
        c.email, c.phone, c.country, c.name_key,
    ).where(
        or_(
            c.date_of_birth == bindparam("date_of_birth"),
            func.lower(c.email) == bindparam("email"),
            c.phone.in_(bindparam("phones", expanding=True)),
        )
    )  # fmt: skip
    if exclude:
        query = query.where(c.id != bindparam("exclude_id"))
    return query.order_by(c.id).limit(500)


def duplicate_candidates(
    session: Session | Connection,
    *,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date | None,
    email: str | None = None,
    phone: str | None = None,
    country: str | None = None,
    exclude_id: int | None = None,
) -> list[DuplicateCandidate]:
    """Registered patients who may be this person: the same date of birth and a close
    name (across accents and Cyrillic/Latin spellings, see ``matching``), or the same
    email address or phone number (compared in E.164 form). One query on the indexes
    of birth date, email and phone: the rows read are the few that share one of them,
    never the registry."""
    wanted_email = matching.email_key(email)
    forms = matching.phone_forms(phone, country)
    if date_of_birth is None and not wanted_email and not forms:
        return []
    # A criterion not given is bound to NULL (or an empty list), which no row equals.
    rows = _connection(session).execute(
        _candidates_statement(exclude_id is not None),
        {
            "date_of_birth": date_of_birth,
            "email": wanted_email,
            "phones": sorted(forms),
            "exclude_id": exclude_id,
        },
    )
    wanted_phone = matching.e164(phone, country)
    wanted_name = matching.skeleton(f"{first_name} {last_name}").split()
    found = []
    for row in rows:
        why = []
        if row.date_of_birth == date_of_birth:
            key = row.name_key
            if key is None:  # a row written around the service (see Patient.name_key)
                key = matching.name_key(row.first_name, row.last_name)
            if matching.words_similarity(wanted_name, key.split()) >= (
                matching.NAME_MATCH_THRESHOLD
            ):
                why.append("name_and_birth_date")
        if wanted_email and matching.email_key(row.email) == wanted_email:
            why.append("email")
        if wanted_phone and matching.e164(row.phone, row.country) == wanted_phone:
            why.append("phone")
        if why:
            found.append(
                DuplicateCandidate(
                    row.id, row.medical_record_number, row.first_name, row.last_name,
                    row.date_of_birth, tuple(why),
                )
            )  # fmt: skip
    return found[:MAX_CANDIDATES]


def find_duplicates(
    session: Session | Connection, actor: Actor, **person: Any
) -> list[DuplicateCandidate]:
    """``duplicate_candidates`` for a user who registers patients."""
    require_role(actor, WRITE_ROLES)
    return duplicate_candidates(session, **person)


def check_duplicates(
    session: Session, data: PatientIn, not_a_duplicate_of: Collection[int]
) -> list[DuplicateCandidate]:
    """The probable duplicates of a patient about to be registered, all of which the
    user has stated to be other people; ``ProbableDuplicate`` when any is not covered
    by the statement (a candidate registered since the user looked, say)."""
    candidates = duplicate_candidates(
        session,
        first_name=data.first_name,
        last_name=data.last_name,
        date_of_birth=data.date_of_birth,
        email=data.email,
        phone=data.phone,
        country=data.country,
    )
    stated = set(not_a_duplicate_of)
    if any(c.id not in stated for c in candidates):
        raise ProbableDuplicate(candidates)
    return candidates


def record_distinct(
    session: Session,
    actor: Actor,
    patient: Patient,
    candidates: Sequence[DuplicateCandidate],
) -> None:
    """Audit the user's statement that the new patient is none of the candidates."""
    if not candidates:
        return
    audit.record(
        session,
        actor,
        entity_type="patient",
        entity_id=patient.id,
        action="not_a_duplicate",
        after={
            "not_a_duplicate_of": [
                {"id": c.id, "medical_record_number": c.medical_record_number, "why": list(c.why)}
                for c in candidates
            ]
        },
        reason="the user confirmed that this is a different person from the patients "
        "shown as probable duplicates",
    )


def update_patient(
    session: Session,
    actor: Actor,
    patient_id: int,
    patch: PatientPatch,
    expected_version: int,
    *,
    reason: str | None = None,
) -> PatientOut:
    require_role(actor, WRITE_ROLES)
    patient = get_for_update(session, actor, patient_id)
    records.check_version(patient.version, expected_version)
    before = snapshot(patient)
    changes = patch.model_dump(exclude_unset=True)
    for field, value in changes.items():
        setattr(patient, field, value)
    after = snapshot(patient)
    old, new = audit.diff(before, after)
    if not new:  # nothing changed: no new version, no audit record
        return PatientOut.model_validate(patient)
    patient.updated_at = utcnow()
    patient.search_key = search_key(
        patient.first_name, patient.last_name, patient.medical_record_number
    )
    patient.name_key = matching.name_key(patient.first_name, patient.last_name)
    records.flush(
        session,
        "the record was changed by someone else at the same moment; reload it and "
        "apply your change again",
    )
    audit.record(
        session,
        actor,
        entity_type="patient",
        entity_id=patient.id,
        action="update",
        row=patient,
        before=old,
        after=new,
        reason=reason,
    )
    session.commit()
    return PatientOut.model_validate(patient)


# The whole registry at once (exports) is for admins and the operator's command line.
REGISTRY_ROLES = frozenset({Role.ADMIN})


def patient_count(session: Session, actor: Actor) -> int:
    require_role(actor, REGISTRY_ROLES)
    return int(session.scalar(select(func.count()).select_from(Patient)) or 0)


def patient_ids(session: Session, actor: Actor, *, after: int = 0, limit: int = 100) -> list[int]:
    """The registry's patient ids in id order after ``after`` (keyset paging for exports:
    each page costs the same however far into the registry it is)."""
    require_role(actor, REGISTRY_ROLES)
    return list(
        session.scalars(
            select(Patient.id).where(Patient.id > after).order_by(Patient.id).limit(limit)
        )
    )


def registry_rows(session: Session, actor: Actor, patient_ids: Sequence[int]) -> list[Patient]:
    """The rows of a page of the registry's patients (ids from ``patient_ids``), in id
    order: an export reads a page's records at once and holds its rows meanwhile."""
    require_role(actor, REGISTRY_ROLES)
    return list(
        session.scalars(select(Patient).where(Patient.id.in_(patient_ids)).order_by(Patient.id))
    )
