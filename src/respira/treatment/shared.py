"""What the use cases of the stay share: the DIN as scanned or typed, the course a
record belongs to, the refusal of a schema's cross-field problems, times not in the
future, and a patient's records newest first."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit import records
from respira.kit.actors import Actor, require_role
from respira.kit.db import utcnow
from respira.kit.errors import DomainError, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.patients import service as patients_service
from respira.products import service as products_service
from respira.protocols import service as protocols_service

OutT = TypeVar("OutT", bound=BaseModel)

# A time this far ahead of the server's clock is still "now" (clocks drift).
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


class MalformedDin(DomainError):
    """A DIN that is not 13 ISBT 128 characters, or whose typed check character is
    wrong: a bad request (400), stored nowhere."""

    status_code = 400
    title = "Bad request"


def parse_din(text: str) -> str:
    """The 13 characters of a scanned DIN, or of a typed one with its check character
    (14), checked by the products step's DIN rules; 400 otherwise."""
    try:
        return products_service.parse_din(text)
    except ValueError as exc:
        raise MalformedDin(f"din: {exc}") from exc


def raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise InvalidInput(errors)


def in_future(at: dt.datetime) -> bool:
    return at > utcnow() + CLOCK_TOLERANCE


def course_or_none(session: Session, actor: Actor, course_id: int) -> Any | None:
    try:
        return protocols_service.get_course(session, actor, course_id)
    except NotFound:
        return None


def is_approved(course: Any) -> bool:
    return course is not None and course.approved_at is not None and course.status == "approved"


def approved_course(
    session: Session, actor: Actor, course_id: int, patient_id: int | None = None
) -> Any:
    """The approved course a record belongs to (of ``patient_id`` when given); 422 on
    ``course_id`` otherwise."""
    course = course_or_none(session, actor, course_id)
    if course is None:
        raise InvalidInput({"course_id": N_("no such course")})
    if patient_id is not None and course.patient_id != patient_id:
        raise InvalidInput({"course_id": N_("the course is another patient's")})
    if not is_approved(course):
        raise InvalidInput({"course_id": N_("the course is not approved")})
    return course


def patient_records(
    session: Session,
    actor: Actor,
    roles: frozenset[Any],
    model: Any,
    patient_id: int,
    newest_first: Any,
    out: type[OutT],
    *options: Any,
) -> list[OutT]:
    """A patient's records of ``model`` for a use case of ``roles``, newest first by
    the column ``newest_first`` (then by id), as ``out``, and as the actor may see them
    (a patient sees none of their retracted records); ``options`` load relationships."""
    require_role(actor, roles)
    patients_service.get_visible(session, actor, patient_id)
    stmt = (
        select(model)
        .where(model.patient_id == patient_id)
        .options(*options)
        .order_by(newest_first.desc(), model.id.desc())
    )
    rows = list(session.scalars(stmt))
    return [out.model_validate(r) for r in records.visible_items(actor, rows)]
