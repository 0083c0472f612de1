"""Columns every step's tables declare the same way."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import mapped_column


def reference(
    target: str, *, ondelete: str = "RESTRICT", index: bool = False, unique: bool = False
) -> Any:
    """A foreign key column to ``target`` (``"table.id"``). The row it points at cannot
    be deleted while it is referred to (``RESTRICT``) unless ``ondelete`` says otherwise
    (``CASCADE`` for a row's own parts). Required or not as the ``Mapped[...]``
    annotation says (``Mapped[int]`` is NOT NULL, ``Mapped[int | None]`` may be NULL)."""
    return mapped_column(
        sa.ForeignKey(target, ondelete=ondelete), index=index or None, unique=unique or None
    )
