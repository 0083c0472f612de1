"""The coordinator board of one day of the clinic's calendar: who arrives and who
leaves (with their flights, at the airports' local times and the clinic's), the
pickups and drop-offs still to confirm, the interpreters needed by language, and the
kitchen's diet list of everyone staying that day.

A patient arrives on the day their arrival flight lands, in the clinic's calendar, or
on the stay's arrival date when no flight is recorded; likewise for the departure with
the take-off. When the flight's day differs from the stay's date (a late landing that is
already the next day at the clinic, a zone a day apart) the board says so: the stay's
date or the ticket may be wrong. Everyone whose stay includes the day (arrival to
departure, both days included) is on the kitchen's list and may need an interpreter,
unless the item says it is not needed. Cancelled stays are not on the board.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_zone
from respira.logistics import checklist, clock, diets, stays
from respira.logistics.models import Stay, StayItem
from respira.logistics.roles import BOARD_ROLES
from respira.logistics.schemas import (
    BoardOut,
    FlightLegOut,
    InterpreterNeed,
    KitchenRow,
    Movement,
    TransferOut,
)
from respira.patients import service as patients_service

# A flight's day in the clinic's calendar is at most this far from the stay's date.
WINDOW = dt.timedelta(days=2)


def _items(stay: Stay) -> dict[str, StayItem]:
    return {item.kind: item for item in stay.items if item.kind != "other"}


def _movement(
    stay: Stay, name: str, direction: str, items: dict[str, StayItem]
) -> tuple[dt.date, Movement]:
    """The stay's arrival or departure and the day of the clinic's calendar it falls on."""
    flights = items["flight"].details
    leg: FlightLegOut | None = checklist.flight_leg(flights.get(direction))
    stay_date = stay.arrival_date if direction == "arrival" else stay.departure_date
    moment = None
    if leg is not None:
        moment = clock.in_clinic(leg.arrives_at if direction == "arrival" else leg.departs_at)
    pickup = items["airport_pickup"]
    transfer = pickup.details.get("pickup" if direction == "arrival" else "dropoff")
    day = moment.date() if moment else stay_date
    return day, Movement(
        stay_id=stay.id,
        patient_id=stay.patient_id,
        patient_name=name,
        direction=direction,
        stay_date=stay_date,
        flight=leg,
        clinic_time=moment,
        clinic_day_differs=moment is not None and moment.date() != stay_date,
        transfer=TransferOut(**transfer) if transfer else None,
        transfer_needed=pickup.state != "not_needed",
        transfer_item_id=pickup.id,
    )


def _sort_key(m: Movement) -> tuple[Any, ...]:
    return (m.clinic_time is None, m.clinic_time, m.patient_name)


def board(session: Session, actor: Actor, day: dt.date) -> BoardOut:
    require_role(actor, BOARD_ROLES)
    found = stays.stays_between(session, day - WINDOW, day + WINDOW, states=("booked", "completed"))
    names: dict[int, Any] = {}
    for stay in found:
        if stay.patient_id not in names:
            names[stay.patient_id] = patients_service.find(session, stay.patient_id)
    arrivals: list[Movement] = []
    departures: list[Movement] = []
    present: list[tuple[Stay, dict[str, StayItem]]] = []
    for stay in found:
        patient = names[stay.patient_id]
        name = f"{patient.last_name}, {patient.first_name}"
        items = _items(stay)
        for direction, into in (("arrival", arrivals), ("departure", departures)):
            when, movement = _movement(stay, name, direction, items)
            if when == day:
                into.append(movement)
        if stay.arrival_date <= day <= stay.departure_date:
            present.append((stay, items))
    arrivals.sort(key=_sort_key)
    departures.sort(key=_sort_key)
    to_confirm = [
        m
        for m in arrivals + departures
        if m.transfer_needed and not (m.transfer and m.transfer.confirmed)
    ]
    return BoardOut(
        day=day,
        clinic_zone=clinic_zone(),
        arrivals=arrivals,
        departures=departures,
        pickups_to_confirm=to_confirm,
        interpreters=_interpreters(present, names),
        kitchen=_kitchen(session, present, names, day),
    )


def _interpreters(
    present: list[tuple[Stay, dict[str, StayItem]]], patients: dict[int, Any]
) -> list[InterpreterNeed]:
    needs: dict[str, list[tuple[int, str, str | None]]] = {}
    for stay, items in present:
        item = items["interpreter"]
        if item.state == "not_needed":
            continue
        patient = patients[stay.patient_id]
        language = item.details.get("language") or patient.preferred_language
        name = f"{patient.last_name}, {patient.first_name}"
        needs.setdefault(language, []).append((stay.id, name, item.details.get("interpreter")))
    return [
        InterpreterNeed(language=language, stays=sorted(found, key=lambda s: s[1]))
        for language, found in sorted(needs.items())
    ]


def _kitchen(
    session: Session,
    present: list[tuple[Stay, dict[str, StayItem]]],
    patients: dict[int, Any],
    day: dt.date,
) -> list[KitchenRow]:
    lines = diets.diets_of(session, sorted({stay.patient_id for stay, _ in present}))
    rows = []
    for stay, items in present:
        patient = patients[stay.patient_id]
        meals = items["meals"]
        rows.append(
            KitchenRow(
                stay_id=stay.id,
                patient_id=stay.patient_id,
                patient_name=f"{patient.last_name}, {patient.first_name}",
                room=items["accommodation"].details.get("room"),
                diet=meals.details.get("diet"),
                kitchen_note=meals.details.get("kitchen_note"),
                lines=lines[stay.patient_id],
                arriving=stay.arrival_date == day,
                departing=stay.departure_date == day,
                meals_needed=meals.state != "not_needed",
            )
        )
    # Those with a restriction first, so that the kitchen reads them before the rest.
    return sorted(rows, key=lambda r: (not r.lines, r.patient_name))
