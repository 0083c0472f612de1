"""The portal's tables: one-time sign-in links and the invitations that open a patient's
account.

A sign-in link stores the SHA-256 of its random token, never the token: the database
alone cannot sign anyone in. A link is spent by one conditional ``UPDATE`` (``used_at``
still empty, not expired, not revoked), so two clicks at the same moment sign in once.
Its ``next_path`` is a path of this site (``/...``, never ``//...``): no open redirect.

An invitation is asked for in the transaction of the change that calls for it (a
request converted into a patient, a discharge, a staff member's button) and carried out
by the portal's job: the account is created and the email written in transactions of
their own, so that the change that asked for it never waits on them.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from respira.kit.columns import reference
from respira.kit.db import Base, UTCDateTime, utcnow

INVITATION_STATES = ("pending", "account_ready", "sent", "skipped")
INVITATION_REASONS = ("conversion", "discharge", "staff")


class SignInLink(Base):
    __tablename__ = "sign_in_links"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    user_id: Mapped[int] = reference("users.id", index=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    purpose: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    next_path: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A newer invitation revokes the older ones that were never used.
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint(
            "next_path LIKE '/%' AND next_path NOT LIKE '//%'", name="next_path_local"
        ),
        sa.CheckConstraint("expires_at > created_at", name="expires_after_created"),
    )


class PortalInvitation(Base):
    __tablename__ = "portal_invitations"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    reason: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    requested_by_id: Mapped[int | None] = reference("users.id")
    requested_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="pending")
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Why an invitation was not sent ("the patient has no email address", ...).
    problem: Mapped[str | None] = mapped_column(sa.String(300))
    link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sign_in_links.id"))
    outbox_id: Mapped[int | None] = mapped_column(sa.Integer)

    __table_args__ = (
        sa.CheckConstraint(
            "state IN ('pending', 'account_ready', 'sent', 'skipped')", name="state_known"
        ),
        sa.CheckConstraint("reason IN ('conversion', 'discharge', 'staff')", name="reason_known"),
        sa.CheckConstraint(
            "(state = 'sent') = (link_id IS NOT NULL AND outbox_id IS NOT NULL)",
            name="sent_has_link",
        ),
        sa.CheckConstraint("(state = 'skipped') = (problem IS NOT NULL)", name="skipped_says_why"),
        sa.Index("ix_portal_invitations_state", "state"),
    )
