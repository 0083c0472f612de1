"""The clinical-record kit: what every step's clinical records share.

- **Who may see a patient's records.** Staff of the roles a use case allows see every
  patient; a patient account sees only its own patient, and none of its retracted
  records (they may have been entered for the wrong person). Everything else answers
  404, never 403, so a patient cannot learn which record numbers exist.
  ``patient_visible`` / ``require_patient_visible`` / ``hidden_from`` hold that rule.
- **Records that are never edited.** ``Recorded`` gives a table who recorded a row and
  when, and its retraction ("entered in error", with who, when and why — all three
  columns empty or all filled, ``RETRACTION_CONSISTENT``). A later record that replaces
  an earlier one points at it with ``supersedes_id`` (the step declares the column,
  since it names its own table).
- **Use cases end the same way.** ``store`` inserts a record, audits it and commits;
  ``retract`` marks one entered in error, audited with the reason; ``flush_or_conflict``
  turns a lost race (a unique key taken, a version changed at the same moment) into a
  409 that changed nothing; ``check_version`` compares the version a client read with
  the current one.
- **Locks that say what they do.** ``lock_row`` reads a row ``FOR UPDATE``: on
  PostgreSQL a row lock held to the end of the transaction; on SQLite the write
  transaction (``BEGIN IMMEDIATE``, see ``respira.kit.db``) already holds the database's
  only write lock, so the statement is a plain read there.

See ``docs/decisions/2026-11-23-diagnostics-immutable-records.md`` and
``docs/decisions/2026-12-01-the-house.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from respira.kit import audit
from respira.kit.actors import Actor, Role
from respira.kit.db import UTCDateTime, utcnow
from respira.kit.errors import Conflict, NotFound
from respira.kit.marks import N_
from respira.kit.texts import Msg

OutT = TypeVar("OutT", bound=BaseModel)
RowT = TypeVar("RowT")

# --- who may see ----------------------------------------------------------------------


def patient_visible(actor: Actor, patient_id: int) -> bool:
    """Whether the actor may see this patient's records at all (the role check of the
    use case comes first): staff yes, a patient account only its own patient."""
    return actor.role != Role.PATIENT or actor.patient_id == patient_id


def require_patient_visible(actor: Actor, patient_id: int, what: str = "patient") -> None:
    if not patient_visible(actor, patient_id):
        raise NotFound(f"no such {what}")


def hidden_from(actor: Actor, patient_id: int, retracted: bool) -> bool:
    """A record of ``patient_id`` is hidden from the actor when it is another patient's,
    or when the actor is a patient and the record was retracted."""
    if actor.role != Role.PATIENT:
        return False
    return actor.patient_id != patient_id or retracted


def visible_items(actor: Actor, items: list[RowT]) -> list[RowT]:
    """The records of a list that the actor may see: a patient sees no retracted ones."""
    if actor.role != Role.PATIENT:
        return items
    return [item for item in items if not getattr(item, "retracted", False)]


def newest_live(items: Iterable[RowT]) -> RowT | None:
    """The first record not retracted, from records ordered newest first: the one that
    counts (the newest spirometry of a visit, say)."""
    return next((item for item in items if not getattr(item, "retracted", False)), None)


def count_live(items: Iterable[Any]) -> int:
    return sum(1 for item in items if not getattr(item, "retracted", False))


# --- records that are never edited ----------------------------------------------------

RETRACTION_CONSISTENT = (
    "(retracted_at IS NULL AND retracted_by_name IS NULL AND retraction_reason IS NULL) OR "
    "(retracted_at IS NOT NULL AND retracted_by_name IS NOT NULL "
    "AND retraction_reason IS NOT NULL)"
)


class Recorded:
    """Who recorded a row and when, and its retraction ("entered in error"). Tables
    that mix this in add ``CheckConstraint(RETRACTION_CONSISTENT, name="retraction")``."""

    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    recorded_by_name: Mapped[str] = mapped_column(String(200), nullable=False)
    retracted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    retracted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    retracted_by_name: Mapped[str | None] = mapped_column(String(200))
    retraction_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def retracted(self) -> bool:
        return self.retracted_at is not None


def stamp(actor: Actor) -> dict[str, Any]:
    """The ``recorded_*`` columns of a new record made by ``actor`` now."""
    return {
        "recorded_at": utcnow(),
        "recorded_by_id": actor.user_id,
        "recorded_by_name": actor.name,
    }


# --- use cases end the same way -------------------------------------------------------


@contextmanager
def flush_or_conflict(session: Session, message: str) -> Iterator[None]:
    """Run the block and flush; a unique key taken or a version changed by a parallel
    writer at the same moment rolls the transaction back and answers 409 ``message``."""
    try:
        yield
        session.flush()
    except (IntegrityError, StaleDataError) as exc:
        session.rollback()
        raise Conflict(message) from exc


def flush(session: Session, conflict_message: str) -> None:
    """``session.flush()``, with a lost race answered as 409 (see ``flush_or_conflict``)."""
    with flush_or_conflict(session, conflict_message):
        pass


# What a stale edit names, marked for the pages' translation (``check_version``).
RECORD_KINDS = (
    N_("record"),
    N_("screening"),
    N_("adverse event"),
    N_("checklist item"),
    N_("stay"),
    N_("thread"),
    N_("request"),
    N_("summary draft"),
)
STALE = N_(
    "the %(what)s was changed by someone else (you edited version %(expected)s, "
    "it is now version %(current)s); reload it and apply your change again"
)


def check_version(current: int, expected: int, what: str = "record") -> None:
    """The version a client read must still be the current one (optimistic locking).
    ``what`` is one of ``RECORD_KINDS``, so that a page says it in the reader's language."""
    if current != expected:
        raise Conflict(Msg(STALE, what=Msg(what), expected=expected, current=current))


