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
are read once and grouped by birth date, email and phone (E.164), so that each patient
meets only the few who share one of them. The names of those born the same day are
compared by the registration's own rule, in either order (the check of either patient
registered after the other), after a cheap upper bound of the score that is exact
(``_Names``): most pairs fail the bound, none that could match is left out. So the
worklist holds every pair the registration's check would report, not only those whose
names agree at one end. A process keeps the pairs it found and brings them up to date
from the audit trail: every change to a patient is audited, so the patients audited
since the last look are the only ones to compare again, on the registry's indexes. The
first look of a process reads the whole registry (see bench/README.md for its time);
the next ones cost a few indexed queries.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import weakref
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select
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


@dataclass(frozen=True)
class DuplicatePair:
    """Two registered patients who may be one person (``first.id < second.id``)."""

    first: service.DuplicateCandidate
    second: service.DuplicateCandidate
    why: tuple[str, ...]

    @property
    def href(self) -> str:
        return f"/patients/duplicates#pair-{self.first.id}-{self.second.id}"


# A pair whose names' bound (``_Names``) is under this is not scored: the threshold,
# less a margin for the rounding of the bound's own arithmetic.
_FLOOR = matching.NAME_MATCH_THRESHOLD - 1e-9
_PREFIX_SCALE = 0.1  # ``matching.jaro_winkler``'s, which ``words_similarity`` uses
_SLOT = 8  # bits for each letter in a word's letters (``_Names._letters``)
_CEILINGS_KEPT = 100_000  # word pairs whose bound is remembered, at most


class _Names:
    """Names compared with many others (each patient with those born the same day): the
    registration's own rule, ``matching.words_similarity`` at ``NAME_MATCH_THRESHOLD``
    (in either order: the check of either patient registered after the other), asked
    only of the pairs whose names can reach it by a cheap, exact upper bound.

    The bound. The Jaro-Winkler score of two words a and b is, with m the letters
    matched (each a letter of both words) and t >= 0 the transpositions,
    jaro = (m/|a| + m/|b| + (m - t)/m) / 3, plus 0.1 x (1 - jaro) for each letter of
    their common prefix (at most four). So it is at most the score with m = c, the
    letters the two words have in common counted with their repeats (one AND of bit
    masks, ``_letters``), and t = 0, and the exact common prefix: the score grows with
    jaro. A name's similarity is that of the word matched worst, each word of the
    shorter name matched to a different word of the other (with as many words on both
    sides, every word of both names is matched); so two names cannot match when a word
    of the shorter (of either, if they have as many words) is under the threshold
    against every word of the other. Most people born on one day have names that fail
    the bound; only the rest are scored (``tests/patients/test_duplicate_pairs_complete.py``
    checks the bound against the score)."""

    def __init__(self) -> None:
        self._slots: dict[str, int] = {}
        self._words: dict[str, tuple[int, int, int]] = {}
        self._ceilings: dict[tuple[str, str], float] = {}

    def match(self, a: tuple[str, ...], b: tuple[str, ...]) -> bool:
        """Whether two names (the words of their skeletons) match by the registration's
        rule, the check of either against the other."""
        if not a or not b:
            return False
        if len(a) < len(b):
            if not self._covered(a, b):
                return False
        elif len(b) < len(a):
            if not self._covered(b, a):
                return False
        # As many words: each word of either name is matched to one of the other.
        elif not (self._covered(a, b) and self._covered(b, a)):
            return False
        wa, wb = list(a), list(b)
        if matching.words_similarity(wa, wb) >= matching.NAME_MATCH_THRESHOLD:
            return True
        # Of two names with as many words, each is the shorter in its own check.
        return len(a) == len(b) and (
            matching.words_similarity(wb, wa) >= matching.NAME_MATCH_THRESHOLD
        )

    def _covered(self, words: tuple[str, ...], others: tuple[str, ...]) -> bool:
        """Whether every one of ``words`` may reach the threshold with one of ``others``."""
        ceilings = self._ceilings
        for word in words:
            for other in others:
                ceiling = ceilings.get((word, other))
                if ceiling is None:
                    ceiling = self._ceiling(word, other)
                if ceiling >= _FLOOR:
                    break
            else:
                return False
        return True

    def _ceiling(self, a: str, b: str) -> float:
        """The highest ``matching.jaro_winkler(a, b)`` can be (see the class), kept for
        the next pair of the same words."""
        if len(self._ceilings) >= _CEILINGS_KEPT:
            self._ceilings.clear()
        size_a, letters_a, over_a = self._letters(a)
        size_b, letters_b, over_b = self._letters(b)
        common = min((letters_a & letters_b).bit_count() + over_a + over_b, size_a, size_b)
        ceiling = 0.0
        if common:
            jaro = (common / size_a + common / size_b + 1.0) / 3
            prefix = 0
            for x, y in zip(a[:4], b[:4], strict=False):
                if x != y:
                    break
                prefix += 1
            ceiling = jaro + prefix * _PREFIX_SCALE * (1 - jaro)
        self._ceilings[(a, b)] = self._ceilings[(b, a)] = ceiling
        return ceiling

    def _letters(self, word: str) -> tuple[int, int, int]:
        """A word's length, its letters as a bit mask (``_SLOT`` bits for each letter,
        as many set as the letter's repeats: the AND of two masks has as many bits as
        the letters the words have in common) and the repeats beyond ``_SLOT``."""
        found = self._words.get(word)
        if found is None:
            mask = over = 0
            for letter, count in Counter(word).items():
                slot = self._slots.setdefault(letter, len(self._slots))
                mask |= ((1 << min(count, _SLOT)) - 1) << (slot * _SLOT)
                over += max(count - _SLOT, 0)
            found = self._words[word] = (len(word), mask, over)
        return found


