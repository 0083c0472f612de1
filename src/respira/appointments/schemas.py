"""What appointments take in and give out: the JSON contract of issue 11
(``GET /api/v1/slots`` answers ``{id, start, end, kind, booked}``, plus the slot's time
zone and who holds it) and the forms of the staff and patient pages.

Times come in as the clinic's wall-clock time (a naive ``start``, read in ``time_zone``,
by default the clinic's) or as an aware time (any offset); either way they are stored
in UTC and the zone is kept for the invitation's calendar entry. A wall-clock time that
does not exist in the zone (skipped when the clocks go forward) is refused, with the
reason, by the service, which knows the zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from respira.kit.validation import ClinicalIn

Kind = Literal["online_consultation", "follow_up_visit", "phone_call"]
# Kinds a patient books for themselves; an online consultation is arranged by the
# coordinator (it belongs to the road before treatment: request, screening, quote).
PATIENT_KINDS: tuple[str, ...] = ("follow_up_visit", "phone_call")
MIN_DURATION_MIN = 5
MAX_DURATION_MIN = 8 * 60
MAX_SERIES_DAYS = 92
MAX_SERIES_SLOTS = 400


def _zone_name(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"{name!r} is not a time zone; use an IANA name such as Europe/Berlin"
        ) from exc
    return name


ZoneName = Annotated[str | None, AfterValidator(_zone_name)]


class SlotIn(ClinicalIn):
    """One slot: ``start`` and ``end`` (or ``duration_min``)."""

    start: dt.datetime
    end: dt.datetime | None = None
    duration_min: int | None = Field(default=None, ge=MIN_DURATION_MIN, le=MAX_DURATION_MIN)
    time_zone: ZoneName = Field(default=None, description="IANA zone; default the clinic's")
    kind: Kind
    held_by_id: int | None = Field(default=None, description="the staff user who holds it")

    def problems(self) -> dict[str, str]:
        if (self.end is None) == (self.duration_min is None):
            return {"end": "give either the end or the duration in minutes"}
        if self.end is not None and (self.start.tzinfo is None) != (self.end.tzinfo is None):
            return {"end": "give start and end both with or both without a UTC offset"}
        return {}


class SlotSeriesIn(ClinicalIn):
    """Slots on the chosen weekdays from ``first_day`` to ``last_day``, at each of
    ``times`` (wall-clock times in ``time_zone``), each ``duration_min`` long."""

    first_day: dt.date
    last_day: dt.date | None = None
    weekdays: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    times: list[dt.time] = Field(min_length=1, max_length=48)
    duration_min: int = Field(ge=MIN_DURATION_MIN, le=MAX_DURATION_MIN)
    time_zone: ZoneName = None
    kind: Kind
    held_by_id: int | None = None

    @field_validator("weekdays")
    @classmethod
    def _iso_weekdays(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError("choose at least one weekday")
        if any(not 1 <= day <= 7 for day in value):
            raise ValueError("weekdays are numbered 1 (Monday) to 7 (Sunday)")
        return sorted(set(value))

    @field_validator("times", mode="before")
    @classmethod
    def _times_from_text(cls, value: object) -> object:
        # The page's field holds "09:00, 10:30 14:00"; the API sends a list.
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    def problems(self) -> dict[str, str]:
        last = self.last_day or self.first_day
        if last < self.first_day:
            return {"last_day": "the last day must not be before the first day"}
        if (last - self.first_day).days >= MAX_SERIES_DAYS:
            return {"last_day": f"publish at most {MAX_SERIES_DAYS} days at a time"}
        return {}


class BookingIn(ClinicalIn):
    patient_id: int
    note: str | None = Field(default=None, max_length=500)


class CancellationIn(ClinicalIn):
    reason: str | None = Field(default=None, max_length=500)


class SlotOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    start: dt.datetime
    end: dt.datetime
    kind: Kind
    booked: bool
    time_zone: str
    held_by_id: int
    held_by_name: str
    cancelled: bool = False


class AppointmentOut(BaseModel):
    """A booking as its patient and the staff read it."""

    id: int
    slot_id: int
    patient_id: int
    start: dt.datetime
    end: dt.datetime
    time_zone: str
    kind: Kind
    held_by_name: str
    note: str | None
    booked_at: dt.datetime
    booked_by_name: str
    cancelled_at: dt.datetime | None
    cancelled_by_name: str | None
    cancellation_reason: str | None
    state: Literal["booked", "cancelled"]
    ical_uid: str
    ical_sequence: int


class HolderOut(BaseModel):
    """A member of staff who may hold slots."""

    id: int
    name: str
    role: str
