"""Answers read from table rows: a use case's Pydantic answer holds mostly the columns of
one row under the same names, and a few values of its own (computed, renamed, read from
another row). ``from_row`` copies the first and takes the second as keywords, so that a
reader sees only what differs from the row."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def from_row(schema: type[M], row: Any, **values: Any) -> M:
    """``schema`` with each field that is not in ``values`` read from the row's attribute
    of the same name (a field the row has no attribute for keeps its default), and the
    fields in ``values`` as given."""
    fields = {
        name: getattr(row, name)
        for name in schema.model_fields
        if name not in values and hasattr(row, name)
    }
    return schema(**fields, **values)
