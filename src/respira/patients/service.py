"""Use cases of the patient registry: register, read, search and edit patients.

Edits use optimistic locking: the caller says which version it read, and a stale
version is answered with ``Conflict`` (HTTP 409) without changing anything. A patient
account sees its own record and nothing else; any other id is "not found", so ids leak
nothing.
"""

from __future__ import annotations

import datetime as dt
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
        raise NotFound("no such patient")
    return patient


def get_for_update(session: Session, actor: Actor, patient_id: int) -> Patient:
    """The patient row for a use case that writes to the patient's record, after the
    same visibility rule, locked (``FOR UPDATE``) to the end of the transaction: the
    use cases of one patient that depend on what the record holds (a screening that
    supersedes the last one, an edit) run one after the other."""
    records.require_patient_visible(actor, patient_id)
    patient = records.lock_row(session, Patient, patient_id)
    if patient is None:
        raise NotFound("no such patient")
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
        raise NotFound("no such patient")
    return PatientOut.model_validate(row._mapping)


_PATIENT_COLUMNS = [c for c in Patient.__table__.c if c.key not in ("search_key", "name_key")]

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


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _term_conditions(dialect: str, terms: list[str]) -> list[Any]:
    """Conditions that each term occurs in the patient's folded name and record number
    (``search_key``) or, spelt as a skeleton, in the transliterated name (``name_key``):
    "mueller" finds Müller, "Иванова" finds Ivanova. Served by the trigram index."""
    conditions: list[Any] = []
    indexed: list[str] = []
    for term in terms:
        spelt = matching.skeleton(term).replace(" ", "")
        skel = spelt if len(spelt) >= TRIGRAM else None
        if len(term) < TRIGRAM:
            conditions.append(Patient.search_key.like(f"%{_escape_like(term)}%", escape="\\"))
        elif dialect == "sqlite":
            alternatives = [f"search_key : {_fts_phrase(term)}"]
            if skel:
                alternatives.append(f"name_key : {_fts_phrase(skel)}")
            indexed.append("(" + " OR ".join(alternatives) + ")")
        else:
            like = Patient.search_key.like(f"%{_escape_like(term)}%", escape="\\")
            conditions.append(
                or_(like, Patient.name_key.like(f"%{_escape_like(skel)}%", escape="\\"))
                if skel
                else like
            )
    if indexed:
        match = select(_FTS.c.rowid).where(_FTS.c[SEARCH_TABLE].op("MATCH")(" AND ".join(indexed)))
        conditions.append(Patient.id.in_(match))
    return conditions


def _search_terms(q: str | None) -> list[str]:
    return fold(q).split()[:MAX_TERMS] if q and q.strip() else []


def search_patients(
    session: Session, actor: Actor, q: str | None, page: int, page_size: int
) -> PatientPage:
    """Patients whose name or record number contains every word of ``q`` (accents,
    case and Cyrillic/Latin spelling ignored), ordered by name, one page at a time,
    found through the search index; the total comes from the same query (a window
    count). When no patient contains the words, the patients with the most similar
    names (``fuzzy``: a misspelt name), best first, on one page."""
    require_role(actor, READ_ROLES)
    page = max(page, 1)
    page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
    visible = [Patient.id == actor.patient_id] if actor.role == Role.PATIENT else []
    terms = _search_terms(q)
    conditions = visible + _term_conditions(_dialect(session), terms)
    # The matches first, through the search index (materialised: else the planner may
    # walk the name index in order and test every row of the registry against the
    # words, to stop after a page that the count never lets it stop at); then the
    # page's ids in order with the total (a window count), the sort carrying the id
    # and the two names, not whole rows; then the page's rows by id.
    matched = (
        select(Patient.id, Patient.last_name, Patient.first_name)
        .where(*conditions)
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )
    ranked = session.execute(
        select(matched.c.id, func.count().over().label("total"))
        .order_by(matched.c.last_name, matched.c.first_name, matched.c.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    if ranked:
        total = ranked[0].total
        order = {r.id: i for i, r in enumerate(ranked)}
        found = session.execute(select(*_PATIENT_COLUMNS).where(Patient.id.in_(order))).all()
        rows = sorted(found, key=lambda r: order[r.id])
    else:  # past the last page (or nothing matches): count on its own
        rows = []
        total = session.scalar(select(func.count(Patient.id)).where(*conditions)) or 0
    if total == 0 and terms and page == 1:
        similar = _similar_names(session, visible, " ".join(terms), page_size)
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


def _similar_names(session: Session, visible: list[Any], text: str, limit: int) -> list[PatientOut]:
    """Patients whose name is like ``text`` though it does not contain it: the index
    gives the rows that share the most trigrams with it, ranked here by similarity."""
    # Words with a digit are parts of record numbers, which are not misspelt names.
    words = [w for w in matching.skeleton(text).split() if not any(c.isdigit() for c in w)]
    skel = " ".join(words)
    grams = sorted({w[i : i + TRIGRAM] for w in words for i in range(len(w) - TRIGRAM + 1)})
    if not grams:
        return []
    query = select(*_PATIENT_COLUMNS).where(*visible).limit(FUZZY_CANDIDATES)
    if _dialect(session) == "sqlite":
        any_gram = " OR ".join(_fts_phrase(g) for g in grams)
        ranked = (
            select(_FTS.c.rowid)
            .where(_FTS.c[SEARCH_TABLE].op("MATCH")(f"name_key : ({any_gram})"))
            .order_by(_FTS.c.rank)
            .limit(FUZZY_CANDIDATES)
        )
        query = query.where(Patient.id.in_(ranked))
    else:
        # pg_trgm's word similarity of a misspelt word of five or six letters with the
        # right one is 0.4-0.6 (its default threshold, 0.6, misses half of them).
        session.execute(sa.text("SET LOCAL pg_trgm.word_similarity_threshold = 0.4"))
        query = query.where(sa.literal(skel).op("<%")(Patient.name_key)).order_by(
            func.word_similarity(skel, Patient.name_key).desc()
        )
    scored = []
    for row in session.execute(query):
        score = matching.word_coverage(words, f"{row.first_name} {row.last_name}")
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
    alternatives: list[Any] = []
    if date_of_birth is not None:
        alternatives.append(Patient.date_of_birth == date_of_birth)
    wanted_email = matching.email_key(email)
    if wanted_email:
        alternatives.append(func.lower(Patient.email) == wanted_email)
    forms = matching.phone_forms(phone, country)
    if forms:
        alternatives.append(Patient.phone.in_(sorted(forms)))
    if not alternatives:
        return []
    query = select(
        Patient.id,
        Patient.medical_record_number,
        Patient.first_name,
        Patient.last_name,
        Patient.date_of_birth,
        Patient.email,
        Patient.phone,
        Patient.country,
    ).where(or_(*alternatives))
    if exclude_id is not None:
        query = query.where(Patient.id != exclude_id)
    wanted_phone = matching.e164(phone, country)
    name = f"{first_name} {last_name}"
    found = []
    for row in session.execute(query.order_by(Patient.id).limit(500)):
        why = []
        if row.date_of_birth == date_of_birth and matching.names_match(
            name, f"{row.first_name} {row.last_name}"
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


def find_duplicates(session: Session, actor: Actor, **person: Any) -> list[DuplicateCandidate]:
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
