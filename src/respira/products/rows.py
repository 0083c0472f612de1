"""The rows the use cases share: a lot (locked for a change or not) and its passages, a unit
by its DIN and as the JSON contract shows it, and the one way anything is written into a
unit's custody ledger (an event appended, never edited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit import audit, records
from respira.kit.actors import Actor
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, NotFound
from respira.kit.rows import from_row
from respira.products import din as dins
from respira.products.models import CustodyEvent, Lot, LotPassage, Unit
from respira.products.schemas import UnitOut


def load_lot(session: Session, lot_id: int, *, lock: bool = False) -> Lot:
    row = records.lock_row(session, Lot, lot_id) if lock else session.get(Lot, lot_id)
    if row is None:
        raise NotFound("no such lot")
    return row


def lock_lot_in(session: Session, lot_id: int, statuses: tuple[str, ...], why: str) -> Lot:
    """The lot locked for a change; a lot whose status is not one of ``statuses`` is
    refused (409) with ``why``."""
    lot = load_lot(session, lot_id, lock=True)
    if lot.status not in statuses:
        raise Conflict(f"the lot is {lot.status}; {why}")
    return lot


def stamp(actor: Actor) -> dict[str, Any]:
    """The ``recorded_*`` columns of a new laboratory record made by ``actor`` now (the
    laboratory's tables keep the name only: ``records.stamp`` adds the user id too)."""
    return {"recorded_at": utcnow(), "recorded_by_name": actor.name}


def audit_created(
    session: Session, actor: Actor, entity_type: str, entity_id: int, after: dict[str, Any]
) -> None:
    """Write a new record to the audit trail (in the caller's transaction)."""
    audit.record(
        session,
        actor,
        entity_type=entity_type,
        entity_id=entity_id,
        action="create",
        after=after,
    )


def lot_passages(session: Session, lot_id: int) -> list[LotPassage]:
    return list(
        session.scalars(
            select(LotPassage).where(LotPassage.lot_id == lot_id).order_by(LotPassage.passage)
        )
    )


def lot_units(session: Session, lot_id: int) -> list[Unit]:
    """The units made from a lot, in the order they were made."""
    return list(session.scalars(select(Unit).where(Unit.lot_id == lot_id).order_by(Unit.id)))


def load_unit(session: Session, din: str, *, lock: bool = False) -> Unit:
    try:
        parsed = dins.parse(din)
    except ValueError:
        raise NotFound("no such unit") from None
    stmt = select(Unit).where(Unit.din == parsed.text)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = session.scalar(stmt)
    if row is None:
        raise NotFound("no such unit")
    return row


def unit_out(row: Unit, lot_code: str) -> UnitOut:
    return from_row(UnitOut, row, eye_readable=dins.format_din(row.din), lot_code=lot_code)


def append_event(
    session: Session,
    actor: Actor,
    unit_id: int,
    kind: str,
    detail: str,
    *,
    location: str | None = None,
    temperature_c: float | None = None,
    at: dt.datetime | None = None,
    audit_after: dict[str, Any] | None = None,
) -> CustodyEvent:
    """Append an event to the unit's custody ledger (in the caller's transaction); with
    ``audit_after``, the event is written to the audit trail too."""
    row = CustodyEvent(
        unit_id=unit_id,
        at=at or utcnow(),
        kind=kind,
        actor_id=actor.user_id,
        actor_name=actor.name,
        detail=detail,
        location=location,
        temperature_c=temperature_c,
    )
    session.add(row)
    session.flush()
    if audit_after is not None:
        audit_created(session, actor, "custody_event", row.id, audit_after)
    return row
