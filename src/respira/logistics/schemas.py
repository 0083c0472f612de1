"""What the logistics step takes in and gives out: the JSON contract of issue 9
(``GET /api/v1/stays?from=&to=``; ``GET /api/v1/stays/{id}/checklist`` answers the
items, each with ``kind``, ``owner`` and ``state``) and the forms of the pages.

A checklist item's ``details`` are the fields of its kind (``DETAILS_IN``): the
passport for the visa letter, the arrival and departure flights, the pickup and the
drop-off, the room, the interpreter, the diet. A flight's times are the wall-clock
times at its airports (naive, as a form or a ticket gives them); the service reads
them in the airport's zone and refuses a time the clocks skip.

Limits: a stay is at most 180 days (the longest course plus follow-up visits fits
well inside); a passport number has 5 to 20 letters and digits (ICAO Doc 9303 allows 9
in the machine-readable zone; national numbers with their prefixes run longer); a
flight number is the airline's two- or three-character designator and one to four
digits with an optional letter (IATA Resolution 762 / ICAO Doc 8585).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from respira.kit.marks import N_
from respira.kit.validation import (
    ClinicalIn,
    LocalDatetime,
    country_code,
    language_tag,
    plain_text,
)
from respira.logistics import airports
from respira.logistics.models import ITEM_KINDS, ITEM_STATES, ROOM_TYPES, SEVERITIES

StayState = Literal["booked", "cancelled", "completed"]
RoomType = Literal["single", "double", "suite"]
ItemKind = Literal[
    "travel_documents", "flight", "airport_pickup", "accommodation", "interpreter", "meals", "other"
]
ItemState = Literal["open", "in_progress", "done", "not_needed"]
RestrictionKind = Literal["allergy", "intolerance"]
Severity = Literal["mild", "moderate", "severe"]
Diet = Literal[
    "standard",
    "vegetarian",
    "vegan",
    "halal",
    "kosher",
    "gluten_free",
    "lactose_free",
    "diabetic",
    "low_salt",
    "soft",
]
DIETS: tuple[str, ...] = Diet.__args__  # type: ignore[attr-defined]
assert set(ROOM_TYPES) == set(RoomType.__args__)  # type: ignore[attr-defined]
assert set(ITEM_KINDS) == set(ItemKind.__args__)  # type: ignore[attr-defined]
assert set(ITEM_STATES) == set(ItemState.__args__)  # type: ignore[attr-defined]
assert set(SEVERITIES) == set(Severity.__args__)  # type: ignore[attr-defined]

MAX_STAY_DAYS = 180
NOTE_MAX = 2000
_FLIGHT = re.compile(r"([A-Z0-9]{2}[A-Z]?) ?(\d{1,4})([A-Z]?)")
_PASSPORT = re.compile(r"[A-Z0-9]{5,20}")


def _text(limit: int) -> Any:
    return AfterValidator(lambda value: plain_text(value, field_max=limit))


def _line(limit: int) -> Any:
    def check(value: str) -> str:
        text = plain_text(value, field_max=limit)
        if "\n" in text or "\t" in text:
            raise ValueError("must be on one line")
        return text

    return AfterValidator(check)


def _required(limit: int) -> Any:
    def check(value: str) -> str:
        text = plain_text(value, field_max=limit)
        if not text:
            raise ValueError("is required")
        return text

    return AfterValidator(check)


def _flight_number(value: str) -> str:
    found = _FLIGHT.fullmatch(value.strip().upper())
    if found is None:
        raise ValueError(
            "must be a flight number: the airline's code and one to four digits, such as LH 1451"
        )
    return "".join(found.groups())


def _airport(value: str) -> str:
    airport = airports.find(value)
    if airport is None:
        raise ValueError(
            f"{value.strip().upper()!r} is not an airport of Respira's table; give the IATA "
            "code of one of the listed airports, such as MUC"
        )
    return airport.iata


def _passport(value: str) -> str:
    text = re.sub(r"[\s-]", "", value.upper())
    if not _PASSPORT.fullmatch(text):
        raise ValueError("must be 5 to 20 letters and digits, as printed in the passport")
    return text


FlightNumber = Annotated[str, AfterValidator(_flight_number)]
AirportCode = Annotated[str, AfterValidator(_airport)]
PassportNumber = Annotated[str, AfterValidator(_passport)]
Country = Annotated[str, AfterValidator(country_code)]
Language = Annotated[str, AfterValidator(language_tag)]
Phone = Annotated[str, _line(40)]


class FormIn(ClinicalIn):
    """An input whose optional fields may come from a form as empty text: empty means
    "not given"."""

    @model_validator(mode="before")
    @classmethod
    def _blanks_are_not_given(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = {}
        for key, value in data.items():
            field = cls.model_fields.get(key)
            if field is None or field.is_required() or not isinstance(value, str) or value.strip():
                out[key] = value
            elif field.default is None:
                out[key] = None
            # else: left out, so that the field's default applies
        return out


# --- stays -------------------------------------------------------------------------------


class StayIn(FormIn):
    """A stay to book: the patient, the dates (taken from the course when it is given
    and the dates are not), the room type and whether a companion comes."""

    patient_id: int
    arrival_date: dt.date | None = None
    departure_date: dt.date | None = None
    course_id: int | None = None
    quote_id: int | None = None
    room_type: RoomType = "single"
    companion: bool = False
    note: Annotated[str, _text(NOTE_MAX)] | None = None

    def problems(self) -> dict[str, str]:
        if self.course_id is None and (self.arrival_date is None or self.departure_date is None):
            field = "arrival_date" if self.arrival_date is None else "departure_date"
            return {field: N_("give the arrival and departure dates, or choose the course")}
        return {}


class StayPatch(FormIn):
    """A change of a booked stay: the fields given change."""

    arrival_date: dt.date | None = None
    departure_date: dt.date | None = None
    room_type: RoomType | None = None
    companion: bool | None = None
    note: Annotated[str, _text(NOTE_MAX)] | None = None


class CancellationIn(FormIn):
    reason: Annotated[str, _required(500)]


class StayOut(BaseModel):
    id: int
    patient_id: int
    patient_name: str
    medical_record_number: str
    preferred_language: str
    arrival_date: dt.date
    departure_date: dt.date
    nights: int
    course_id: int | None
    quote_id: int | None
    room_type: RoomType
    companion: bool
    state: StayState
    note: str | None
    created_at: dt.datetime
    created_by_name: str
    cancelled_at: dt.datetime | None
    cancellation_reason: str | None
    completed_at: dt.datetime | None
    travel_plan_sent_at: dt.datetime | None
    version: int
    items_total: int
    open_items: int
    open_kinds: list[str]


# --- checklist items ---------------------------------------------------------------------


class TravelDocumentsIn(FormIn):
    """The passport the visa letter names, and whether a visa is needed."""

    passport_number: PassportNumber | None = None
    nationality: Country | None = None
    passport_expires: dt.date | None = None
    visa_required: bool | None = None


class FlightLegIn(FormIn):
    """One flight: its number, where and when (wall-clock time at the airport) it
    leaves and lands, and the terminals."""

    number: FlightNumber
    from_airport: AirportCode
    departs: dt.datetime
    from_terminal: Annotated[str, _line(20)] | None = None
    to_airport: AirportCode
    arrives: dt.datetime
    to_terminal: Annotated[str, _line(20)] | None = None


class FlightsIn(FormIn):
    arrival: FlightLegIn | None = None
    departure: FlightLegIn | None = None


class TransferIn(FormIn):
    """A car between the airport and the clinic: who drives, which car, where they
    meet, and whether the driver confirmed."""

    driver: Annotated[str, _line(200)] | None = None
    driver_phone: Phone | None = None
    vehicle: Annotated[str, _line(200)] | None = None
    meeting_point: Annotated[str, _line(300)] | None = None
    confirmed: bool = False


class PickupIn(FormIn):
    pickup: TransferIn | None = None
    dropoff: TransferIn | None = None


class AccommodationIn(FormIn):
    room: Annotated[str, _line(100)] | None = None
    address: Annotated[str, _text(500)] | None = None
    nights: int | None = Field(default=None, ge=0, le=MAX_STAY_DAYS)
    companion: bool | None = None


class InterpreterIn(FormIn):
    language: Language | None = None
    days: int | None = Field(default=None, ge=0, le=MAX_STAY_DAYS)
    interpreter: Annotated[str, _line(200)] | None = None
    phone: Phone | None = None


class MealsIn(FormIn):
    diet: Diet | None = None
    kitchen_note: Annotated[str, _text(1000)] | None = None


class OtherIn(FormIn):
    description: Annotated[str, _text(NOTE_MAX)] | None = None


DETAILS_IN: dict[str, type[FormIn]] = {
    "travel_documents": TravelDocumentsIn,
    "flight": FlightsIn,
    "airport_pickup": PickupIn,
    "accommodation": AccommodationIn,
    "interpreter": InterpreterIn,
    "meals": MealsIn,
    "other": OtherIn,
}


# The schema of each part of a kind's details that has parts (a flight each way, a car
# each way).
PART_SCHEMAS: dict[str, type[FormIn]] = {"flight": FlightLegIn, "airport_pickup": TransferIn}
LetterLanguage = Literal["en", "de", "ru"]


class ItemPatch(FormIn):
    """A change of a checklist item: the fields given change; ``details`` replaces the
    item's details (the fields of its kind)."""

    state: ItemState | None = None
    owner_id: int | None = None
    note: Annotated[str, _text(NOTE_MAX)] | None = None
    title: Annotated[str, _required(200)] | None = None
    details: dict[str, Any] | None = None


