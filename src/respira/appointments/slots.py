"""Publishing availability: one slot or a series (weekdays × times over a range of
days), held by a physician, nurse or coordinator; withdrawing a free slot; the slots of
a period with whether each is booked.

A member of staff holds one slot at a time: a slot that overlaps another of the same
holder is refused (the holder's publications are serialised, on PostgreSQL with an
advisory lock on the holder, on SQLite by the single writer, so that two people
publishing at once cannot overlap either). Slots start in the future.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from itertools import pairwise

from sqlalchemy import and_, select, text
from sqlalchemy.orm import Session

from respira.accounts import service as accounts_service
from respira.appointments import local
from respira.appointments.models import Appointment, Slot
from respira.appointments.roles import HOLDER_ROLES, PUBLISH_ROLES, READ_ROLES
from respira.appointments.schemas import (
    MAX_DURATION_MIN,
    MAX_SERIES_SLOTS,
    MIN_DURATION_MIN,
    PATIENT_KINDS,
    HolderOut,
    SlotIn,
    SlotOut,
    SlotSeriesIn,
)
from respira.kit import records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.rows import from_row
from respira.kit.trail import Trail

TRAIL = Trail("appointment_slot")

# pg_advisory_xact_lock(key, holder id): "respira slot holder".
HOLDER_LOCK_KEY = 0x534C4F54
MAX_LIST_DAYS = 92


def holders(session: Session) -> list[HolderOut]:
    """The active physicians, nurses and coordinators, who may hold slots."""
    return [
        HolderOut(id=u.id, name=u.name, role=u.role)
        for u in accounts_service.list_users(session)
        if u.is_active and u.role in HOLDER_ROLES
    ]


def holder_email(session: Session, holder_id: int) -> str | None:
    return next((u.email for u in accounts_service.list_users(session) if u.id == holder_id), None)


def _holder(session: Session, actor: Actor, held_by_id: int | None) -> HolderOut:
    if held_by_id is None:
        if actor.role in HOLDER_ROLES and actor.user_id is not None:
            return HolderOut(id=actor.user_id, name=actor.name, role=actor.role)
        raise InvalidInput({"held_by_id": "choose the member of staff who holds the slot"})
    found = next((h for h in holders(session) if h.id == held_by_id), None)
    if found is None:
        raise InvalidInput({"held_by_id": "no active physician, nurse or coordinator has this id"})
    return found


def slot_out(slot: Slot, booked: bool) -> SlotOut:
    cancelled = slot.cancelled_at is not None
    return from_row(
        SlotOut, slot, start=slot.starts_at, end=slot.ends_at, booked=booked, cancelled=cancelled
    )


def _snapshot(slot: Slot) -> dict[str, object]:
    return {
        "start": slot.starts_at,
        "end": slot.ends_at,
        "time_zone": slot.time_zone,
        "kind": slot.kind,
        "held_by_id": slot.held_by_id,
    }


def _overlaps(
    session: Session,
    holder: HolderOut,
    times: Sequence[tuple[dt.datetime, dt.datetime]],
    field: str,
) -> None:
    """Refuse times that overlap each other or another live slot of the holder."""
    ordered = sorted(times)
    for (_a, a_end), (b_start, _b) in pairwise(ordered):
        if b_start < a_end:
            raise InvalidInput({field: "these slots overlap one another; space them further apart"})
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:k, :h)"), {"k": HOLDER_LOCK_KEY, "h": holder.id}
        )
    existing = session.scalars(
        select(Slot)
        .where(
            Slot.held_by_id == holder.id,
            Slot.cancelled_at.is_(None),
            Slot.starts_at < ordered[-1][1],
            Slot.ends_at > ordered[0][0],
        )
        .order_by(Slot.starts_at)
    ).all()
    for start, end in ordered:
        clash = next((s for s in existing if s.starts_at < end and s.ends_at > start), None)
        if clash is not None:
            raise InvalidInput(
                {
                    field: f"{holder.name} already holds a slot from "
                    f"{local.wall(clash.starts_at, clash.time_zone)}; "
                    "choose a time that does not overlap it"
                }
            )


def _insert(
    session: Session,
    actor: Actor,
    holder: HolderOut,
    times: Sequence[tuple[dt.datetime, dt.datetime]],
    zone: str,
    kind: str,
) -> list[SlotOut]:
    now = utcnow()
    out = []
    for start, end in times:
        slot = Slot(
            starts_at=start,
            ends_at=end,
            time_zone=zone,
            kind=kind,
            held_by_id=holder.id,
            held_by_name=holder.name,
            published_at=now,
            published_by_id=actor.user_id,
            published_by_name=actor.name,
        )
        session.add(slot)
        session.flush()
        TRAIL.record(session, actor, slot.id, "create", after=_snapshot(slot))
        out.append(slot_out(slot, booked=False))
    session.commit()
    return out


def _check_future(start: dt.datetime, field: str) -> None:
    if start <= utcnow():
        raise InvalidInput({field: "a slot must start in the future"})


def publish_slot(session: Session, actor: Actor, data: SlotIn) -> SlotOut:
    """Publish one slot (committed)."""
    require_role(actor, PUBLISH_ROLES)
    if problems := data.problems():
        raise InvalidInput(problems)
    zone = local.zone_name(data.time_zone)
    start = local.to_utc(data.start, zone, "start")
    if data.end is not None:
        end = local.to_utc(data.end, zone, "end")
        minutes = (end - start).total_seconds() / 60
        if not MIN_DURATION_MIN <= minutes <= MAX_DURATION_MIN:
            raise InvalidInput(
                {
                    "end": f"a slot lasts from {MIN_DURATION_MIN} minutes to "
                    f"{MAX_DURATION_MIN // 60} hours; the end must come after the start"
                }
            )
    else:
        assert data.duration_min is not None
        end = start + dt.timedelta(minutes=data.duration_min)
    _check_future(start, "start")
    holder = _holder(session, actor, data.held_by_id)
    _overlaps(session, holder, [(start, end)], "start")
    return _insert(session, actor, holder, [(start, end)], zone, data.kind)[0]


def publish_series(session: Session, actor: Actor, data: SlotSeriesIn) -> list[SlotOut]:
    """Publish a slot at each of the times on each chosen weekday of the range
    (committed; all or none)."""
    require_role(actor, PUBLISH_ROLES)
    if problems := data.problems():
        raise InvalidInput(problems)
    zone = local.zone_name(data.time_zone)
    last = data.last_day or data.first_day
    length = dt.timedelta(minutes=data.duration_min)
    times: list[tuple[dt.datetime, dt.datetime]] = []
    day = data.first_day
    while day <= last:
        if day.isoweekday() in data.weekdays:
            for at in data.times:
                start = local.to_utc(dt.datetime.combine(day, at), zone, "times")
                times.append((start, start + length))
        day += dt.timedelta(days=1)
    if not times:
        raise InvalidInput({"weekdays": "none of the chosen weekdays falls within these days"})
    if len(times) > MAX_SERIES_SLOTS:
        too_many = f"that makes {len(times)} slots; publish at most {MAX_SERIES_SLOTS} at once"
        raise InvalidInput({"last_day": too_many})
    _check_future(min(times)[0], "first_day")
    holder = _holder(session, actor, data.held_by_id)
    _overlaps(session, holder, times, "times")
    return _insert(session, actor, holder, times, zone, data.kind)


def live_slot_ids(session: Session, slot_ids: Sequence[int]) -> set[int]:
    if not slot_ids:
        return set()
    return set(
        session.scalars(
            select(Appointment.live_slot_id).where(Appointment.live_slot_id.in_(slot_ids))
        )
    )


def list_slots(
    session: Session,
    actor: Actor,
    start: dt.datetime,
    end: dt.datetime,
    *,
    kind: str | None = None,
    free_only: bool = False,
) -> list[SlotOut]:
    """The slots that start in [start, end), earliest first, not withdrawn. A patient
    sees only the future slots of the kinds they may book."""
    require_role(actor, READ_ROLES)
    if end <= start:
        raise InvalidInput({"to": "the end of the period must come after its start"})
    if end - start > dt.timedelta(days=MAX_LIST_DAYS):
        raise InvalidInput({"to": f"ask for at most {MAX_LIST_DAYS} days at a time"})
    where = [Slot.cancelled_at.is_(None), Slot.starts_at >= start, Slot.starts_at < end]
    if kind is not None:
        where.append(Slot.kind == kind)
    if actor.role == Role.PATIENT:
        where += [Slot.kind.in_(PATIENT_KINDS), Slot.starts_at > utcnow()]
    if free_only:
        booked = select(Appointment.id).where(Appointment.live_slot_id == Slot.id)
        where.append(~booked.exists())
    slots = session.scalars(
        select(Slot).where(and_(*where)).order_by(Slot.starts_at, Slot.id)
    ).all()
    live = live_slot_ids(session, [s.id for s in slots])
    return [slot_out(s, s.id in live) for s in slots]


def get_slot(session: Session, actor: Actor, slot_id: int) -> SlotOut:
    require_role(actor, READ_ROLES)
    slot = session.get(Slot, slot_id)
    if slot is None:
        raise NotFound("no such slot")
    return slot_out(slot, bool(live_slot_ids(session, [slot.id])))


def cancel_slot(session: Session, actor: Actor, slot_id: int) -> SlotOut:
    """Withdraw a free slot (committed). A booked one is refused: cancel its appointment
    first, so that the patient is told."""
    require_role(actor, PUBLISH_ROLES)
    slot = records.lock_row(session, Slot, slot_id)
    if slot is None:
        raise NotFound("no such slot")
    if slot.cancelled_at is not None:
        raise Conflict("this slot was already withdrawn")
    if live_slot_ids(session, [slot.id]):
        raise Conflict(
            "this slot is booked; cancel the appointment first (the patient is told by email)"
        )
    slot.cancelled_at = utcnow()
    slot.cancelled_by_name = actor.name
    session.flush()
    after = {"cancelled": True, "cancelled_at": slot.cancelled_at}
    TRAIL.record(session, actor, slot.id, "cancel", before={"cancelled": False}, after=after)
    session.commit()
    return slot_out(slot, booked=False)
