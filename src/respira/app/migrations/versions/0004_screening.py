"""screening: eligibility criteria sets, screening findings and signed decisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

The shipped default criteria set is not inserted here: it is installed on first use
(``respira.screening.service.ensure_default``), so that a later Respira version that
ships a newer default installs that one as well without a data migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_criteria_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("toml_text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("based_on_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("activated_by_name", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["based_on_id"],
            ["screening_criteria_sets.id"],
            name=op.f("fk_screening_criteria_sets_based_on_id_screening_criteria_sets"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_screening_criteria_sets_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_criteria_sets")),
        sa.UniqueConstraint("version", name=op.f("uq_screening_criteria_sets_version")),
    )
    with op.batch_alter_table("screening_criteria_sets", schema=None) as batch_op:
        batch_op.create_index(
            "uq_screening_criteria_sets_one_active",
            ["is_active"],
            unique=True,
            sqlite_where=sa.text("is_active"),
            postgresql_where=sa.text("is_active"),
        )

    op.create_table(
        "screening_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("pneumonia", sa.String(length=8), nullable=False),
        sa.Column("active_tuberculosis", sa.String(length=8), nullable=False),
        sa.Column("other_active_infection", sa.String(length=8), nullable=False),
        sa.Column("tb_screening_result", sa.String(length=16), nullable=True),
        sa.Column("tb_screening_on", sa.Date(), nullable=True),
        sa.Column("respiratory_infection_4w", sa.String(length=8), nullable=False),
        sa.Column("heart_failure_nyha", sa.String(length=4), nullable=True),
        sa.Column("unstable_cardiac_disease", sa.String(length=8), nullable=False),
        sa.Column("egfr_ml_min_1_73m2", sa.Float(), nullable=True),
        sa.Column("egfr_measured_on", sa.Date(), nullable=True),
        sa.Column("dialysis", sa.String(length=8), nullable=False),
        sa.Column("hepatic_impairment", sa.String(length=8), nullable=False),
        sa.Column("pregnant", sa.String(length=8), nullable=False),
        sa.Column("lactating", sa.String(length=8), nullable=False),
        sa.Column("pregnancy_test_result", sa.String(length=8), nullable=True),
        sa.Column("pregnancy_test_on", sa.Date(), nullable=True),
        sa.Column("malignancy_active_or_within_5y", sa.String(length=8), nullable=False),
        sa.Column("alternative_diagnosis", sa.String(length=8), nullable=False),
        sa.Column("alternative_diagnosis_detail", sa.String(length=500), nullable=True),
        sa.Column("immunosuppressant_30d", sa.String(length=8), nullable=False),
        sa.Column("investigational_product_30d", sa.String(length=8), nullable=False),
        sa.Column("excipient_allergy", sa.String(length=8), nullable=False),
        sa.Column("excipient_allergy_detail", sa.String(length=500), nullable=True),
        sa.Column("thrombosis_risk", sa.String(length=8), nullable=False),
        sa.Column("current_smoker", sa.String(length=8), nullable=False),
        sa.Column("airflow_variability_documented", sa.String(length=8), nullable=False),
        sa.Column("stable_general_health", sa.String(length=8), nullable=False),
        sa.Column("informed_consent", sa.String(length=8), nullable=False),
        sa.Column("decision_capacity", sa.String(length=8), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "active_tuberculosis IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_active_tuberculosis"),
        ),
        sa.CheckConstraint(
            "airflow_variability_documented IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_airflow_variability_documented"),
        ),
        sa.CheckConstraint(
            "alternative_diagnosis IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_alternative_diagnosis"),
        ),
        sa.CheckConstraint(
            "current_smoker IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_current_smoker"),
        ),
        sa.CheckConstraint(
            "decision_capacity IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_decision_capacity"),
        ),
        sa.CheckConstraint(
            "dialysis IN ('yes', 'no', 'unknown')", name=op.f("ck_screening_findings_tri_dialysis")
        ),
        sa.CheckConstraint(
            "excipient_allergy IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_excipient_allergy"),
        ),
        sa.CheckConstraint(
            "heart_failure_nyha IS NULL OR heart_failure_nyha IN ('none', 'I', 'II', 'III', 'IV')",
            name=op.f("ck_screening_findings_nyha"),
        ),
        sa.CheckConstraint(
            "hepatic_impairment IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_hepatic_impairment"),
        ),
        sa.CheckConstraint(
            "immunosuppressant_30d IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_immunosuppressant_30d"),
        ),
        sa.CheckConstraint(
            "informed_consent IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_informed_consent"),
        ),
        sa.CheckConstraint(
            "investigational_product_30d IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_investigational_product_30d"),
        ),
        sa.CheckConstraint(
            "lactating IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_lactating"),
        ),
        sa.CheckConstraint(
            "malignancy_active_or_within_5y IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_malignancy_active_or_within_5y"),
        ),
        sa.CheckConstraint(
            "other_active_infection IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_other_active_infection"),
        ),
        sa.CheckConstraint(
            "pneumonia IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_pneumonia"),
        ),
        sa.CheckConstraint(
            "pregnancy_test_result IS NULL OR pregnancy_test_result IN ('negative', 'positive')",
            name=op.f("ck_screening_findings_pregnancy_test"),
        ),
        sa.CheckConstraint(
            "pregnant IN ('yes', 'no', 'unknown')", name=op.f("ck_screening_findings_tri_pregnant")
        ),
        sa.CheckConstraint(
            "respiratory_infection_4w IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_respiratory_infection_4w"),
        ),
        sa.CheckConstraint(
            "stable_general_health IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_stable_general_health"),
        ),
        sa.CheckConstraint(
            "tb_screening_result IS NULL OR tb_screening_result IN ('negative', 'positive', "
            "'indeterminate')",
            name=op.f("ck_screening_findings_tb_result"),
        ),
        sa.CheckConstraint(
            "thrombosis_risk IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_thrombosis_risk"),
        ),
        sa.CheckConstraint(
            "unstable_cardiac_disease IN ('yes', 'no', 'unknown')",
            name=op.f("ck_screening_findings_tri_unstable_cardiac_disease"),
        ),
        sa.CheckConstraint(
            "(egfr_ml_min_1_73m2 IS NULL AND egfr_measured_on IS NULL) OR (egfr_ml_min_1_73m2 "
            "IS NOT NULL AND egfr_measured_on IS NOT NULL)",
            name=op.f("ck_screening_findings_egfr_dated"),
        ),
        sa.CheckConstraint(
            "(pregnancy_test_result IS NULL AND pregnancy_test_on IS NULL) OR "
            "(pregnancy_test_result IS NOT NULL AND pregnancy_test_on IS NOT NULL)",
            name=op.f("ck_screening_findings_pregnancy_test_dated"),
        ),
        sa.CheckConstraint(
            "(tb_screening_result IS NULL AND tb_screening_on IS NULL) OR (tb_screening_result "
            "IS NOT NULL AND tb_screening_on IS NOT NULL)",
            name=op.f("ck_screening_findings_tb_dated"),
        ),
        sa.CheckConstraint(
            "egfr_ml_min_1_73m2 IS NULL OR (egfr_ml_min_1_73m2 >= 1 AND egfr_ml_min_1_73m2 <= 200)",
            name=op.f("ck_screening_findings_egfr_range"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_screening_findings_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_screening_findings_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["screening_findings.id"],
            name=op.f("fk_screening_findings_supersedes_id_screening_findings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_findings")),
    )
    with op.batch_alter_table("screening_findings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_screening_findings_patient_newest",
            ["patient_id", "assessed_on", "id"],
            unique=False,
        )

    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("criteria_set_id", sa.Integer(), nullable=False),
        sa.Column("criteria_version", sa.String(length=64), nullable=False),
        sa.Column("screening_date", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reasons_json", sa.Text(), nullable=False),
        sa.Column("results_json", sa.Text(), nullable=False),
        sa.Column("findings_id", sa.Integer(), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evaluated_by_id", sa.Integer(), nullable=True),
        sa.Column("evaluated_by_name", sa.String(length=200), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("physician_note", sa.Text(), nullable=True),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("signed_by_name", sa.String(length=200), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("meaning", sa.String(length=64), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "decision IN ('eligible', 'not_eligible', 'needs_review')",
            name=op.f("ck_screenings_decision"),
        ),
        sa.CheckConstraint(
            "meaning IS NULL OR meaning <> 'approved eligibility' OR decision = 'eligible'",
            name=op.f("ck_screenings_approval_needs_eligible"),
        ),
        sa.CheckConstraint(
            "meaning IS NULL OR meaning IN ('approved eligibility', 'declined')",
            name=op.f("ck_screenings_meaning"),
        ),
        sa.CheckConstraint(
            "(signature_id IS NULL AND signed_by_id IS NULL AND signed_by_name IS NULL AND "
            "signed_at IS NULL AND meaning IS NULL AND content_hash IS NULL) OR (signature_id "
            "IS NOT NULL AND signed_by_id IS NOT NULL AND signed_by_name IS NOT NULL AND "
            "signed_at IS NOT NULL AND meaning IS NOT NULL AND content_hash IS NOT NULL)",
            name=op.f("ck_screenings_signed_whole"),
        ),
        sa.ForeignKeyConstraint(
            ["criteria_set_id"],
            ["screening_criteria_sets.id"],
            name=op.f("fk_screenings_criteria_set_id_screening_criteria_sets"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["evaluated_by_id"],
            ["users.id"],
            name=op.f("fk_screenings_evaluated_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["findings_id"],
            ["screening_findings.id"],
            name=op.f("fk_screenings_findings_id_screening_findings"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_screenings_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_screenings_signature_id_signatures"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"],
            ["users.id"],
            name=op.f("fk_screenings_signed_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["screenings.id"],
            name=op.f("fk_screenings_supersedes_id_screenings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screenings")),
        sa.UniqueConstraint("signature_id", name=op.f("uq_screenings_signature_id")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_screenings_supersedes_id")),
    )
    with op.batch_alter_table("screenings", schema=None) as batch_op:
        batch_op.create_index("ix_screenings_patient_newest", ["patient_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("screenings", schema=None) as batch_op:
        batch_op.drop_index("ix_screenings_patient_newest")

    op.drop_table("screenings")
    with op.batch_alter_table("screening_findings", schema=None) as batch_op:
        batch_op.drop_index("ix_screening_findings_patient_newest")

    op.drop_table("screening_findings")
    with op.batch_alter_table("screening_criteria_sets", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_screening_criteria_sets_one_active",
            sqlite_where=sa.text("is_active"),
            postgresql_where=sa.text("is_active"),
        )

    op.drop_table("screening_criteria_sets")