class ItemIn(FormIn):
    """An "other" item a coordinator adds to a stay's checklist."""

    title: Annotated[str, _required(200)]
    owner_id: int | None = None
    note: Annotated[str, _text(NOTE_MAX)] | None = None


class FlightLegOut(BaseModel):
    """A flight with its times as wall-clock times at each airport (``departs``,
    ``arrives``, naive), the airports' zones, and the same moments in UTC."""

    number: str
    from_airport: str
    from_airport_name: str
    from_zone: str
    from_terminal: str | None
    departs: LocalDatetime
    departs_at: dt.datetime
    to_airport: str
    to_airport_name: str
    to_zone: str
    to_terminal: str | None
    arrives: LocalDatetime
    arrives_at: dt.datetime


class DietLine(BaseModel):
    """One thing the kitchen keeps off a patient's plate: from the patient's record
    (``source`` "record") or a positive food sensitisation of the allergy panel
    (``source`` "allergy_panel", with the visit date and the test)."""

    substance: str
    kind: RestrictionKind
    severity: Severity | None
    note: str | None
    source: Literal["record", "allergy_panel"]
    tested_on: dt.date | None = None
    method: str | None = None
    restriction_id: int | None = None


class ItemOut(BaseModel):
    id: int
    stay_id: int
    kind: ItemKind
    title: str | None
    owner: str
    owner_id: int
    state: ItemState
    note: str | None
    details: dict[str, Any]
    updated_at: dt.datetime
    updated_by_name: str
    version: int
    missing_for_done: list[str] = Field(
        default_factory=list, description="the fields the item needs before it is done"
    )


