"""Message threads between a patient and the care team.

A thread belongs to one patient; its messages are never edited or deleted (each is
audited when written). The thread keeps what the queue and the read markers need:
``waiting_since`` is the time of the first patient message that no care-team message
has answered yet (empty when answered), ``patient_read_at`` and ``care_team_read_at``
the last time each side opened the thread. Assignment, closing and reopening change
the thread's ``version`` (optimistic locking: a stale change answers 409).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from respira.kit.columns import reference
from respira.kit.db import Base, UTCDateTime, utcnow

SIDES = ("patient", "care_team")
STATUSES = ("open", "closed")


class MessageThread(Base):
    __tablename__ = "message_threads"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    subject: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    opened_by_id: Mapped[int | None] = reference("users.id")
    opened_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="open")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    assignee_id: Mapped[int | None] = reference("users.id")
    assignee_name: Mapped[str | None] = mapped_column(sa.String(200))
    last_message_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    last_side: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    waiting_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    patient_read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    care_team_read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    messages: Mapped[list[ThreadMessage]] = relationship(
        back_populates="thread", order_by="ThreadMessage.id"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy idiom)
    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        sa.CheckConstraint("last_side IN ('patient', 'care_team')", name="last_side_known"),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL AND closed_by_name IS NOT NULL)",
            name="closed_consistent",
        ),
        sa.CheckConstraint(
            "(assignee_id IS NULL) = (assignee_name IS NULL)", name="assignee_consistent"
        ),
        sa.CheckConstraint(
            "waiting_since IS NULL OR last_side = 'patient'", name="waiting_on_patient_message"
        ),
        # The staff queue: open threads waiting, oldest first.
        sa.Index("ix_message_threads_status_waiting_since", "status", "waiting_since"),
    )


class ThreadMessage(Base):
    __tablename__ = "thread_messages"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    thread_id: Mapped[int] = reference("message_threads.id", index=True)
    side: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    author_id: Mapped[int | None] = reference("users.id")
    author_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    author_role: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    thread: Mapped[MessageThread] = relationship(back_populates="messages")

    __table_args__ = (
        sa.CheckConstraint("side IN ('patient', 'care_team')", name="side_known"),
        sa.CheckConstraint("length(body) > 0", name="body_not_empty"),
    )
