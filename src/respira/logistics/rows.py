"""Reading and locking the step's rows the same way in every use case: a stay as a
reader may see it, a row of a patient locked for a change (the patient's row first, then
the row: the order every use case of the step takes, so that two never wait on each
other in a circle), and a stay that must still be booked to change."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from respira.kit import records
from respira.kit.actors import Actor
from respira.kit.errors import Conflict, NotFound
from respira.logistics.models import Stay
from respira.patients import service as patients_service

RowT = TypeVar("RowT")


def load_stay(session: Session, actor: Actor, stay_id: int) -> Stay:
    """The stay for a reader of the use case's roles (a patient: their own only)."""
    stay = session.get(Stay, stay_id)
    if stay is None or records.hidden_from(actor, stay.patient_id, False):
        raise NotFound("no such stay")
    return stay


def locked(session: Session, actor: Actor, model: type[RowT], row_id: int, what: str) -> RowT:
    """A row that names its patient, read ``FOR UPDATE`` after its patient's row."""
    found = session.get(model, row_id)
    if found is None:
        raise NotFound(f"no such {what}")
    patients_service.get_for_update(session, actor, found.patient_id)  # type: ignore[attr-defined]
    row = records.lock_row(session, model, row_id)
    assert row is not None
    return row


def still_booked(stay: Stay) -> Stay:
    """The stay, when it may still change: cancelled and completed stays are final."""
    if stay.state != "booked":
        raise Conflict(f"the stay is {stay.state} and no longer changes")
    return stay
