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
    # TOTP two-factor sign-in (``respira.accounts.two_factor``): the shared secret
    # (base32, stored as it is: never shown after enrolment, never in the audit trail),
    # when it was confirmed, and the last 30-second time step whose code was accepted
    # (a code counts once). Not in the row hash: enabling, disabling and resets have
    # audit records of their own, and the secret must not enter any audit payload.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
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
        sa.CheckConstraint(
            "(totp_secret IS NULL) = (totp_enabled_at IS NULL)", name="totp_enabled_with_secret"
        ),
    )


class SignInFailure(RateHitColumns, Base):
    """One failed sign-in from one client (the keyed hash of its address, see
    ``respira.kit.ratelimit``) at one moment: the per-address sign-in throttle counts
    these. Rows older than the window are pruned as new ones come."""

    __tablename__ = "sign_in_failures"


class PasswordResetToken(Base):
    """A forgotten password's reset link (``respira.accounts.reset``): one use, until
    ``expires_at``. Only the keyed hash of its random token is kept (HMAC with the
    instance secret), so the table alone cannot reset anyone's password. A link is spent
    by one conditional ``UPDATE`` (unused, not revoked, not expired), so two uses at the
    same moment reset once; a newer link of the account revokes the older unused ones.
    ``requested_by`` says who asked: the person (``self``), an administrator in the
    browser (``admin``, with ``requested_by_id``) or the operator at the command line."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    user_id: Mapped[int] = reference("users.id", index=True)
    requested_by: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    requested_by_id: Mapped[int | None] = reference("users.id")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint(
            "requested_by IN ('self', 'admin', 'operator')", name="requested_by_known"
        ),
        sa.CheckConstraint(
            "(requested_by = 'admin') = (requested_by_id IS NOT NULL)", name="admin_named"
        ),
        sa.CheckConstraint("expires_at > created_at", name="expires_after_created"),
    )


class PasswordResetRequest(RateHitColumns, Base):
    """One request for a reset link, counted per client (the keyed hash of its address)
    and per email address asked for (its keyed hash, whether or not an account has it):
    the reset throttle counts these. Rows older than the window are pruned as new ones
    come."""

    __tablename__ = "password_reset_requests"


class RecoveryCode(Base):
    """One of the ten one-time recovery codes of an account with two-factor sign-in
    (for a lost phone): only its keyed hash (HMAC with the instance secret) is kept,
    and it is spent by one conditional ``UPDATE`` (``used_at IS NULL``), so it works once.
    Enabling two-factor sign-in again, turning it off or an administrator's reset
    deletes an account's codes."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int] = reference("users.id", index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class TwoFactorPolicy(Base):
    """Whether the accounts of a staff role must sign in with two factors, as an
    administrator last set it (a role without a row: not required)."""

    __tablename__ = "two_factor_policy"

    role: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    required: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    changed_by_id: Mapped[int] = reference("users.id")
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    __audit_row_columns__ = ("role", "required", "changed_by_id", "changed_at")

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'physician', 'nurse', 'coordinator', 'lab')", name="staff_role"
        ),
    )
