"""Appointments of the demo clinic: the physician's follow-up visits and online
consultations and the coordinator's phone calls on the weekdays of the coming 60 days,
published through the real use case, and bookings of some of them — the demo patient's
own follow-up visit, coordinators' bookings for other patients, and one cancelled —
whose invitations wait in the outbox."""

from __future__ import annotations

import datetime as dt

from respira.appointments import local, service
from respira.appointments.schemas import BookingIn, CancellationIn, SlotSeriesIn
from respira.kit.db import utcnow
from respira.kit.step import DemoContext

DAYS = 60
# (holder's role, kind, start times): a clinic week.
PLAN = (
    ("physician", "follow_up_visit", ["09:00", "10:00", "11:00"]),
    ("physician", "online_consultation", ["14:00", "15:00"]),
    ("coordinator", "phone_call", ["09:30", "11:30", "16:00"]),
)


def seed(ctx: DemoContext) -> None:
    if "physician" not in ctx.accounts or "coordinator" not in ctx.accounts:
        return
    session = ctx.session
    coordinator, _ = ctx.accounts["coordinator"]
    first = local.local_day(utcnow(), local.zone_name(None)) + dt.timedelta(days=1)
    published = []
    for role, kind, times in PLAN:
        holder, _ = ctx.accounts[role]
        published += service.publish_series(
            session,
            coordinator,
            SlotSeriesIn(
                first_day=first,
                last_day=first + dt.timedelta(days=DAYS - 1),
                times=times,
                duration_min=30,
                kind=kind,
                held_by_id=holder.user_id,
            ),
        )
    ctx.counts["appointment slots"] = len(published)
    soon = sorted(published, key=lambda s: s.start)[: len(published) // 3]
    booked = 0
    patient = ctx.accounts.get("patient")
    if patient is not None:
        actor, _ = patient
        visit = next(s for s in soon if s.kind == "follow_up_visit")
        assert actor.patient_id is not None
        service.book(session, actor, visit.id, BookingIn(patient_id=actor.patient_id))
        soon.remove(visit)
        booked += 1
    others = [pid for pid in ctx.patient_ids[1:] if pid != getattr(patient, "patient_id", None)]
    for pid, slot in zip(
        ctx.rng.sample(others, min(8, len(others))), ctx.rng.sample(soon, 8), strict=False
    ):
        out = service.book(
            session, coordinator, slot.id, BookingIn(patient_id=pid, note="Arranged by phone")
        )
        booked += 1
        if booked == 4:
            service.cancel(
                session,
                coordinator,
                out.id,
                CancellationIn(reason="The patient asked for another week"),
            )
    ctx.counts["appointments"] = booked
