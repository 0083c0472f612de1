"""Tables of the cell product: donors and harvests (where the cells come from), lots
with their passages, versioned release specifications, quality-control results, the
dispensable units with their ISBT 128 DIN, and the append-only custody ledger per unit.

- A donor's screening panel is one column per marker (``non-reactive`` | ``reactive`` |
  NULL for not tested); eligibility is computed from them, never stored.
- A lot comes from exactly one donor or one harvest (a check says so). Its status is
  ``quarantine`` until a QA e-signature releases it; then ``released``, ``recalled`` or
  ``discarded``. ``version_id_col`` catches two users changing a lot's status at once.
- Release specifications are data with their source, never edited: a new version is a
  new row; the newest counts.
- QC results are never edited; the newest result per attribute counts.
- A unit's DIN is unique, and so is (facility, year, serial).
- ``custody_events`` is append-only: one ledger per unit, that the treatment step
  writes its bedside check and administration into as well.

Sources: clinical.md §5.1-5.5 (ISCT minimal criteria, release specifications, ISBT 128,
FACT-JACIE labelling and traceability).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from respira.kit.columns import reference
from respira.kit.db import Base, UTCDateTime, utcnow

MARKERS = ("hiv", "hbv", "hcv", "htlv", "syphilis", "cmv")
MARKER_RESULTS = ("non-reactive", "reactive")
TISSUES = ("bone_marrow", "adipose")
ORIGINS = ("donor", "harvest")
LOT_STATUSES = ("quarantine", "released", "recalled", "discarded")
UNIT_STATUSES = ("available", "allocated", "thawed", "administered", "discarded")


def _in(column: str, values: tuple[str, ...], *, nullable: bool = False) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    rule = f"{column} IN ({listed})"
    return f"{column} IS NULL OR {rule}" if nullable else rule


class Donor(Base):
    __tablename__ = "donors"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    consent: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    hiv: Mapped[str | None] = mapped_column(sa.String(16))
    hbv: Mapped[str | None] = mapped_column(sa.String(16))
    hcv: Mapped[str | None] = mapped_column(sa.String(16))
    htlv: Mapped[str | None] = mapped_column(sa.String(16))
    syphilis: Mapped[str | None] = mapped_column(sa.String(16))
    cmv: Mapped[str | None] = mapped_column(sa.String(16))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    recorded_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    __table_args__ = tuple(
        sa.CheckConstraint(_in(m, MARKER_RESULTS, nullable=True), name=m) for m in MARKERS
    )


class Harvest(Base):
    __tablename__ = "harvests"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    tissue: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    harvested_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    volume_ml: Mapped[float] = mapped_column(sa.Float, nullable=False)
    operator: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    recorded_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    __table_args__ = (
        sa.CheckConstraint(_in("tissue", TISSUES), name="tissue"),
        sa.CheckConstraint("volume_ml > 0", name="volume_positive"),
    )


class Lot(Base):
    __tablename__ = "lots"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    origin: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    donor_id: Mapped[int | None] = reference("donors.id", index=True)
    harvest_id: Mapped[int | None] = reference("harvests.id", index=True)
    medium: Mapped[str | None] = mapped_column(sa.String(120))
    cryoprotectant: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    cryopreserved_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    freezer: Mapped[str | None] = mapped_column(sa.String(40))
    rack: Mapped[str | None] = mapped_column(sa.String(40))
    box: Mapped[str | None] = mapped_column(sa.String(40))
    position: Mapped[str | None] = mapped_column(sa.String(40))
    expiry: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="quarantine")
    quarantine_reason: Mapped[str | None] = mapped_column(sa.Text)
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    released_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    release_signature_id: Mapped[int | None] = mapped_column(sa.ForeignKey("signatures.id"))
    release_spec_version: Mapped[str | None] = mapped_column(sa.String(64))
    recalled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recalled_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    recall_signature_id: Mapped[int | None] = mapped_column(sa.ForeignKey("signatures.id"))
    recall_reason: Mapped[str | None] = mapped_column(sa.Text)
    discarded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    discard_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy idiom)
    __table_args__ = (
        sa.CheckConstraint(_in("origin", ORIGINS), name="origin"),
        sa.CheckConstraint(_in("status", LOT_STATUSES), name="status"),
        sa.CheckConstraint(
            "(origin = 'donor' AND donor_id IS NOT NULL AND harvest_id IS NULL) OR "
            "(origin = 'harvest' AND harvest_id IS NOT NULL AND donor_id IS NULL)",
            name="one_origin",
        ),
        sa.CheckConstraint(
            "status != 'released' OR release_signature_id IS NOT NULL", name="released_signed"
        ),
        sa.CheckConstraint(
            "status != 'recalled' OR (recall_signature_id IS NOT NULL "
            "AND recall_reason IS NOT NULL)",
            name="recalled_signed",
        ),
    )


class LotPassage(Base):
    __tablename__ = "lot_passages"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    lot_id: Mapped[int] = reference("lots.id", index=True)
    passage: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    passaged_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    viable_cells_million: Mapped[float] = mapped_column(sa.Float, nullable=False)
    population_doublings: Mapped[float | None] = mapped_column(sa.Float)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    recorded_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("lot_id", "passage"),
        sa.CheckConstraint("passage >= 0", name="passage_not_negative"),
        sa.CheckConstraint("viable_cells_million >= 0", name="cells_not_negative"),
    )


class ReleaseSpecification(Base):
    __tablename__ = "release_specifications"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    items_json: Mapped[str] = mapped_column(sa.Text, nullable=False)
    passage_limit: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    source: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)


class QcResult(Base):
    __tablename__ = "qc_results"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    lot_id: Mapped[int] = reference("lots.id")
    attribute: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    value: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    method: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    tested_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    recorded_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    __table_args__ = (sa.Index("ix_qc_results_lot_attribute", "lot_id", "attribute", "id"),)


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    lot_id: Mapped[int] = reference("lots.id", index=True)
    din: Mapped[str] = mapped_column(sa.String(13), unique=True, nullable=False)
    check_character: Mapped[str] = mapped_column(sa.String(1), nullable=False)
    facility_code: Mapped[str] = mapped_column(sa.String(5), nullable=False)
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    serial: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    cells_million: Mapped[float] = mapped_column(sa.Float, nullable=False)
    volume_ml: Mapped[float] = mapped_column(sa.Float, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="available")
    thawed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    thaw_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    post_thaw_viability_pct: Mapped[float | None] = mapped_column(sa.Float)
    administration_id: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy idiom)
    __table_args__ = (
        sa.UniqueConstraint("facility_code", "year", "serial"),
        sa.CheckConstraint(_in("status", UNIT_STATUSES), name="status"),
    )


class CustodyEvent(Base):
    """One line of a unit's ledger: never updated, never deleted."""

    __tablename__ = "custody_events"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    unit_id: Mapped[int] = reference("units.id")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.Integer)
    actor_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    detail: Mapped[str] = mapped_column(sa.Text, nullable=False)
    location: Mapped[str | None] = mapped_column(sa.String(200))
    temperature_c: Mapped[float | None] = mapped_column(sa.Float)

    __table_args__ = (sa.Index("ix_custody_events_unit_at", "unit_id", "at", "id"),)


