"""Tables of the intake step: consultation and call-back requests, and the counter
behind the public forms' rate limit.

A request keeps the consent exactly as it was given: the version of the wording, the
language it was shown in and the moment (GDPR Art. 7(1): the clinic must be able to
show that the person consented to processing their health data, Art. 9(2)(a)).
The rate-limit counter stores a keyed hash of the client address, never the address
itself, and lives in the database so that the limit holds across worker processes.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from respira.kit.columns import reference
from respira.kit.db import Base, UTCDateTime, utcnow
from respira.kit.ratelimit import RateHitColumns

# Column sizes; the schemas enforce the (smaller or equal) limits of the input.
NAME_MAX = 200
EMAIL_MAX = 254
PHONE_STORED_MAX = 20  # normalised: an optional "+" and at most 15 digits
LANGUAGE_MAX = 35
CONTACT_TIME_MAX = 100
DESCRIPTION_MAX = 2000
CONSENT_VERSION_MAX = 32
DECLINE_REASON_MAX = 500
NOTES_MAX = 2000


class ConsultationRequest(Base):
    __tablename__ = "consultation_requests"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX), nullable=False)
    email: Mapped[str | None] = mapped_column(sa.String(EMAIL_MAX))
    phone: Mapped[str | None] = mapped_column(sa.String(PHONE_STORED_MAX))
    country: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    preferred_language: Mapped[str] = mapped_column(sa.String(LANGUAGE_MAX), nullable=False)
    preferred_contact_time: Mapped[str | None] = mapped_column(sa.String(CONTACT_TIME_MAX))
    description: Mapped[str | None] = mapped_column(sa.Text)
    consent: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    consent_text_version: Mapped[str] = mapped_column(
        sa.String(CONSENT_VERSION_MAX), nullable=False
    )
    consent_language: Mapped[str] = mapped_column(sa.String(LANGUAGE_MAX), nullable=False)
    consent_given_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    # "web" (the public page) or "api" (POST /api/v1/consultation-requests).
    channel: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="new")
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    patient_id: Mapped[int | None] = reference("patients.id", unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy idiom)
    __table_args__ = (
        sa.CheckConstraint("kind IN ('consultation', 'callback')", name="kind"),
        sa.CheckConstraint(
            "status IN ('new', 'contacted', 'scheduled', 'converted', 'declined')",
            name="status",
        ),
        sa.CheckConstraint("channel IN ('web', 'api')", name="channel"),
        sa.CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="contact"),
        sa.CheckConstraint("kind <> 'callback' OR phone IS NOT NULL", name="callback_phone"),
        sa.CheckConstraint("consent", name="consent_given"),
        sa.CheckConstraint(
            "(status = 'declined') = (decline_reason IS NOT NULL)", name="decline_reason"
        ),
        sa.CheckConstraint(
            "(status = 'converted') = (patient_id IS NOT NULL)", name="patient_link"
        ),
        sa.Index("ix_consultation_requests_status_created", "status", "created_at"),
        sa.Index("ix_consultation_requests_created_at", "created_at"),
        sa.Index("ix_consultation_requests_country", "country"),
        sa.Index("ix_consultation_requests_preferred_language", "preferred_language"),
    )


class PublicRateHit(RateHitColumns, Base):
    """One accepted submission of a public form by one client (keyed hash of its
    address) at one moment. Rows older than the window are pruned as new ones come."""

    __tablename__ = "public_rate_hits"
