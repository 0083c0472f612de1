"""User accounts. One row per person who signs in: staff and patients alike."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from respira.kit.columns import reference
from respira.kit.db import Base, UTCDateTime, utcnow


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

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'physician', 'nurse', 'coordinator', 'lab', 'patient')",
            name="role",
        ),
        sa.CheckConstraint("(role = 'patient') = (patient_id IS NOT NULL)", name="patient_link"),
    )
