"""products: donors, harvests, lots and passages, release specifications, QC results,
units with their ISBT 128 DIN, and the custody ledger

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The default release specification is not inserted here: it is installed on first use
(``respira.products.service``), so that a later Respira version that ships a newer
default installs it without a data migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "donors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("hiv", sa.String(length=16), nullable=True),
        sa.Column("hbv", sa.String(length=16), nullable=True),
        sa.Column("hcv", sa.String(length=16), nullable=True),
        sa.Column("htlv", sa.String(length=16), nullable=True),
        sa.Column("syphilis", sa.String(length=16), nullable=True),
        sa.Column("cmv", sa.String(length=16), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "cmv IS NULL OR cmv IN ('non-reactive', 'reactive')", name=op.f("ck_donors_cmv")
        ),
        sa.CheckConstraint(
            "hbv IS NULL OR hbv IN ('non-reactive', 'reactive')", name=op.f("ck_donors_hbv")
        ),
        sa.CheckConstraint(
            "hcv IS NULL OR hcv IN ('non-reactive', 'reactive')", name=op.f("ck_donors_hcv")
        ),
        sa.CheckConstraint(
            "hiv IS NULL OR hiv IN ('non-reactive', 'reactive')", name=op.f("ck_donors_hiv")
        ),
        sa.CheckConstraint(
            "htlv IS NULL OR htlv IN ('non-reactive', 'reactive')", name=op.f("ck_donors_htlv")
        ),
        sa.CheckConstraint(
            "syphilis IS NULL OR syphilis IN ('non-reactive', 'reactive')",
            name=op.f("ck_donors_syphilis"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donors")),
        sa.UniqueConstraint("code", name=op.f("uq_donors_code")),
    )
    op.create_table(
        "release_specifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("items_json", sa.Text(), nullable=False),
        sa.Column("passage_limit", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_specifications")),
        sa.UniqueConstraint("version", name=op.f("uq_release_specifications_version")),
    )
    op.create_table(
        "harvests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("tissue", sa.String(length=16), nullable=False),
        sa.Column("harvested_on", sa.Date(), nullable=False),
        sa.Column("volume_ml", sa.Float(), nullable=False),
        sa.Column("operator", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.CheckConstraint("tissue IN ('bone_marrow', 'adipose')", name=op.f("ck_harvests_tissue")),
        sa.CheckConstraint("volume_ml > 0", name=op.f("ck_harvests_volume_positive")),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_harvests_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvests")),
    )
    with op.batch_alter_table("harvests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_harvests_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "lots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=True),
        sa.Column("harvest_id", sa.Integer(), nullable=True),
        sa.Column("medium", sa.String(length=120), nullable=True),
        sa.Column("cryoprotectant", sa.String(length=120), nullable=False),
        sa.Column("cryopreserved_on", sa.Date(), nullable=True),
        sa.Column("freezer", sa.String(length=40), nullable=True),
        sa.Column("rack", sa.String(length=40), nullable=True),
        sa.Column("box", sa.String(length=40), nullable=True),
        sa.Column("position", sa.String(length=40), nullable=True),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("quarantine_reason", sa.Text(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by_name", sa.String(length=200), nullable=True),
        sa.Column("release_signature_id", sa.Integer(), nullable=True),
        sa.Column("release_spec_version", sa.String(length=64), nullable=True),
        sa.Column("recalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recalled_by_name", sa.String(length=200), nullable=True),
        sa.Column("recall_signature_id", sa.Integer(), nullable=True),
        sa.Column("recall_reason", sa.Text(), nullable=True),
        sa.Column("discarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discard_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(origin = 'donor' AND donor_id IS NOT NULL AND harvest_id IS NULL) OR "
            "(origin = 'harvest' AND harvest_id IS NOT NULL AND donor_id IS NULL)",
            name=op.f("ck_lots_one_origin"),
        ),
        sa.CheckConstraint("origin IN ('donor', 'harvest')", name=op.f("ck_lots_origin")),
        sa.CheckConstraint(
            "status != 'recalled' OR (recall_signature_id IS NOT NULL "
            "AND recall_reason IS NOT NULL)",
            name=op.f("ck_lots_recalled_signed"),
        ),
        sa.CheckConstraint(
            "status != 'released' OR release_signature_id IS NOT NULL",
            name=op.f("ck_lots_released_signed"),
        ),
        sa.CheckConstraint(
            "status IN ('quarantine', 'released', 'recalled', 'discarded')",
            name=op.f("ck_lots_status"),
        ),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donors.id"], name=op.f("fk_lots_donor_id_donors"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["harvest_id"],
            ["harvests.id"],
            name=op.f("fk_lots_harvest_id_harvests"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recall_signature_id"],
            ["signatures.id"],
            name=op.f("fk_lots_recall_signature_id_signatures"),
        ),
        sa.ForeignKeyConstraint(
            ["release_signature_id"],
            ["signatures.id"],
            name=op.f("fk_lots_release_signature_id_signatures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots")),
        sa.UniqueConstraint("code", name=op.f("uq_lots_code")),
    )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lots_donor_id"), ["donor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lots_harvest_id"), ["harvest_id"], unique=False)

    op.create_table(
        "lot_passages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("passage", sa.Integer(), nullable=False),
        sa.Column("passaged_on", sa.Date(), nullable=False),
        sa.Column("viable_cells_million", sa.Float(), nullable=False),
        sa.Column("population_doublings", sa.Float(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.CheckConstraint("passage >= 0", name=op.f("ck_lot_passages_passage_not_negative")),
        sa.CheckConstraint(
            "viable_cells_million >= 0", name=op.f("ck_lot_passages_cells_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name=op.f("fk_lot_passages_lot_id_lots"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot_passages")),
        sa.UniqueConstraint("lot_id", "passage", name=op.f("uq_lot_passages_lot_id_passage")),
    )
    with op.batch_alter_table("lot_passages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lot_passages_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "qc_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("attribute", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=200), nullable=False),
        sa.Column("tested_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name=op.f("fk_qc_results_lot_id_lots"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_results")),
    )
    with op.batch_alter_table("qc_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_qc_results_lot_attribute", ["lot_id", "attribute", "id"], unique=False
        )

    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("din", sa.String(length=13), nullable=False),
        sa.Column("check_character", sa.String(length=1), nullable=False),
        sa.Column("facility_code", sa.String(length=5), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("cells_million", sa.Float(), nullable=False),
        sa.Column("volume_ml", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("thawed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("thaw_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("post_thaw_viability_pct", sa.Float(), nullable=True),
        sa.Column("administration_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('available', 'allocated', 'thawed', 'administered', 'discarded')",
            name=op.f("ck_units_status"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name=op.f("fk_units_lot_id_lots"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("din", name=op.f("uq_units_din")),
        sa.UniqueConstraint(
            "facility_code", "year", "serial", name=op.f("uq_units_facility_code_year_serial")
        ),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "custody_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_custody_events_unit_id_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_events")),
    )
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.create_index("ix_custody_events_unit_at", ["unit_id", "at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.drop_index("ix_custody_events_unit_at")

    op.drop_table("custody_events")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_lot_id"))

    op.drop_table("units")
    with op.batch_alter_table("qc_results", schema=None) as batch_op:
        batch_op.drop_index("ix_qc_results_lot_attribute")

    op.drop_table("qc_results")
    with op.batch_alter_table("lot_passages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lot_passages_lot_id"))

    op.drop_table("lot_passages")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lots_harvest_id"))
        batch_op.drop_index(batch_op.f("ix_lots_donor_id"))

    op.drop_table("lots")
    with op.batch_alter_table("harvests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_harvests_patient_id"))

    op.drop_table("harvests")
    op.drop_table("release_specifications")
    op.drop_table("donors")
