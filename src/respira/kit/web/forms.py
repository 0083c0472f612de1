"""HTML form handling: read a posted form, validate it with a Pydantic schema, turn
validation errors into one message per field for the template, and run the use case
(``attempt``): a page handler then either redirects (303, post/redirect/get) or
re-renders its form with the errors, and never rolls a transaction back itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from respira.kit.errors import Conflict, DomainError, InvalidInput, PreconditionRequired

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

MAX_FORM_FIELDS = 200


def error_message(err: dict[str, Any]) -> str:
    msg = str(err.get("msg", "is not valid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg


def errors_by_field(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = err.get("loc", ())
        field = str(loc[0]) if loc else "__all__"
        out.setdefault(field, error_message(dict(err)))
    return out


async def read_form(request: Request) -> dict[str, str]:
    form = await request.form(max_fields=MAX_FORM_FIELDS)
    data: dict[str, str] = {}
    for key, value in form.multi_items():
        if key == "csrf_token" or not isinstance(value, str):
            continue
        data[key] = value
    return data


async def posted_form(request: Request) -> dict[str, str]:
    """The posted form as a dependency, read on the event loop, so that page handlers
    can be plain functions: FastAPI runs them in a worker thread, and their database
    work (which may wait for SQLite's write lock) and password hashing never hold up
    the event loop."""
    return await read_form(request)


def parse(schema: type[M], data: dict[str, Any]) -> tuple[M | None, dict[str, str]]:
    try:
        return schema.model_validate(data), {}
    except ValidationError as exc:
        return None, errors_by_field(exc)


@dataclass(frozen=True)
class Refused:
    """A use case that refused what the form asked, for the page to show again with the
    errors next to their fields: ``status_code`` 409 (``stale``: someone else changed
    the record, or it may no longer change), 422, 428 or 403."""

    errors: dict[str, str]
    status_code: int
    stale: bool


def attempt(
    session: Session,
    use_case: Callable[[], T],
    *,
    refusals: tuple[type[DomainError], ...] = (Conflict, InvalidInput, PreconditionRequired),
    message_field: Mapping[type[DomainError], str] | None = None,
) -> T | Refused:
    """Run a form post's use case. A refusal the user can act on rolls the request's
    transaction back (so that the page re-rendered after it reads the current state and
    holds no write lock) and comes back as ``Refused``; anything else propagates to the
    error pages. ``message_field`` puts a refusal's message next to a field (a wrong
    signature password next to the password) instead of at the top of the form."""
    try:
        return use_case()
    except refusals as exc:
        session.rollback()
        if isinstance(exc, InvalidInput):
            errors = dict(exc.errors)
        else:
            field = next(
                (f for kind, f in (message_field or {}).items() if isinstance(exc, kind)),
                "__all__",
            )
            errors = {field: exc.message}
        return Refused(errors, exc.status_code, isinstance(exc, Conflict))


def submit(
    session: Session,
    schema: type[M],
    data: dict[str, Any],
    use_case: Callable[[M], T],
    *,
    refusals: tuple[type[DomainError], ...] = (Conflict, InvalidInput, PreconditionRequired),
    message_field: Mapping[type[DomainError], str] | None = None,
) -> T | Refused:
    """Validate a form with ``schema`` and ``attempt`` the use case on what it parsed.
    A form that does not parse is ``Refused`` with its errors by field and 422, before
    the use case runs."""
    body, errors = parse(schema, data)
    if body is None:
        return Refused(errors, 422, False)
    return attempt(session, lambda: use_case(body), refusals=refusals, message_field=message_field)