def store(
    session: Session,
    actor: Actor,
    row: Any,
    *,
    entity_type: str,
    out: type[OutT],
    audit_after: Callable[[OutT], Mapping[str, Any]] | None = None,
    reason: str | None = None,
    commit: bool = True,
) -> OutT:
    """Insert one new record, audit it (by default with everything the answer holds,
    computed values included), commit, and answer with the stored record: the end of
    every "record ..." use case."""
    session.add(row)
    session.flush()
    result = out.model_validate(row)
    after = audit_after(result) if audit_after else result.model_dump(mode="json")
    audit.record(
        session,
        actor,
        entity_type=entity_type,
        entity_id=row.id,
        action="create",
        row=row,
        after=after,
        reason=reason,
    )
    if commit:
        session.commit()
    return result


def retract(
    session: Session,
    actor: Actor,
    row: Any,
    *,
    entity_type: str,
    reason: str,
    commit: bool = True,
) -> None:
    """Mark a record as entered in error, with who, when and why, audited. It stays
    readable to staff; it stops counting everywhere else. A second retraction is 409."""
    if row.retracted_at is not None:
        raise Conflict("this was already retracted")
    row.retracted_at = utcnow()
    row.retracted_by_id = actor.user_id
    row.retracted_by_name = actor.name
    row.retraction_reason = reason
    session.flush()
    audit.record(
        session,
        actor,
        entity_type=entity_type,
        entity_id=row.id,
        action="retract",
        row=row,
        before={"retracted": False},
        after={"retracted": True, "retracted_at": row.retracted_at, "reason": reason},
        reason=reason,
    )
    if commit:
        session.commit()


# --- locks ----------------------------------------------------------------------------


def lock_row(session: Session, model: type[RowT], row_id: int) -> RowT | None:
    """The row, read ``FOR UPDATE`` (a row lock to the end of the transaction on
    PostgreSQL; on SQLite the write transaction already excludes every other writer),
    and refreshed, so that what the caller checks is what it changes."""
    return session.get(model, row_id, with_for_update=True, populate_existing=True)
