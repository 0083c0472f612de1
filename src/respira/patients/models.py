"""The patient registry: one row per person the clinic looks after."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from respira.kit.db import Base, UTCDateTime, utcnow


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    medical_record_number: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    first_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    last_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    date_of_birth: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    sex_at_birth: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    country: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    preferred_language: Mapped[str] = mapped_column(sa.String(35), nullable=False)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    height_cm: Mapped[float | None] = mapped_column(sa.Float)
    weight_kg: Mapped[float | None] = mapped_column(sa.Float)
    smoking_pack_years: Mapped[float | None] = mapped_column(sa.Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # First name, last name and record number folded for search (see
    # respira.kit.validation.fold); kept by the service whenever those change.
    search_key: Mapped[str] = mapped_column(sa.String(400), nullable=False)
    # First and last name in Latin letters reduced to their spelling skeleton (see
    # respira.patients.matching.skeleton: "Иванова" and "Iwanowa" both "ivanova"), for
    # search across transliterations; kept by the service. A row written around the
    # service (a bulk load) may leave it empty and is then found by search_key alone.
    name_key: Mapped[str | None] = mapped_column(sa.String(400))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy idiom)
    # The row hash of the audit trail (respira.kit.audit.verify_rows) leaves out the
    # search keys: derived from the names, and rebuilt by migrations.
    __audit_row_exclude__ = ("search_key", "name_key")
    __table_args__ = (
        sa.CheckConstraint("sex_at_birth IN ('female', 'male')", name="sex_at_birth"),
        sa.CheckConstraint(
            "height_cm IS NULL OR (height_cm >= 40 AND height_cm <= 250)", name="height_range"
        ),
        sa.CheckConstraint(
            "weight_kg IS NULL OR (weight_kg >= 2 AND weight_kg <= 400)", name="weight_range"
        ),
        sa.Index("ix_patients_last_name_first_name", "last_name", "first_name"),
        # Where the duplicate check finds its candidates: same birth date, email or phone.
        sa.Index("ix_patients_date_of_birth", "date_of_birth"),
        sa.Index("ix_patients_email_lower", sa.func.lower(sa.text("email"))),
        sa.Index("ix_patients_phone", "phone"),
    )


# The search index (migration 0025) is made of objects a SQLAlchemy model cannot
# express: on PostgreSQL trigram (GIN, gin_trgm_ops) indexes on search_key and
# name_key; on SQLite an FTS5 table with the trigram tokenizer (and the shadow tables
# FTS5 keeps beside it) that triggers keep in step with this table. Declared here, so
# that the comparison of models and migrations leaves them out by name.
SEARCH_TABLE = "patient_search"
SEARCH_INDEX_OBJECTS = frozenset(
    {
        SEARCH_TABLE,
        *(f"{SEARCH_TABLE}_{shadow}" for shadow in ("data", "idx", "docsize", "config")),
        "ix_patients_search_key_trgm",
        "ix_patients_name_key_trgm",
    }
)
Base.metadata.info.setdefault("unmodelled", set()).update(SEARCH_INDEX_OBJECTS)
