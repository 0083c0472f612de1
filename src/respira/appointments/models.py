"""Tables of appointments: the slots staff publish and the bookings of them.

- ``appointment_slots``: a time (stored in UTC) that a member of staff holds for an
  online consultation, a follow-up visit or a phone call, with the IANA time zone it
  was published in (the zone its invitation's calendar entry is written in). A slot is
  withdrawn (``cancelled_at``), never deleted.
- ``appointments``: a slot booked for a patient, by the patient or a coordinator, and
  its cancellation. ``live_slot_id`` is the slot's id while the booking stands and NULL
  once it is cancelled; its unique key is what makes a slot bookable once, even by two
  people at the same moment, on every database (NULLs do not collide), while the
  cancelled bookings of a slot stay on record. ``ical_uid`` and ``ical_sequence`` are
  the calendar entry's identity and revision (RFC 5545 UID, SEQUENCE): a cancellation
  sends the same UID with the next sequence.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from respira.kit.columns import reference
from respira.kit.db import Base, UTCDateTime, utcnow

KINDS: tuple[str, ...] = ("online_consultation", "follow_up_visit", "phone_call")


class Slot(Base):
    __tablename__ = "appointment_slots"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    time_zone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    held_by_id: Mapped[int] = reference("users.id", index=True)
    held_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    published_by_id: Mapped[int | None] = reference("users.id")
    published_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_name: Mapped[str | None] = mapped_column(sa.String(200))

    bookings: Mapped[list[Appointment]] = relationship(
        back_populates="slot", foreign_keys="Appointment.slot_id", order_by="Appointment.id"
    )

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint(
            "kind IN ('online_consultation', 'follow_up_visit', 'phone_call')", name="kind"
        ),
        sa.CheckConstraint(
            "(cancelled_at IS NULL) = (cancelled_by_name IS NULL)", name="cancellation"
        ),
        sa.Index("ix_appointment_slots_starts_at", "starts_at"),
    )


class Appointment(Base):
    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    slot_id: Mapped[int] = reference("appointment_slots.id", index=True)
    live_slot_id: Mapped[int | None] = reference("appointment_slots.id", unique=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    note: Mapped[str | None] = mapped_column(sa.String(500))
    booked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    booked_by_id: Mapped[int | None] = reference("users.id")
    booked_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    booked_by_role: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = reference("users.id")
    cancelled_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    cancellation_reason: Mapped[str | None] = mapped_column(sa.String(500))
    ical_uid: Mapped[str] = mapped_column(sa.String(255), nullable=False, unique=True)
    ical_sequence: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    slot: Mapped[Slot] = relationship(back_populates="bookings", foreign_keys=[slot_id])

    __table_args__ = (
        sa.CheckConstraint(
            "(cancelled_at IS NULL AND cancelled_by_name IS NULL AND live_slot_id = slot_id) OR "
            "(cancelled_at IS NOT NULL AND cancelled_by_name IS NOT NULL "
            "AND live_slot_id IS NULL)",
            name="cancellation",
        ),
        sa.CheckConstraint("ical_sequence >= 0", name="sequence_not_negative"),
    )
