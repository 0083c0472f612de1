"""The patient registry's part of the coordinator's and the admin's worklist (issue 14):
possible duplicate patients, pairs of registered patients that may be one person.

A pair is a possible duplicate by the rules of the registration's own check
(``service.duplicate_candidates``, ``matching``): the same date of birth and a close name
(across accents, German umlaut spellings and Cyrillic/Latin transliteration), or the
same email address, or the same phone number. A pair someone has stated to be two
people is left out: the statement is the audit trail's ``not_a_duplicate`` record of
either patient (written when a registration is confirmed against its candidates, or by
``dismiss`` from the duplicates page), so no table of its own is needed.

At 100,000 patients the registry is never compared with itself: its matching columns
are read once and grouped by birth date, email and phone, so that each patient meets only
the few who share one of them; birth-date pairs are scored (Jaro-Winkler, in Python) only
when the names' spelling skeletons (``patients.name_key``) agree in their first or last
four letters (every variant the skeleton does not already make one keeps one end of the
name: a typo, an "Ie"/"E" at the start). A process keeps the pairs it found and brings
them up to date from the audit trail: every change to a patient is audited, so the
patients audited since the last look are the only ones to compare again, on the
registry's indexes. The first look of a process reads the whole registry (see
bench/README.md for its time); the next ones cost a few indexed queries.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import weakref
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from respira.kit.actors import Actor, Role, require_role
from respira.kit.audit import AuditRecord
from respira.kit.errors import InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.step import WorkItem, WorkRow
from respira.patients import matching, service
from respira.patients.models import Patient

ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
CHECKING = N_("Possible duplicate patients: the registry is being compared, ready in a minute")
# At most this many pairs are listed under the item (the count says how many there are).
ROWS = 25
# A birth date, email or phone shared by more patients than this is not a sign of
# duplicates (a placeholder email typed for many, a clinic's own phone): not compared.
MAX_GROUP = 200
_ENDS = 4


@dataclass(frozen=True)
class DuplicatePair:
    """Two registered patients who may be one person (``first.id < second.id``)."""

    first: service.DuplicateCandidate
    second: service.DuplicateCandidate
    why: tuple[str, ...]

    @property
    def href(self) -> str:
        return f"/patients/duplicates#pair-{self.first.id}-{self.second.id}"


def _ends_agree(a: str | None, b: str | None) -> bool:
    """Whether two names' spelling skeletons agree in their first or last letters: the
    cheap test before Jaro-Winkler (see the module's description)."""
    if not a or not b:
        return False
    return a[:_ENDS] == b[:_ENDS] or a[-_ENDS:] == b[-_ENDS:]


@dataclass(frozen=True, slots=True)
class _Person:
    """A patient's matching columns, with the email and phone in the forms compared."""

    row: Any
    key: str  # the name's spelling skeleton (``name_key``)
    email: str | None
    phone: str | None

    @classmethod
    def of(cls, row: Any) -> _Person:
        key = row.name_key or matching.name_key(row.first_name, row.last_name)
        phone = matching.e164(row.phone, row.country) if row.phone else None
        return cls(row, key, matching.email_key(row.email), phone)


def _reasons(a: _Person, b: _Person) -> tuple[str, ...]:
    """Why two registered patients may be one person (keys of ``service.WHY``)."""
    p, q = a.row, b.row
    why = []
    if (
        p.date_of_birth == q.date_of_birth
        and _ends_agree(a.key, b.key)
        and matching.words_similarity(a.key.split(), b.key.split()) >= matching.NAME_MATCH_THRESHOLD
    ):
        why.append("name_and_birth_date")
    if a.email and a.email == b.email:
        why.append("email")
    if a.phone and a.phone == b.phone:
        why.append("phone")
    return tuple(why)


_COLUMNS = (
    Patient.id,
    Patient.medical_record_number,
    Patient.first_name,
    Patient.last_name,
    Patient.date_of_birth,
    Patient.email,
    Patient.phone,
    Patient.country,
    Patient.name_key,
)


# What a phone number is grouped by: its last eight digits (a number stored in
# international and in national form ends the same); ``e164`` then compares the pair.
_PHONE_MARKS = (" ", "-", "(", ")", ".", "/", "+")
_PHONE_TAIL = 8


def _phone_tail_sql(column: Any) -> Any:
    for mark in _PHONE_MARKS:
        column = func.replace(column, mark, "")
    return func.substr(column, func.length(column) - (_PHONE_TAIL - 1))


def _all_pairs(session: Session) -> dict[tuple[int, int], tuple[str, ...]]:
    """Every possible duplicate pair of the registry. One narrow read of the registry's
    keys (id, birth date with a name's first and last letters, email, phone), grouped
    here by each key; only the patients who share a key are read in full and compared,
    each with the few who share it (never with the registry)."""
    key = func.coalesce(Patient.name_key, "")
    keys = select(
        Patient.id,
        Patient.date_of_birth,
        func.substr(key, 1, _ENDS),
        func.substr(key, func.length(key) - (_ENDS - 1)),
        func.lower(Patient.email),
        _phone_tail_sql(Patient.phone),
    )
    groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for pid, born, first, last, email, phone in session.execute(keys):
        groups[(born, first)].append(pid)
        groups[(born, None, last)].append(pid)  # (None: not a first-letters key)
        if email:
            groups[(email,)].append(pid)
        if phone:
            groups[(None, phone)].append(pid)
    shared = [ids for ids in groups.values() if 1 < len(ids) <= MAX_GROUP]
    wanted = sorted({i for ids in shared for i in ids})
    people: dict[int, _Person] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for row in session.execute(select(*_COLUMNS).where(Patient.id.in_(chunk))):
            people[row.id] = _Person.of(row)
    pairs: dict[tuple[int, int], tuple[str, ...]] = {}
    for ids in shared:
        ordered = sorted(ids)
        for n, x in enumerate(ordered):
            for y in ordered[n + 1 :]:
                if (x, y) not in pairs:
                    why = _reasons(people[x], people[y])
                    if why:
                        pairs[(x, y)] = why
    return pairs


def _pairs_of(
    session: Session, patient_ids: Collection[int]
) -> dict[tuple[int, int], tuple[str, ...]]:
    """The possible duplicate pairs of some patients (those changed since the worklist
    was last made): for each, the patients sharing its birth date, email or phone, on
    the registry's indexes (as the registration's own check reads them)."""
    pairs: dict[tuple[int, int], tuple[str, ...]] = {}
    for row in session.execute(select(*_COLUMNS).where(Patient.id.in_(sorted(patient_ids)))).all():
        p = _Person.of(row)
        alternatives: list[Any] = [Patient.date_of_birth == row.date_of_birth]
        if p.email:
            alternatives.append(func.lower(Patient.email) == p.email)
        forms = matching.phone_forms(row.phone, row.country)
        if forms:
            alternatives.append(Patient.phone.in_(sorted(forms)))
        query = select(*_COLUMNS).where(or_(*alternatives), Patient.id != row.id)
        for other in session.execute(query.limit(MAX_GROUP)):
            why = _reasons(p, _Person.of(other))
            if why:
                x, y = row.id, other.id
                pairs[(x, y) if x < y else (y, x)] = why
    return pairs


@dataclass
class _Known:
    """What one process knows of one database's pairs, and up to which audit record."""

    head: tuple[int, str] | None = None
    pairs: dict[tuple[int, int], tuple[str, ...]] = field(default_factory=dict)


_known: weakref.WeakKeyDictionary[Engine, _Known] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
# A registry larger than this is read for the first time in a background thread, so that
# the first home page of a process after a start does not wait for it (about 10 s at
# 100,000 patients on the 2-core reference machine, bench/README.md); meanwhile the
# worklist says the registry is being compared. Smaller ones are read at once.
BACKGROUND_FROM = 5_000
_building: set[int] = set()  # ids of the engines whose first read runs in a thread
_building_lock = threading.Lock()


def _known_yet(session: Session) -> bool:
    """Whether this process has read the registry's pairs already (a later look only
    brings them up to date), or may read them now without keeping anyone waiting long.
    Otherwise starts the first read in a background thread, once, and answers False."""
    engine = session.get_bind()
    known = _known.get(engine)  # type: ignore[arg-type]
    if known is not None and known.head is not None:
        return True
    with _building_lock:
        if id(engine) in _building:
            return False
        large = (session.scalar(select(func.count()).select_from(Patient)) or 0) > BACKGROUND_FROM
        if not large:
            return True
        _building.add(id(engine))

    def first_read() -> None:
        try:
            with Session(engine) as own:
                _current_pairs(own)
        finally:
            with _building_lock:
                _building.discard(id(engine))

    threading.Thread(target=first_read, name="duplicate-pairs", daemon=True).start()
    return False


def _head(session: Session) -> tuple[int, str] | None:
    row = session.execute(
        select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).first()
    return (int(row[0]), str(row[1])) if row else None


def _current_pairs(session: Session) -> dict[tuple[int, int], tuple[str, ...]]:
    """The registry's pairs, brought up to date from the audit trail: every change to a
    patient (registration, edit, a "not a duplicate" statement) is audited, so the
    patients audited since the last look are the only ones whose pairs can have changed.
    The first look of a process (or a trail that is not the one seen before) reads the
    whole registry once."""
    engine = session.get_bind()
    with _lock:
        known = _known.setdefault(engine, _Known())  # type: ignore[arg-type]
        head = _head(session)
        if head == known.head:
            return known.pairs
        seen = known.head
        still_there = (
            seen is not None
            and session.scalar(select(AuditRecord.hash).where(AuditRecord.seq == seen[0]))
            == seen[1]
        )
        if seen is None or not still_there:
            known.pairs = _all_pairs(session)
        else:
            changed = {
                int(i)
                for i in session.scalars(
                    select(AuditRecord.entity_id).where(
                        AuditRecord.seq > seen[0], AuditRecord.entity_type == "patient"
                    )
                )
                if i.isdigit()
            }
            if changed:
                pairs = {k: v for k, v in known.pairs.items() if not changed & set(k)}
                pairs.update(_pairs_of(session, changed))
                known.pairs = pairs
        known.head = head
        return known.pairs


def dismissed_pairs(session: Session, patient_ids: Iterable[int]) -> set[frozenset[int]]:
    """The pairs among ``patient_ids`` someone stated to be two people (the audit
    trail's ``not_a_duplicate`` records of these patients)."""
    ids = sorted({str(i) for i in patient_ids})
    out: set[frozenset[int]] = set()
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(AuditRecord.entity_id, AuditRecord.after).where(
                AuditRecord.entity_type == "patient",
                AuditRecord.entity_id.in_(ids[start : start + 500]),
                AuditRecord.action == "not_a_duplicate",
            )
        )
        for entity_id, after in rows:
            try:
                stated = json.loads(after or "{}").get("not_a_duplicate_of", [])
            except (ValueError, AttributeError):
                continue
            for other in stated:
                if isinstance(other, dict) and isinstance(other.get("id"), int):
                    out.add(frozenset((int(entity_id), other["id"])))
    return out


