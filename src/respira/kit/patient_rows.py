"""The rows of one patient in a table that names its patient (``patient_id``), in the
order a list shows them; the caller has checked that the reader may see the patient."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

RowT = TypeVar("RowT")


def rows_of_patient(
    session: Session, model: type[RowT], patient_id: int, *order_by: Any
) -> list[RowT]:
    """Every row of ``model`` that belongs to the patient, ordered by ``order_by``."""
    query = select(model).where(model.patient_id == patient_id)  # type: ignore[attr-defined]
    return list(session.scalars(query.order_by(*order_by)))