@dataclass(slots=True)
class _Person:
    """A patient's matching columns, in the forms compared."""

    id: int
    born: dt.date
    words: tuple[str, ...]  # the name's spelling skeleton (``name_key``)
    email: str | None  # ``matching.email_key``
    phone: str | None  # E.164

    @classmethod
    def of(cls, row: Any) -> _Person:
        key = row.name_key or matching.name_key(row.first_name, row.last_name)
        return cls(
            row.id,
            row.date_of_birth,
            tuple(key.split()),
            matching.email_key(row.email),
            _e164(row.phone, row.country),
        )


def _e164(phone: str | None, country: str | None) -> str | None:
    """``matching.e164``, at once for a number in international form ("+" and digits, as
    the registration keeps a number typed with "+")."""
    if phone and phone[0] == "+" and phone[1:].isascii() and phone[1:].isdigit():
        return phone
    return matching.e164(phone, country)


def _reasons(a: _Person, b: _Person, names: _Names) -> tuple[str, ...]:
    """Why two registered patients may be one person (keys of ``service.WHY``)."""
    why = []
    if a.born == b.born and names.match(a.words, b.words):
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


def _all_pairs(session: Session) -> dict[tuple[int, int], tuple[str, ...]]:
    """Every possible duplicate pair of the registry. One narrow read of its matching
    columns, grouped here by birth date, email and phone (E.164): each patient is
    compared only with those who share one of them (never with the registry), and the
    names of those born the same day are scored only when their bound allows a match
    (``_Names``), which is exact: no pair is lost to the grouping."""
    people: dict[int, _Person] = {}
    unnamed: list[int] = []  # rows written around the service, without a name_key
    groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
    narrow = select(
        Patient.id,
        Patient.date_of_birth,
        Patient.name_key,
        Patient.email,
        Patient.phone,
        Patient.country,
    )
    for pid, born, key, email, phone, country in session.connection().execute(narrow).all():
        if key is None:
            unnamed.append(pid)
        else:
            words = tuple(key.split())
            people[pid] = _Person(
                pid, born, words, matching.email_key(email), _e164(phone, country)
            )
    for start in range(0, len(unnamed), 500):
        chunk = unnamed[start : start + 500]
        for row in session.execute(select(*_COLUMNS).where(Patient.id.in_(chunk))):
            people[row.id] = _Person.of(row)
    for p in people.values():
        groups[("born", p.born)].append(p.id)
        if p.email:
            groups[("email", p.email)].append(p.id)
        if p.phone:
            groups[("phone", p.phone)].append(p.id)
    names = _Names()
    pairs: dict[tuple[int, int], tuple[str, ...]] = {}
    for ids in groups.values():
        if not 1 < len(ids) <= MAX_GROUP:
            continue
        group = [people[i] for i in sorted(ids)]
        for n, a in enumerate(group):
            for b in group[n + 1 :]:
                if (a.id, b.id) not in pairs:
                    why = _reasons(a, b, names)
                    if why:
                        pairs[(a.id, b.id)] = why
    return pairs


def _stored_forms(phone: str) -> list[str]:
    """Every way a number whose E.164 form is ``phone`` may be stored, for every country
    whose calling code it begins with (``matching.stored_forms``)."""
    return sorted(matching.stored_forms(phone))


def _pairs_of(
    session: Session, patient_ids: Collection[int]
) -> dict[tuple[int, int], tuple[str, ...]]:
    """The possible duplicate pairs of some patients (those changed since the worklist
    was last made): for each, the patients sharing its birth date, email or phone, on
    the registry's indexes. A group larger than MAX_GROUP is not compared, as in the
    first look (``_all_pairs``)."""
    names = _Names()
    pairs: dict[tuple[int, int], tuple[str, ...]] = {}
    for row in session.execute(select(*_COLUMNS).where(Patient.id.in_(sorted(patient_ids)))).all():
        p = _Person.of(row)
        shared: list[Any] = [Patient.date_of_birth == p.born]
        if p.email:
            shared.append(func.lower(Patient.email) == p.email)
        if p.phone:
            shared.append(Patient.phone.in_(_stored_forms(p.phone)))
        others: dict[int, _Person] = {}
        for criterion in shared:
            query = select(*_COLUMNS).where(criterion, Patient.id != p.id).limit(MAX_GROUP)
            found = [_Person.of(other) for other in session.execute(query)]
            if len(found) < MAX_GROUP:  # with this patient, a group of MAX_GROUP at most
                others.update((o.id, o) for o in found)
        for other in others.values():
            why = _reasons(p, other, names)
            if why:
                x, y = sorted((p.id, other.id))
                pairs[(x, y)] = why
    return pairs


@dataclass
class _Known:
    """What one process knows of one database's pairs, and up to which audit record."""

    head: tuple[int, str] | None = None
    pairs: dict[tuple[int, int], tuple[str, ...]] = field(default_factory=dict)


_known: weakref.WeakKeyDictionary[Engine, _Known] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
# A registry larger than this is read for the first time in a background thread, so that
# the first home page of a process after a start does not wait for it (1.5-2 s of CPU
# at 100,000 patients on the 2-core reference machine, seconds more when it is busy,
# bench/README.md); meanwhile the worklist says the registry is being compared.
# Smaller ones are read at once.
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