class OwnerOut(BaseModel):
    id: int
    name: str
    role: str


# --- diet restrictions -------------------------------------------------------------------


class RestrictionIn(FormIn):
    substance: Annotated[str, _required(100)]
    kind: RestrictionKind
    severity: Severity
    note: Annotated[str, _text(1000)] | None = None


class RetractionIn(FormIn):
    reason: Annotated[str, _required(500)]


class RestrictionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    substance: str
    kind: RestrictionKind
    severity: Severity
    note: str | None
    recorded_at: dt.datetime
    recorded_by_name: str
    retracted: bool
    retraction_reason: str | None


class DietOut(BaseModel):
    """A patient's diet restrictions as the kitchen reads them: the record's live ones
    and the food sensitisations of the allergy panel."""

    patient_id: int
    lines: list[DietLine]
    recorded: list[RestrictionOut]


# --- the coordinator board ---------------------------------------------------------------


class TransferOut(BaseModel):
    driver: str | None = None
    driver_phone: str | None = None
    vehicle: str | None = None
    meeting_point: str | None = None
    confirmed: bool = False


class Movement(BaseModel):
    """A patient arriving or leaving on the board's day: the flight (times at its
    airports and in the clinic's zone), the car, and whether the flight's day in the
    clinic's calendar differs from the stay's date."""

    stay_id: int
    patient_id: int
    patient_name: str
    direction: Literal["arrival", "departure"]
    stay_date: dt.date
    flight: FlightLegOut | None
    clinic_time: dt.datetime | None  # the flight's landing (arrival) or take-off, clinic zone
    clinic_day_differs: bool
    transfer: TransferOut | None
    transfer_needed: bool
    transfer_item_id: int


class InterpreterNeed(BaseModel):
    language: str
    stays: list[tuple[int, str, str | None]]  # (stay id, patient name, interpreter or None)


class KitchenRow(BaseModel):
    stay_id: int
    patient_id: int
    patient_name: str
    room: str | None
    diet: str | None
    kitchen_note: str | None
    lines: list[DietLine]
    arriving: bool
    departing: bool
    meals_needed: bool


class BoardOut(BaseModel):
    day: dt.date
    clinic_zone: str
    arrivals: list[Movement]
    departures: list[Movement]
    pickups_to_confirm: list[Movement]
    interpreters: list[InterpreterNeed]
    kitchen: list[KitchenRow]


# --- the patient's travel plan -----------------------------------------------------------


class AccommodationOut(BaseModel):
    room: str | None
    address: str | None
    nights: int
    companion: bool


class InterpreterOut(BaseModel):
    language: str | None
    interpreter: str | None
    phone: str | None


class TravelPlanOut(BaseModel):
    """What the patient reads in the portal and in the email: the stay, the flights at
    their airports' local times, the car each way, the room, the interpreter and the
    meals with the diet restrictions the kitchen keeps to. A part the coordinator
    marked not needed is absent (None)."""

    stay: StayOut
    arrival: FlightLegOut | None
    departure: FlightLegOut | None
    pickup: TransferOut | None
    dropoff: TransferOut | None
    transfers_needed: bool
    accommodation: AccommodationOut | None
    interpreter: InterpreterOut | None
    diet: str | None
    diet_lines: list[DietLine]
    meals_needed: bool
    visa_letter: bool