class DosePreparation(Base):
    """Units allocated to one infusion of an approved course, thawed, with the
    post-thaw viability and count (migration 0009, after the protocol step's courses).
    One preparation per infusion; a unit is allocated once (``dose_preparation_units``)."""

    __tablename__ = "dose_preparations"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    course_id: Mapped[int] = reference("courses.id")
    infusion_day: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    patient_id: Mapped[int] = reference("patients.id", index=True)
    lot_id: Mapped[int] = reference("lots.id")
    weight_kg: Mapped[float] = mapped_column(sa.Float, nullable=False)
    dose_million_cells_per_kg: Mapped[float] = mapped_column(sa.Float, nullable=False)
    dose_cells_total: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    viable_cells_million: Mapped[float] = mapped_column(sa.Float, nullable=False)
    thawed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    thaw_expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    post_thaw_viability_pct: Mapped[float] = mapped_column(sa.Float, nullable=False)
    post_thaw_cells_million: Mapped[float | None] = mapped_column(sa.Float)
    prepared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    prepared_by_id: Mapped[int | None] = reference("users.id")
    prepared_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("course_id", "infusion_day"),
        sa.CheckConstraint(
            "post_thaw_viability_pct >= 0 AND post_thaw_viability_pct <= 100", name="viability"
        ),
    )


class DosePreparationUnit(Base):
    __tablename__ = "dose_preparation_units"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    preparation_id: Mapped[int] = reference("dose_preparations.id", index=True)
    unit_id: Mapped[int] = reference("units.id", unique=True)
