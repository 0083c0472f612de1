"""HTML form handling: read a posted form, validate it with a Pydantic schema, and
turn validation errors into one message per field for the template."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

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