def duplicate_pairs(
    session: Session, actor: Actor, *, wait: bool = True
) -> list[DuplicatePair] | None:
    """Every pair of registered patients that may be one person and that nobody has
    stated to be two people, by the first patient's id. With ``wait=False``, None while
    the process's first read of a large registry runs in the background."""
    require_role(actor, ROLES)
    if not wait and not _known_yet(session):
        return None
    found = _current_pairs(session)
    if not found:
        return []
    ids = {i for pair in found for i in pair}
    dismissed = dismissed_pairs(session, ids)
    keys = sorted(k for k in found if frozenset(k) not in dismissed)
    wanted = sorted({i for k in keys for i in k})
    rows: dict[int, Any] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows.update(
            (r.id, r) for r in session.execute(select(*_COLUMNS).where(Patient.id.in_(chunk)))
        )
    return [
        DuplicatePair(
            _candidate(rows[x], found[(x, y)]), _candidate(rows[y], found[(x, y)]), found[(x, y)]
        )
        for x, y in keys
        if x in rows and y in rows
    ]


def _candidate(row: Any, why: Sequence[str]) -> service.DuplicateCandidate:
    return service.DuplicateCandidate(
        row.id,
        row.medical_record_number,
        row.first_name,
        row.last_name,
        row.date_of_birth,
        tuple(why),
    )


