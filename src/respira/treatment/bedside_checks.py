"""The bedside check of a wristband and a unit: go or no-go with every reason (the pure
rules are ``respira.treatment.bedside``), stored and audited either way, and written
into the unit's ledger (``respira.products.service.record_event``) when the DIN names a
unit. An administration relies on a go check of the same unit and patient within
``CHECK_VALID_FOR`` (``recent_go_check``). Sources: FACT-JACIE bedside verification and
traceability, ISBT 128 DIN (clinical.md §5.5)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit import records
from respira.kit.actors import Actor, require_role
from respira.kit.db import utcnow
from respira.patients import service as patients_service
from respira.products import service as products_service
from respira.treatment import bedside
from respira.treatment.models import BedsideCheck
from respira.treatment.roles import CHAIN_ROLES, WARD_ROLES
from respira.treatment.schemas import CHECK_VALID_FOR, BedsideCheckIn, BedsideCheckOut
from respira.treatment.shared import course_or_none, is_approved, parse_din

# How the unit's ledger entry of a check begins (the ledger keeps English text; a page
# writes the entry in its reader's language from the check it names: ``checks_named``).
LEDGER_PREFIX = "bedside check %s: "
_LEDGER_ENTRY = re.compile(r"^bedside check (\d+): ")


def checks_named(
    session: Session, actor: Actor, details: Iterable[str]
) -> dict[int, BedsideCheckOut]:
    """The bedside checks that the ledger entries ``details`` name, by id (an entry
    written otherwise names none)."""
    require_role(actor, CHAIN_ROLES)
    ids = {int(m.group(1)) for d in details if (m := _LEDGER_ENTRY.match(d or ""))}
    if not ids:
        return {}
    rows = session.scalars(select(BedsideCheck).where(BedsideCheck.id.in_(ids)))
    return {row.id: BedsideCheckOut.model_validate(row) for row in rows}


def check_named(detail: str, checks: dict[int, BedsideCheckOut]) -> BedsideCheckOut | None:
    """The check of ``checks`` that a ledger entry names, or None."""
    m = _LEDGER_ENTRY.match(detail or "")
    return checks.get(int(m.group(1))) if m else None


def _patient_by_code(session: Session, actor: Actor, code: str) -> Any | None:
    """The patient whose record number (the wristband code) is ``code``, or None."""
    wanted = code.strip().upper()
    if not wanted or len(wanted) > 32:
        return None
    page = patients_service.search_patients(session, actor, wanted, 1, 10)
    return next(
        (p for p in page.items if p.medical_record_number.upper() == wanted),
        None,
    )


def _verdict(
    session: Session, actor: Actor, patient_id: int | None, code: str, din: str, facts: Any
) -> bedside.Verdict:
    course_patient_id = None
    if facts is not None and facts.course_id is not None:
        course = course_or_none(session, actor, facts.course_id)
        if course is not None and is_approved(course):
            course_patient_id = course.patient_id
    return bedside.verdict(
        patient_id=patient_id,
        patient_code=code,
        unit=facts,
        din=din,
        course_patient_id=course_patient_id,
        now=utcnow(),
    )


def check_at_bedside(session: Session, actor: Actor, data: BedsideCheckIn) -> BedsideCheckOut:
    """Go or no-go for the unit and the patient of the wristband, stored and audited
    either way, and written into the unit's ledger when the DIN names a unit."""
    require_role(actor, WARD_ROLES)
    din = parse_din(data.din)
    patient = _patient_by_code(session, actor, data.patient_code)
    patient_id = patient.id if patient is not None else None
    facts = products_service.bedside_facts(session, din)
    result = _verdict(session, actor, patient_id, data.patient_code, din, facts)
    row = BedsideCheck(
        checked_at=utcnow(),
        checked_by_id=actor.user_id,
        checked_by_name=actor.name,
        patient_code=data.patient_code[:64],
        patient_id=patient_id,
        din=din,
        din_entered=data.din[:32],
        unit_id=facts.unit_id if facts is not None else None,
        course_id=facts.course_id if facts is not None else None,
        ok=result.ok,
        reason_codes=list(result.codes),
        reasons=list(result.reasons),
    )
    session.add(row)
    session.flush()  # the ledger's entry names the check
    if facts is not None:
        detail = (
            f"{LEDGER_PREFIX % row.id}GO for patient {data.patient_code}"
            if result.ok
            else f"{LEDGER_PREFIX % row.id}NO-GO for patient {data.patient_code}: "
            + "; ".join(result.reasons)
        )
        products_service.record_event(session, actor, facts.unit_id, "bedside_check", detail)
    return records.store(
        session,
        actor,
        row,
        entity_type="bedside_check",
        out=BedsideCheckOut,
        audit_after=lambda o: o.model_dump(mode="json", exclude={"checked_at", "checked_by_name"}),
    )


def recent_go_check(
    session: Session, unit_id: int, patient_id: int, now: dt.datetime
) -> BedsideCheck | None:
    """The newest go check of this unit and patient still valid at ``now``."""
    return session.scalars(
        select(BedsideCheck)
        .where(
            BedsideCheck.unit_id == unit_id,
            BedsideCheck.patient_id == patient_id,
            BedsideCheck.ok.is_(True),
            BedsideCheck.checked_at >= now - CHECK_VALID_FOR,
        )
        .order_by(BedsideCheck.checked_at.desc(), BedsideCheck.id.desc())
        .limit(1)
    ).first()
