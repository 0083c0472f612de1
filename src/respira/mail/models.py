"""The outbox: every email Respira sends, written in the transaction of the change that
causes it and sent later by the jobs process.

A row is ``pending`` until the sender claims it (``sending``, with ``claimed_at``), then
``sent``, or back to ``pending`` with ``next_attempt_at`` after a failure, or ``failed``
when the server refused it for good or after the last attempt. Attachments are stored
with the message (a JSON list of ``{filename, content_type, data}``, the data base64) so
that the message sent is exactly the message written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from respira.kit.columns import reference
from respira.kit.db import Base, UTCDateTime, utcnow

STATES: tuple[str, ...] = ("pending", "sending", "sent", "failed")


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    patient_id: Mapped[int | None] = reference("patients.id", index=True)
    to_addresses: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(998), nullable=False)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    html: Mapped[str | None] = mapped_column(sa.Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed')", name="state_known"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint("(state = 'sent') = (sent_at IS NOT NULL)", name="sent_has_time"),
        sa.Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        sa.Index("ix_outbox_created_at", "created_at"),
    )
