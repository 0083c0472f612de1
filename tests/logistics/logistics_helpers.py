"""A coordination desk for the logistics tests, made through the real use cases: a
coordinator who books stays for patients and works through their checklists, and a
nurse who records diet restrictions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from respira.kit.actors import Actor
from respira.logistics import service
from respira.logistics.schemas import ItemOut, ItemPatch, RestrictionIn, StayIn, StayOut


def days(n: int) -> dt.date:
    """A day ``n`` days from today in the clinic's calendar."""
    return service.clinic_today() + dt.timedelta(days=n)


def leg(
    number: str,
    origin: str,
    departs: str,
    destination: str,
    arrives: str,
    **more: Any,
) -> dict[str, Any]:
    """A flight as the checklist takes it: times are wall-clock times at each airport."""
    return {
        "number": number,
        "from_airport": origin,
        "departs": departs,
        "to_airport": destination,
        "arrives": arrives,
        **more,
    }


CAR = {
    "driver": "Jonas Weber",
    "driver_phone": "+49 170 5550123",
    "vehicle": "Grey VW Caravelle, B-RS 2027",
    "meeting_point": "Arrivals, exit B",
    "confirmed": True,
}


class Desk:
    def __init__(
        self, db: Any, make_patient: Callable[..., int], make_account: Callable[..., Any]
    ) -> None:
        self.db = db
        self.make_patient = make_patient
        self.coordinator = make_account("coordinator")
        self.nurse = make_account("nurse")
        self.make_account = make_account
        self._n = 0

    @property
    def actor(self) -> Actor:
        return self.coordinator.actor

    def patient(self, **fields: Any) -> int:
        self._n += 1
        fields.setdefault("first_name", f"Travel{self._n}")
        fields.setdefault("email", f"travel{self._n}@mail.example")
        return self.make_patient(**fields)

    def book(
        self,
        patient_id: int,
        arrival: dt.date | None = None,
        departure: dt.date | None = None,
        **fields: Any,
    ) -> StayOut:
        if "course_id" not in fields:
            arrival = arrival or days(3)
            departure = departure or arrival + dt.timedelta(days=6)
        body = StayIn(
            patient_id=patient_id, arrival_date=arrival, departure_date=departure, **fields
        )
        with self.db.transaction() as s:
            return service.book_stay(s, self.actor, body)

    def items(self, stay_id: int, actor: Actor | None = None) -> dict[str, ItemOut]:
        with self.db.session() as s:
            found = service.checklist(s, actor or self.actor, stay_id)
        return {
            item.kind if item.kind != "other" else f"other:{item.title}": item for item in found
        }

    def update(
        self, stay_id: int, kind: str, *, version: int | None = None, **patch: Any
    ) -> ItemOut:
        item = self.items(stay_id)[kind]
        with self.db.transaction() as s:
            return service.update_item(
                s,
                self.actor,
                stay_id,
                item.id,
                ItemPatch.model_validate(patch),
                item.version if version is None else version,
            )

    def restrict(
        self, patient_id: int, substance: str, kind: str = "allergy", severity: str = "severe"
    ) -> Any:
        with self.db.transaction() as s:
            return service.record_restriction(
                s,
                self.nurse.actor,
                patient_id,
                RestrictionIn(substance=substance, kind=kind, severity=severity),
            )

    def board(self, day: dt.date, actor: Actor | None = None) -> Any:
        with self.db.session() as s:
            return service.board(s, actor or self.nurse.actor, day)

    def stay(self, stay_id: int) -> StayOut:
        with self.db.session() as s:
            return service.get_stay(s, self.actor, stay_id)
