"""The rows of one patient, or of a page of patients, in a table that names its patient
(``patient_id``), in the order a list shows them; the caller has checked that the reader
may see the patients."""

from __future__ import annotations

from collections.abc import Sequence
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


def rows_of_patients(
    session: Session,
    model: type[RowT],
    patient_ids: Sequence[int],
    *order_by: Any,
    options: Sequence[Any] = (),
) -> dict[int, list[RowT]]:
    """The rows of ``model`` of each of ``patient_ids`` in one query (a page of the
    registry read at once), each patient's in the order of ``order_by``; every patient
    asked for has a list, empty when it has no rows."""
    column = model.patient_id  # type: ignore[attr-defined]
    query = select(model).where(column.in_(patient_ids)).options(*options)
    found: dict[int, list[RowT]] = {pid: [] for pid in patient_ids}
    for row in session.scalars(query.order_by(*order_by)):
        found[row.patient_id].append(row)  # type: ignore[attr-defined]
    return found
