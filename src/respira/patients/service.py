"""Use cases of the patient registry: register, read, search and edit patients.

Edits use optimistic locking: the caller says which version it read, and a stale
version is answered with ``Conflict`` (HTTP 409) without changing anything. A patient
account sees its own record and nothing else; any other id is "not found", so ids leak
nothing.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session

from respira.kit import audit, records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.db import utcnow
from respira.kit.errors import NotFound
from respira.kit.validation import fold

# Patient is the row type other steps receive from get_visible / get_for_update / find.
from respira.patients.models import Patient as Patient
from respira.patients.schemas import PatientIn, PatientOut, PatientPage, PatientPatch

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


def create_patient(session: Session, actor: Actor, data: PatientIn) -> PatientOut:
    patient = add_patient(session, actor, data)
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
        **data.model_dump(),
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


_PATIENT_COLUMNS = [c for c in Patient.__table__.c if c.key != "search_key"]


def search_patients(
    session: Session, actor: Actor, q: str | None, page: int, page_size: int
) -> PatientPage:
    """Patients whose name or record number contains every word of ``q`` (accents and
    case ignored), ordered by name, one page at a time. One scan of one folded column
    per word; the total comes from the same query (a window count)."""
    require_role(actor, READ_ROLES)
    page = max(page, 1)
    page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
    conditions = []
    if actor.role == Role.PATIENT:
        conditions.append(Patient.id == actor.patient_id)
    if q and q.strip():
        for term in fold(q).split()[:4]:
            conditions.append(Patient.search_key.like(f"%{_escape_like(term)}%", escape="\\"))
    rows = session.execute(
        select(*_PATIENT_COLUMNS, func.count().over().label("total"))
        .where(*conditions)
        .order_by(Patient.last_name, Patient.first_name, Patient.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    if rows:
        total = rows[0].total
    else:  # past the last page (or nothing matches): count on its own
        total = session.scalar(select(func.count(Patient.id)).where(*conditions)) or 0
    return PatientPage(
        items=[PatientOut.model_validate(r._mapping) for r in rows],
        total=total,
        page=page,
        page_size=page_size,
        pages=max(1, math.ceil(total / page_size)),
    )


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
