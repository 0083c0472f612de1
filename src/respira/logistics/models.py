"""Tables of the logistics step: a patient's stays at the clinic, each stay's checklist,
and the patient's diet restrictions.

- ``stays``: one visit of a patient to the clinic, from the arrival date to the
  departure date (days of the clinic's calendar), for an approved treatment course
  and an accepted quote when there are; the room type and whether a companion comes.
  A stay is booked, then completed (after its departure date) or cancelled (with the
  reason); it is never deleted. Edits carry the version (optimistic locking).
- ``stay_items``: the stay's checklist, one item per kind made at booking (travel
  documents, flights, airport pickup and drop-off, accommodation, interpreter, meals)
  and any "other" item a coordinator adds, each with its owner (a staff account), its
  state and its details (the kind's fields as JSON, read through the kind's schema in
  ``respira.logistics.schemas``). Flight times are kept as the wall-clock time at the
  airport with the airport's IANA zone.
- ``diet_restrictions``: a patient's food allergies and intolerances as staff record
  them (substance, allergy or intolerance, severity, note), never edited: a wrong or
  outgrown one is retracted with the reason (``records.Recorded``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from respira.kit.columns import reference
from respira.kit.created import Created
from respira.kit.db import Base, UTCDateTime, utcnow
from respira.kit.records import RETRACTION_CONSISTENT, Recorded

STAY_STATES: tuple[str, ...] = ("booked", "cancelled", "completed")
ROOM_TYPES: tuple[str, ...] = ("single", "double", "suite")
ITEM_KINDS: tuple[str, ...] = (
    "travel_documents",
    "flight",
    "airport_pickup",
    "accommodation",
    "interpreter",
    "meals",
    "other",
)
ITEM_STATES: tuple[str, ...] = ("open", "in_progress", "done", "not_needed")
RESTRICTION_KINDS: tuple[str, ...] = ("allergy", "intolerance")
SEVERITIES: tuple[str, ...] = ("mild", "moderate", "severe")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Stay(Created, Base):
    __tablename__ = "stays"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    arrival_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    departure_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    course_id: Mapped[int | None] = reference("courses.id", index=True)
    quote_id: Mapped[int | None] = reference("quotes.id", index=True)
    room_type: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    companion: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    cancellation_reason: Mapped[str | None] = mapped_column(sa.Text)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    travel_plan_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    items: Mapped[list[StayItem]] = relationship(
        back_populates="stay", order_by="StayItem.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy idiom)
    __table_args__ = (
        sa.CheckConstraint("departure_date >= arrival_date", name="departure_after_arrival"),
        sa.CheckConstraint(_one_of("state", STAY_STATES), name="state"),
        sa.CheckConstraint(_one_of("room_type", ROOM_TYPES), name="room_type"),
        sa.CheckConstraint(
            "(state = 'cancelled') = (cancelled_at IS NOT NULL AND cancelled_by_name IS NOT NULL "
            "AND cancellation_reason IS NOT NULL)",
            name="cancellation",
        ),
        sa.CheckConstraint(
            "(state = 'completed') = (completed_at IS NOT NULL AND completed_by_name IS NOT NULL)",
            name="completion",
        ),
        sa.Index("ix_stays_arrival_date", "arrival_date"),
        sa.Index("ix_stays_departure_date", "departure_date"),
    )


class StayItem(Base):
    __tablename__ = "stay_items"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    stay_id: Mapped[int] = reference("stays.id", ondelete="CASCADE", index=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    title: Mapped[str | None] = mapped_column(sa.String(200))
    owner_id: Mapped[int] = reference("users.id", index=True)
    owner_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    stay: Mapped[Stay] = relationship(back_populates="items")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy idiom)
    __table_args__ = (
        sa.CheckConstraint(_one_of("kind", ITEM_KINDS), name="kind"),
        sa.CheckConstraint(_one_of("state", ITEM_STATES), name="state"),
        sa.CheckConstraint("(kind = 'other') = (title IS NOT NULL)", name="other_has_title"),
        sa.UniqueConstraint("stay_id", "position"),
    )


class DietRestriction(Recorded, Base):
    __tablename__ = "diet_restrictions"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    substance: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    severity: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
        sa.CheckConstraint(_one_of("kind", RESTRICTION_KINDS), name="kind"),
        sa.CheckConstraint(_one_of("severity", SEVERITIES), name="severity"),
    )
