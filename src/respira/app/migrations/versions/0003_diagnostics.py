"""diagnostics: diagnostic visits, spirometry, markers, imaging, questionnaires

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen copies of the model's constraint texts (a migration never imports models).
_RETRACTION = (
    "(retracted_at IS NULL AND retracted_by_name IS NULL AND retraction_reason IS NULL) OR "
    "(retracted_at IS NOT NULL AND retracted_by_name IS NOT NULL "
    "AND retraction_reason IS NOT NULL)"
)


def upgrade() -> None:
    op.create_table(
        "diagnostic_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_by_name", sa.String(length=200), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            _RETRACTION,
            name=op.f("ck_diagnostic_visits_retraction"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_diagnostic_visits_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_diagnostic_visits_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"],
            ["users.id"],
            name=op.f("fk_diagnostic_visits_retracted_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnostic_visits")),
    )
    with op.batch_alter_table("diagnostic_visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_diagnostic_visits_patient_id_visit_date", ["patient_id", "visit_date"], unique=False
        )

    op.create_table(
        "imaging_studies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("modality", sa.String(length=16), nullable=False),
        sa.Column("study_date", sa.Date(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("abnormal", sa.Boolean(), nullable=False),
        sa.Column("clinically_indicated", sa.Boolean(), nullable=False),
        sa.Column("indication", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_by_name", sa.String(length=200), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "modality IN ('chest_xray', 'ct', 'hrct', 'other')",
            name=op.f("ck_imaging_studies_modality"),
        ),
        sa.CheckConstraint(
            _RETRACTION,
            name=op.f("ck_imaging_studies_retraction"),
        ),
        sa.CheckConstraint(
            "clinically_indicated OR indication IS NULL", name=op.f("ck_imaging_studies_indication")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_imaging_studies_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"],
            ["users.id"],
            name=op.f("fk_imaging_studies_retracted_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["diagnostic_visits.id"],
            name=op.f("fk_imaging_studies_visit_id_diagnostic_visits"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imaging_studies")),
    )
    with op.batch_alter_table("imaging_studies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imaging_studies_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "marker_panels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("blood_eosinophils_per_ul", sa.Float(), nullable=True),
        sa.Column("feno_ppb", sa.Float(), nullable=True),
        sa.Column("total_ige_iu_ml", sa.Float(), nullable=True),
        sa.Column("on_maintenance_ocs", sa.Boolean(), nullable=False),
        sa.Column("on_biologic", sa.Boolean(), nullable=False),
        sa.Column("age_years", sa.Float(), nullable=False),
        sa.Column("phenotype", sa.String(length=64), nullable=False),
        sa.Column("phenotype_detail", sa.JSON(), nullable=False),
        sa.Column("phenotype_version", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_by_name", sa.String(length=200), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            _RETRACTION,
            name=op.f("ck_marker_panels_retraction"),
        ),
        sa.CheckConstraint(
            "blood_eosinophils_per_ul IS NULL OR "
            "(blood_eosinophils_per_ul >= 0 AND blood_eosinophils_per_ul <= 20000)",
            name=op.f("ck_marker_panels_eosinophils_range"),
        ),
        sa.CheckConstraint(
            "feno_ppb IS NULL OR (feno_ppb >= 0 AND feno_ppb <= 300)",
            name=op.f("ck_marker_panels_feno_range"),
        ),
        sa.CheckConstraint(
            "total_ige_iu_ml IS NULL OR (total_ige_iu_ml >= 0 AND total_ige_iu_ml <= 20000)",
            name=op.f("ck_marker_panels_ige_range"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_marker_panels_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"],
            ["users.id"],
            name=op.f("fk_marker_panels_retracted_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["diagnostic_visits.id"],
            name=op.f("fk_marker_panels_visit_id_diagnostic_visits"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marker_panels")),
    )
    with op.batch_alter_table("marker_panels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_marker_panels_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "questionnaire_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=8), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("band", sa.String(length=64), nullable=False),
        sa.Column("algorithm_version", sa.String(length=200), nullable=False),
        sa.Column("respondent", sa.String(length=16), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_by_name", sa.String(length=200), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "instrument IN ('act', 'cact', 'acq5', 'acq6', 'acq7', 'gina')",
            name=op.f("ck_questionnaire_responses_instrument"),
        ),
        sa.CheckConstraint(
            "mode IS NULL OR mode IN ('paper', 'web', 'interview')",
            name=op.f("ck_questionnaire_responses_mode"),
        ),
        sa.CheckConstraint(
            "respondent IS NULL OR respondent IN ('self', 'caregiver', 'interviewer')",
            name=op.f("ck_questionnaire_responses_respondent"),
        ),
        sa.CheckConstraint(
            _RETRACTION,
            name=op.f("ck_questionnaire_responses_retraction"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_questionnaire_responses_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"],
            ["users.id"],
            name=op.f("fk_questionnaire_responses_retracted_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["diagnostic_visits.id"],
            name=op.f("fk_questionnaire_responses_visit_id_diagnostic_visits"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_responses")),
    )
    with op.batch_alter_table("questionnaire_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questionnaire_responses_visit_id"), ["visit_id"], unique=False
        )

    op.create_table(
        "spirometry_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("fev1_pre_l", sa.Float(), nullable=False),
        sa.Column("fvc_pre_l", sa.Float(), nullable=False),
        sa.Column("fef2575_pre_l_s", sa.Float(), nullable=True),
        sa.Column("fev1_post_l", sa.Float(), nullable=True),
        sa.Column("fvc_post_l", sa.Float(), nullable=True),
        sa.Column("bronchodilator", sa.String(length=100), nullable=True),
        sa.Column("bronchodilator_dose_ug", sa.Float(), nullable=True),
        sa.Column("equations", sa.String(length=16), nullable=False),
        sa.Column("ethnicity", sa.String(length=32), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("age_years", sa.Float(), nullable=False),
        sa.Column("height_cm", sa.Float(), nullable=False),
        sa.Column("equations_version", sa.String(length=500), nullable=False),
        sa.Column("pattern", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=64), nullable=True),
        sa.Column("bdr", sa.Boolean(), nullable=True),
        sa.Column("bdr_fev1_pct_pred_change", sa.Float(), nullable=True),
        sa.Column("bdr_fvc_pct_pred_change", sa.Float(), nullable=True),
        sa.Column("bdr_2005", sa.Boolean(), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_by_name", sa.String(length=200), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "equations IN ('gli-global', 'gli-2012')", name=op.f("ck_spirometry_sessions_equations")
        ),
        sa.CheckConstraint("sex IN ('M', 'F')", name=op.f("ck_spirometry_sessions_sex")),
        sa.CheckConstraint(
            "(fev1_post_l IS NULL) = (fvc_post_l IS NULL)",
            name=op.f("ck_spirometry_sessions_post_pair"),
        ),
        sa.CheckConstraint(
            _RETRACTION,
            name=op.f("ck_spirometry_sessions_retraction"),
        ),
        sa.CheckConstraint(
            "bronchodilator_dose_ug IS NULL OR "
            "(bronchodilator_dose_ug >= 0 AND bronchodilator_dose_ug <= 1000)",
            name=op.f("ck_spirometry_sessions_bd_dose_range"),
        ),
        sa.CheckConstraint(
            "fef2575_pre_l_s IS NULL OR (fef2575_pre_l_s >= 0.05 AND fef2575_pre_l_s <= 15)",
            name=op.f("ck_spirometry_sessions_fef2575_pre_range"),
        ),
        sa.CheckConstraint(
            "fev1_post_l IS NULL OR (fev1_post_l >= 0.2 AND fev1_post_l <= 8)",
            name=op.f("ck_spirometry_sessions_fev1_post_range"),
        ),
        sa.CheckConstraint(
            "fev1_pre_l >= 0.2 AND fev1_pre_l <= 8",
            name=op.f("ck_spirometry_sessions_fev1_pre_range"),
        ),
        sa.CheckConstraint(
            "fvc_post_l IS NULL OR (fvc_post_l >= 0.2 AND fvc_post_l <= 10)",
            name=op.f("ck_spirometry_sessions_fvc_post_range"),
        ),
        sa.CheckConstraint(
            "fvc_pre_l >= 0.2 AND fvc_pre_l <= 10",
            name=op.f("ck_spirometry_sessions_fvc_pre_range"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_spirometry_sessions_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"],
            ["users.id"],
            name=op.f("fk_spirometry_sessions_retracted_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["diagnostic_visits.id"],
            name=op.f("fk_spirometry_sessions_visit_id_diagnostic_visits"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spirometry_sessions")),
    )
    with op.batch_alter_table("spirometry_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spirometry_sessions_visit_id"), ["visit_id"], unique=False
        )

    op.create_table(
        "treatment_histories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("ics_dose_level", sa.String(length=8), nullable=False),
        sa.Column("laba", sa.Boolean(), nullable=False),
        sa.Column("lama", sa.Boolean(), nullable=False),
        sa.Column("maintenance_ocs", sa.Boolean(), nullable=False),
        sa.Column("ocs_dose_mg_per_day", sa.Float(), nullable=True),
        sa.Column("biologic", sa.String(length=16), nullable=False),
        sa.Column("gina_step", sa.Integer(), nullable=False),
        sa.Column("gina_track", sa.Integer(), nullable=True),
        sa.Column("severe_exacerbations_12m", sa.Integer(), nullable=False),
        sa.Column("hospitalisations_12m", sa.Integer(), nullable=False),
        sa.Column("last_exacerbation_date", sa.Date(), nullable=True),
        sa.Column("last_systemic_cs_date", sa.Date(), nullable=True),
        sa.Column("rescue_puffs_per_week", sa.Float(), nullable=False),
        sa.Column("adherence_confirmed", sa.String(length=8), nullable=False),
        sa.Column("inhaler_technique_confirmed", sa.String(length=8), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retracted_by_id", sa.Integer(), nullable=True),
        sa.Column("retracted_by_name", sa.String(length=200), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "adherence_confirmed IN ('yes', 'no', 'unknown')",
            name=op.f("ck_treatment_histories_adherence"),
        ),
        sa.CheckConstraint(
            "biologic IN ('none', 'omalizumab', 'mepolizumab', 'reslizumab', "
            "'benralizumab', 'dupilumab', 'tezepelumab')",
            name=op.f("ck_treatment_histories_biologic"),
        ),
        sa.CheckConstraint(
            "ics_dose_level IN ('none', 'low', 'medium', 'high')",
            name=op.f("ck_treatment_histories_ics"),
        ),
        sa.CheckConstraint(
            "inhaler_technique_confirmed IN ('yes', 'no', 'unknown')",
            name=op.f("ck_treatment_histories_inhaler_technique"),
        ),
        sa.CheckConstraint(
            "(maintenance_ocs AND ocs_dose_mg_per_day > 0 AND ocs_dose_mg_per_day <= 100) OR "
            "(NOT maintenance_ocs AND ocs_dose_mg_per_day IS NULL)",
            name=op.f("ck_treatment_histories_ocs_dose"),
        ),
        sa.CheckConstraint(
            _RETRACTION,
            name=op.f("ck_treatment_histories_retraction"),
        ),
        sa.CheckConstraint(
            "gina_step >= 1 AND gina_step <= 5", name=op.f("ck_treatment_histories_gina_step")
        ),
        sa.CheckConstraint(
            "gina_track IS NULL OR gina_track IN (1, 2)",
            name=op.f("ck_treatment_histories_gina_track"),
        ),
        sa.CheckConstraint(
            "hospitalisations_12m >= 0 AND hospitalisations_12m <= severe_exacerbations_12m",
            name=op.f("ck_treatment_histories_hosp_range"),
        ),
        sa.CheckConstraint(
            "rescue_puffs_per_week >= 0 AND rescue_puffs_per_week <= 200",
            name=op.f("ck_treatment_histories_puffs"),
        ),
        sa.CheckConstraint(
            "severe_exacerbations_12m >= 0 AND severe_exacerbations_12m <= 52",
            name=op.f("ck_treatment_histories_exac_range"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_treatment_histories_recorded_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["retracted_by_id"],
            ["users.id"],
            name=op.f("fk_treatment_histories_retracted_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["diagnostic_visits.id"],
            name=op.f("fk_treatment_histories_visit_id_diagnostic_visits"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_histories")),
    )
    with op.batch_alter_table("treatment_histories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treatment_histories_visit_id"), ["visit_id"], unique=False
        )

    op.create_table(
        "sensitisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("panel_id", sa.Integer(), nullable=False),
        sa.Column("allergen", sa.String(length=100), nullable=False),
        sa.Column("positive", sa.Boolean(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "method IS NULL OR method IN ('skin_prick', 'sige')",
            name=op.f("ck_sensitisations_method"),
        ),
        sa.ForeignKeyConstraint(
            ["panel_id"],
            ["marker_panels.id"],
            name=op.f("fk_sensitisations_panel_id_marker_panels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensitisations")),
    )
    with op.batch_alter_table("sensitisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sensitisations_panel_id"), ["panel_id"], unique=False)

    op.create_table(
        "spirometry_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("measured", sa.Float(), nullable=False),
        sa.Column("pred", sa.Float(), nullable=False),
        sa.Column("lln", sa.Float(), nullable=False),
        sa.Column("uln", sa.Float(), nullable=False),
        sa.Column("z", sa.Float(), nullable=False),
        sa.Column("pctpred", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["spirometry_sessions.id"],
            name=op.f("fk_spirometry_results_session_id_spirometry_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spirometry_results")),
        sa.UniqueConstraint("session_id", "key", name=op.f("uq_spirometry_results_session_id_key")),
    )


def downgrade() -> None:
    op.drop_table("spirometry_results")
    with op.batch_alter_table("sensitisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sensitisations_panel_id"))

    op.drop_table("sensitisations")
    with op.batch_alter_table("treatment_histories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_histories_visit_id"))

    op.drop_table("treatment_histories")
    with op.batch_alter_table("spirometry_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spirometry_sessions_visit_id"))

    op.drop_table("spirometry_sessions")
    with op.batch_alter_table("questionnaire_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questionnaire_responses_visit_id"))

    op.drop_table("questionnaire_responses")
    with op.batch_alter_table("marker_panels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marker_panels_visit_id"))

    op.drop_table("marker_panels")
    with op.batch_alter_table("imaging_studies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imaging_studies_visit_id"))

    op.drop_table("imaging_studies")
    with op.batch_alter_table("diagnostic_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_diagnostic_visits_patient_id_visit_date")

    op.drop_table("diagnostic_visits")
