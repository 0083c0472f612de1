"""User accounts. One row per person who signs in: staff and patients alike."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from respira.kit.columns import reference
from respira.kit.db import Base, UTCDateTime, utcnow
from respira.kit.ratelimit import RateHitColumns


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    failed_logins: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Bumped on sign-out and on password change: every cookie and token that carries
    # an older epoch stops working at once.
    session_epoch: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    # A patient account is linked to exactly one patient; staff accounts to none.
    patient_id: Mapped[int | None] = reference("patients.id", unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The row hash of the audit trail (respira.kit.audit.verify_rows): what an audited
    # change sets, not the sign-in bookkeeping that changes without an audit record.
    __audit_row_columns__ = (
        "id", "email", "name", "role", "password_hash", "is_active", "patient_id", "created_at",
    )  # fmt: skip

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'physician', 'nurse', 'coordinator', 'lab', 'patient')",
            name="role",
        ),
        sa.CheckConstraint("(role = 'patient') = (patient_id IS NOT NULL)", name="patient_link"),
    )


class SignInFailure(RateHitColumns, Base):
    """One failed sign-in from one client (the keyed hash of its address, see
    ``respira.kit.ratelimit``) at one moment: the per-address sign-in throttle counts
    these. Rows older than the window are pruned as new ones come."""

    __tablename__ = "sign_in_failures"
