"""Stays of the demo clinic, booked through the real use cases by the demo coordinator:

- a stay for every accepted quote still waiting for its stay (booking it issues the
  quote's invoice, in the quotes step) and for some approved courses, arriving across
  the coming days, so that the board of each of those days has arrivals and departures;
- checklists complete (flights from Moscow, Almaty or Istanbul, the car confirmed both
  ways, room, a Russian or Kazakh interpreter, the diet), half done, or just booked;
- a patient with a severe peanut allergy and one with a lactose intolerance, whom the
  kitchen list shows in red;
- a past stay completed and one cancelled; the demo patient's own stay with its travel
  plan sent (the email waits in the outbox).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from respira.kit.actors import Actor
from respira.kit.step import DemoContext
from respira.kit.validation import today_utc
from respira.logistics import service
from respira.logistics.schemas import (
    CancellationIn,
    ItemIn,
    ItemPatch,
    RestrictionIn,
    StayIn,
)
from respira.protocols import service as protocols_service
from respira.quotes import service as quotes_service

# (origin airport, flight in, flight out, arrival airport, interpreter's language)
ROUTES = (
    ("SVO", "SU 2310", "SU 2311", "MUC", "ru"),
    ("ALA", "KC 921", "KC 922", "FRA", "kk"),
    ("IST", "TK 1631", "TK 1632", "MUC", "tr"),
)
MAX_STAYS = 6


def _leg(route: tuple[str, ...], day: dt.date, outbound: bool) -> dict[str, Any]:
    """A flight of the day: the morning flight in, the afternoon flight out (local times
    at each airport, an hour or two apart by the zones)."""
    origin, number_in, number_out, destination, _language = route
    if outbound:
        departs, arrives = dt.time(7, 40), dt.time(9, 55)
        return {
            "number": number_in,
            "from_airport": origin,
            "departs": f"{day}T{departs}",
            "to_airport": destination,
            "arrives": f"{day}T{arrives}",
            "to_terminal": "2",
        }
    departs, arrives = dt.time(15, 5), dt.time(21, 30)
    return {
        "number": number_out,
        "from_airport": destination,
        "departs": f"{day}T{departs}",
        "from_terminal": "2",
        "to_airport": origin,
        "arrives": f"{day}T{arrives}",
    }


def _update(ctx: DemoContext, actor: Actor, stay_id: int, kind: str, **change: Any) -> None:
    item = next(i for i in service.checklist(ctx.session, actor, stay_id) if i.kind == kind)
    service.update_item(ctx.session, actor, stay_id, item.id, ItemPatch(**change), item.version)


def _work_through(
    ctx: DemoContext, actor: Actor, stay: Any, route: tuple[str, ...], how: int
) -> None:
    """Fill the checklist: ``how`` 0 all done, 1 half done, 2 just booked."""
    if how == 2:
        return
    language = route[-1]
    _update(
        ctx,
        actor,
        stay.id,
        "flight",
        state="done" if how == 0 else "in_progress",
        details={
            "arrival": _leg(route, stay.arrival_date, True),
            "departure": _leg(route, stay.departure_date, False) if how == 0 else None,
        },
    )
    car = {
        "driver": "Jonas Weber",
        "driver_phone": "+49 170 5550123",
        "vehicle": "Grey VW Caravelle, M-RS 2027",
        "meeting_point": "Arrivals hall, exit B",
        "confirmed": how == 0,
    }
    _update(
        ctx,
        actor,
        stay.id,
        "airport_pickup",
        state="done" if how == 0 else "in_progress",
        details={"pickup": car, "dropoff": car if how == 0 else None},
    )
    _update(
        ctx,
        actor,
        stay.id,
        "interpreter",
        details={
            "language": language,
            "days": 3,
            "interpreter": "Irina Volkova" if how == 0 else None,
        },
        state="done" if how == 0 else "open",
    )
    _update(ctx, actor, stay.id, "meals", state="done", details={"diet": "standard"})
    if how == 0:
        _update(
            ctx,
            actor,
            stay.id,
            "travel_documents",
            state="done",
            details={
                "passport_number": f"75{stay.patient_id:07d}",
                "nationality": "RU",
                "passport_expires": str(stay.departure_date + dt.timedelta(days=800)),
                "visa_required": True,
            },
        )
        _update(
            ctx,
            actor,
            stay.id,
            "accommodation",
            state="done",
            details={"room": f"Garden wing {100 + stay.id}"},
        )


def seed(ctx: DemoContext) -> None:
    if "coordinator" not in ctx.accounts or not ctx.patient_ids:
        return
    session = ctx.session
    coordinator, _ = ctx.accounts["coordinator"]
    today = service.clinic_today()
    utc_today = today_utc()
    demo_patient = ctx.accounts.get("patient")
    own_id = demo_patient[0].patient_id if demo_patient else None

    # Who comes: accepted quotes waiting for their stay, then approved courses.
    wanted: list[tuple[int, int | None, int | None]] = []  # (patient, course, quote)
    for pid in ctx.patient_ids:
        for quote in quotes_service.accepted_quotes(session, coordinator, pid):
            if quote.invoice_id is None and not any(w[0] == pid for w in wanted):
                course = quote.course_id
                if course is not None:
                    found = protocols_service.get_course(session, coordinator, course)
                    course = course if found.status == "approved" else None
                wanted.append((pid, course, quote.id))
    for pid in ctx.patient_ids:
        if len(wanted) >= MAX_STAYS:
            break
        if any(w[0] == pid for w in wanted):
            continue
        courses = protocols_service.list_courses(session, coordinator, pid)
        # The protocols demo dates its courses by the UTC calendar; just after midnight in
        # the clinic its "today" is already tomorrow, so compare with the earlier of the two.
        approved = [
            c for c in courses if c.status == "approved" and c.start_date >= min(today, utc_today)
        ]
        if approved:
            wanted.append((pid, approved[-1].id, None))
    if own_id is not None and not any(w[0] == own_id for w in wanted):
        wanted.append((own_id, None, None))

    booked = []
    for n, (pid, course_id, quote_id) in enumerate(wanted[: MAX_STAYS + 1]):
        if course_id is None:
            arrival = today + dt.timedelta(days=2 + 2 * n)
            departure = arrival + dt.timedelta(days=6)
        else:  # the evening before the course's first day, the day after its last
            planned = protocols_service.get_course(session, coordinator, course_id)
            arrival = planned.start_date - dt.timedelta(days=1 + n % 2)
            departure = planned.end_date + dt.timedelta(days=1)
        dates = {"arrival_date": arrival, "departure_date": departure}
        stay = service.book_stay(
            session,
            coordinator,
            StayIn(
                patient_id=pid,
                course_id=course_id,
                quote_id=quote_id,
                room_type=("single", "double")[n % 2],
                companion=n % 2 == 1,
                **dates,
            ),
        )
        booked.append(stay)
        _work_through(
            ctx, coordinator, stay, ROUTES[n % len(ROUTES)], 0 if pid == own_id else n % 3
        )
    if booked:
        extra = booked[min(1, len(booked) - 1)]
        service.add_item(session, coordinator, extra.id, ItemIn(title="Wheelchair at the airport"))

    # The kitchen's restrictions: a severe peanut allergy and a lactose intolerance.
    for stay, (substance, kind, severity, note) in zip(
        booked,
        (
            ("Peanut", "allergy", "severe", "Anaphylaxis in 2019; carries an adrenaline pen."),
            ("Lactose", "intolerance", "moderate", None),
        ),
        strict=False,
    ):
        service.record_restriction(
            session,
            coordinator,
            stay.patient_id,
            RestrictionIn(substance=substance, kind=kind, severity=severity, note=note),
        )

    # The demo patient reads a finished plan in the portal, and it waits in the outbox.
    for stay in booked:
        if stay.patient_id == own_id:
            service.send_travel_plan(session, coordinator, stay.id)

    # A past stay, completed, and one cancelled.
    others = [pid for pid in ctx.patient_ids if pid not in {s.patient_id for s in booked}]
    if len(others) >= 2:
        past = service.book_stay(
            session,
            coordinator,
            StayIn(
                patient_id=others[0],
                arrival_date=today - dt.timedelta(days=40),
                departure_date=today - dt.timedelta(days=35),
            ),
        )
        _work_through(ctx, coordinator, past, ROUTES[0], 0)
        service.complete_stay(session, coordinator, past.id)
        dropped = service.book_stay(
            session,
            coordinator,
            StayIn(
                patient_id=others[1],
                arrival_date=today + dt.timedelta(days=30),
                departure_date=today + dt.timedelta(days=34),
            ),
        )
        service.cancel_stay(
            session,
            coordinator,
            dropped.id,
            CancellationIn(reason="The patient postponed the trip"),
        )
        booked += [past, dropped]
    ctx.counts["stays"] = len(booked)
