"""The table of medical summaries: one row per version of a summary.

A summary is a draft while the physician writes the recommendations; the e-signature
("approved summary") freezes it: the content it was made from (as JSON), the PDF in the
patient's language and, for a patient who reads another language, the English PDF, each
with its SHA-256, are stored and never change. A correction is the next version
(``revises_id`` points at the signed version it corrects, at most one correction per
version: the unique key), with the physician's account of what changed; when the
correction is signed, the version it corrects becomes ``superseded`` and stays
downloadable.

``draft_revision`` counts the edits of a draft (optimistic locking: a stale edit is 409),
so that ``version`` keeps its clinical meaning, the document's version.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from respira.kit.columns import reference
from respira.kit.db import Base, UTCDateTime

KINDS: tuple[str, ...] = ("discharge", "follow_up")
STATUSES: tuple[str, ...] = ("draft", "signed", "superseded")


class MedicalSummary(Base):
    __tablename__ = "medical_summaries"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id")
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    language: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # Checked at commit (NO ACTION, deferred), not row by row: a correction and the
    # version it corrects can only ever be removed together, in one statement (an
    # operator's clean-up of a test database; Respira itself deletes no summary).
    revises_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("medical_summaries.id", deferrable=True, initially="DEFERRED"),
        unique=True,
    )
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    recommendations: Mapped[str | None] = mapped_column(sa.Text)
    what_changed: Mapped[str | None] = mapped_column(sa.Text)
    changed_sections: Mapped[list[str] | None] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by_id: Mapped[int | None] = reference("users.id")
    created_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[int | None] = reference("users.id")
    signed_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    signature_id: Mapped[int | None] = reference("signatures.id")
    # What was signed: the content the PDFs were made from, and the PDFs (loaded only
    # when asked for: a list of summaries never reads them).
    content: Mapped[dict[str, Any] | None] = deferred(mapped_column(sa.JSON))
    content_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    pdf: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    pdf_english: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    pdf_english_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    draft_revision: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": draft_revision}  # noqa: RUF012 (SQLAlchemy idiom)
    __table_args__ = (
        sa.CheckConstraint("kind IN ('discharge', 'follow_up')", name="kind"),
        sa.CheckConstraint("status IN ('draft', 'signed', 'superseded')", name="status"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("(version = 1) = (revises_id IS NULL)", name="first_or_correction"),
        sa.CheckConstraint(
            "(status = 'draft') = (signature_id IS NULL AND signed_at IS NULL "
            "AND pdf_sha256 IS NULL AND content_sha256 IS NULL)",
            name="signed_is_frozen",
        ),
        sa.CheckConstraint(
            "status = 'draft' OR (signed_by_name IS NOT NULL AND recommendations IS NOT NULL)",
            name="signed_has_signer",
        ),
        sa.CheckConstraint("version = 1 OR what_changed IS NOT NULL", name="correction_says_why"),
        sa.Index("ix_medical_summaries_patient_status", "patient_id", "status"),
    )