def dismiss(session: Session, actor: Actor, patient_id: int, other_id: int) -> None:
    """State that two patients are two people: audited on the first as
    ``not_a_duplicate`` (as a registration confirmed against its candidates is), after
    which the pair leaves the worklist. Commits."""
    require_role(actor, ROLES)
    if patient_id == other_id:
        raise InvalidInput({"other_id": "choose two different patients"})
    first, second = sorted((patient_id, other_id))
    patient = session.get(Patient, first)
    other = session.get(Patient, second)
    if patient is None or other is None:
        raise NotFound("no such patient")
    pair = next(
        (
            p
            for p in duplicate_pairs(session, actor) or ()
            if (p.first.id, p.second.id) == (first, second)
        ),
        None,
    )
    why = pair.why if pair else ()
    service.record_distinct(session, actor, patient, [_candidate(other, why)])
    session.commit()


def items(session: Session, actor: Actor, now: dt.datetime | None = None) -> list[WorkItem]:
    """Coordinators and admins: the possible duplicate patients."""
    if actor.role not in ROLES:
        return []
    pairs = duplicate_pairs(session, actor, wait=False)
    if pairs is None:
        return [WorkItem(label=CHECKING, count=0, href="/patients/duplicates")]
    return [
        WorkItem(
            label=N_("Possible duplicate patients"),
            count=len(pairs),
            href="/patients/duplicates",
            urgency="attention" if pairs else "normal",
            rows=tuple(
                WorkRow(
                    text=f"{p.first.name} ({p.first.medical_record_number}) · "
                    f"{p.second.name} ({p.second.medical_record_number})",
                    href=p.href,
                    note=service.WHY[p.why[0]],
                    urgency="attention",
                )
                for p in pairs[:ROWS]
            ),
        )
    ]
