"""Who wrote a record that is never edited, and when: a version of a plan or of a
reference list, a schedule made for a patient."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from respira.kit.columns import reference
from respira.kit.db import UTCDateTime, utcnow


class Created:
    """``created_at`` (now, unless given), ``created_by_id`` (the account, kept when it
    is deactivated) and ``created_by_name`` (the name as it was)."""

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = reference("users.id")
    created_by_name: Mapped[str] = mapped_column(String(200), nullable=False)
