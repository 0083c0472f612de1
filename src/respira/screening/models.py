"""Tables of screening: versioned eligibility criteria sets, the physician's screening
findings, and screenings with their e-signed decision.

- A criteria set is stored as the TOML text it was written in (the rules are data) with
  its version; sets are never changed or deleted, because screenings name the set they
  used. One set at most is active (a partial unique index says so).
- Self-references (``based_on_id``, ``supersedes_id``) have no ON DELETE action: the
  database checks them at the end of each statement, so a row that is pointed at still
  cannot be deleted, but SQLite's per-row RESTRICT does not block emptying a table.
- Screening findings are immutable: a new assessment is a new row, and the newest
  (by assessment date, then id) counts. Tri-state answers are ``'yes' | 'no' |
  'unknown'``, as in diagnostics: "not assessed" is ``unknown``, never ``no``.
- A screening stores exactly what was evaluated (every criterion's status and
  evidence) as canonical JSON, so that the signature's content hash can be recomputed
  from the row. Once signed it never changes (``version_id_col`` catches two signers
  racing); a later screening of the same patient supersedes it (``supersedes_id``,
  unique: a screening is superseded at most once).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column

from respira.kit.columns import reference
from respira.kit.db import Base, UTCDateTime, utcnow

TRI_STATE = ("yes", "no", "unknown")
DECISIONS = ("eligible", "not_eligible", "needs_review")
MEANINGS = ("approved eligibility", "declined")

# The tri-state findings, in the order the form shows them.
TRI_FIELDS = (
    "pneumonia",
    "active_tuberculosis",
    "other_active_infection",
    "respiratory_infection_4w",
    "exacerbation_or_scs_4w",
    "unstable_cardiac_disease",
    "dialysis",
    "hepatic_impairment",
    "pregnant",
    "lactating",
    "malignancy_active_or_within_5y",
    "alternative_diagnosis",
    "immunosuppressant_30d",
    "investigational_product_30d",
    "excipient_allergy",
    "thrombosis_risk",
    "current_smoker",
    "ever_smoked",
    "vaping",
    "airflow_variability_documented",
    "stable_general_health",
    "informed_consent",
    "decision_capacity",
)


def _in(column: str, values: tuple[str, ...], *, nullable: bool = False) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    rule = f"{column} IN ({listed})"
    return f"{column} IS NULL OR {rule}" if nullable else rule


def _tri_state() -> MappedColumn[str]:
    """A required yes/no/unknown answer of the findings (one of ``TRI_STATE``)."""
    return mapped_column(sa.String(8), nullable=False)


def _paired(a: str, b: str) -> str:
    return f"({a} IS NULL AND {b} IS NULL) OR ({a} IS NOT NULL AND {b} IS NOT NULL)"


class ScreeningCriteriaSet(Base):
    __tablename__ = "screening_criteria_sets"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    toml_text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    text_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    based_on_id: Mapped[int | None] = mapped_column(sa.ForeignKey("screening_criteria_sets.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = reference("users.id")
    created_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    activated_by_name: Mapped[str | None] = mapped_column(sa.String(200))

    __table_args__ = (
        sa.Index(
            "uq_screening_criteria_sets_one_active",
            "is_active",
            unique=True,
            sqlite_where=sa.text("is_active"),
            postgresql_where=sa.text("is_active"),
        ),
    )


class ScreeningFindings(Base):
    """What the physician assessed for screening that diagnostics do not hold."""

    __tablename__ = "screening_findings"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id")
    assessed_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("screening_findings.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    recorded_by_id: Mapped[int | None] = reference("users.id")
    recorded_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    pneumonia: Mapped[str] = _tri_state()
    active_tuberculosis: Mapped[str] = _tri_state()
    other_active_infection: Mapped[str] = _tri_state()
    tb_screening_result: Mapped[str | None] = mapped_column(sa.String(16))
    tb_screening_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    respiratory_infection_4w: Mapped[str] = _tri_state()
    heart_failure_nyha: Mapped[str | None] = mapped_column(sa.String(4))
    unstable_cardiac_disease: Mapped[str] = _tri_state()
    egfr_ml_min_1_73m2: Mapped[float | None] = mapped_column(sa.Float)
    egfr_measured_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    dialysis: Mapped[str] = _tri_state()
    hepatic_impairment: Mapped[str] = _tri_state()
    pregnant: Mapped[str] = _tri_state()
    lactating: Mapped[str] = _tri_state()
    pregnancy_test_result: Mapped[str | None] = mapped_column(sa.String(8))
    pregnancy_test_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    malignancy_active_or_within_5y: Mapped[str] = _tri_state()
    alternative_diagnosis: Mapped[str] = _tri_state()
    alternative_diagnosis_detail: Mapped[str | None] = mapped_column(sa.String(500))
    immunosuppressant_30d: Mapped[str] = _tri_state()
    investigational_product_30d: Mapped[str] = _tri_state()
    excipient_allergy: Mapped[str] = _tri_state()
    excipient_allergy_detail: Mapped[str | None] = mapped_column(sa.String(500))
    thrombosis_risk: Mapped[str] = _tri_state()
    current_smoker: Mapped[str] = _tri_state()
    # Added by migration 0023 (issue 14): smoking as the cited sources put it (quit
    # date, never smoked, vaping) and the screening-day question on a recent severe
    # exacerbation or systemic corticosteroid course. Older rows read "unknown".
    ever_smoked: Mapped[str] = _tri_state()
    smoking_quit_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    vaping: Mapped[str] = _tri_state()
    exacerbation_or_scs_4w: Mapped[str] = _tri_state()
    airflow_variability_documented: Mapped[str] = _tri_state()
    stable_general_health: Mapped[str] = _tri_state()
    informed_consent: Mapped[str] = _tri_state()
    decision_capacity: Mapped[str] = _tri_state()
    notes: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        *(sa.CheckConstraint(_in(f, TRI_STATE), name=f"tri_{f}") for f in TRI_FIELDS),
        sa.CheckConstraint(
            _in("tb_screening_result", ("negative", "positive", "indeterminate"), nullable=True),
            name="tb_result",
        ),
        sa.CheckConstraint(_paired("tb_screening_result", "tb_screening_on"), name="tb_dated"),
        sa.CheckConstraint(
            _in("heart_failure_nyha", ("none", "I", "II", "III", "IV"), nullable=True),
            name="nyha",
        ),
        sa.CheckConstraint(
            "egfr_ml_min_1_73m2 IS NULL OR (egfr_ml_min_1_73m2 >= 1 AND egfr_ml_min_1_73m2 <= 200)",
            name="egfr_range",
        ),
        sa.CheckConstraint(_paired("egfr_ml_min_1_73m2", "egfr_measured_on"), name="egfr_dated"),
        sa.CheckConstraint(
            _in("pregnancy_test_result", ("negative", "positive"), nullable=True),
            name="pregnancy_test",
        ),
        sa.CheckConstraint(
            _paired("pregnancy_test_result", "pregnancy_test_on"), name="pregnancy_test_dated"
        ),
        sa.Index("ix_screening_findings_patient_newest", "patient_id", "assessed_on", "id"),
    )


# The kinds of record a screening cites as evidence (``ScreeningEvidence.record_type``):
# the diagnostic records (their audit entity types) and the screening findings.
EVIDENCE_TYPES = (
    "spirometry_session",
    "questionnaire_response",
    "marker_panel",
    "treatment_history",
    "imaging_study",
    "screening_findings",
)


class Screening(Base):
    """One evaluation of a criteria set for a patient, and its signature."""

    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id")
    criteria_set_id: Mapped[int] = reference("screening_criteria_sets.id")
    criteria_version: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    screening_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    decision: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    # Canonical JSON (sorted keys): the reasons for the decision and every criterion's
    # result with its evidence, exactly as evaluated and shown.
    reasons_json: Mapped[str] = mapped_column(sa.Text, nullable=False)
    results_json: Mapped[str] = mapped_column(sa.Text, nullable=False)
    findings_id: Mapped[int | None] = reference("screening_findings.id")
    evaluated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    evaluated_by_id: Mapped[int | None] = reference("users.id")
    evaluated_by_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("screenings.id"), unique=True)
    physician_note: Mapped[str | None] = mapped_column(sa.Text)
    signature_id: Mapped[int | None] = reference("signatures.id", unique=True)
    signed_by_id: Mapped[int | None] = reference("users.id")
    signed_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    meaning: Mapped[str | None] = mapped_column(sa.String(64))
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy idiom)
    __table_args__ = (
        sa.CheckConstraint(_in("decision", DECISIONS), name="decision"),
        sa.CheckConstraint(_in("meaning", MEANINGS, nullable=True), name="meaning"),
        sa.CheckConstraint(
            "(signature_id IS NULL AND signed_by_id IS NULL AND signed_by_name IS NULL "
            "AND signed_at IS NULL AND meaning IS NULL AND content_hash IS NULL) OR "
            "(signature_id IS NOT NULL AND signed_by_id IS NOT NULL "
            "AND signed_by_name IS NOT NULL AND signed_at IS NOT NULL "
            "AND meaning IS NOT NULL AND content_hash IS NOT NULL)",
            name="signed_whole",
        ),
        sa.CheckConstraint(
            "meaning IS NULL OR meaning <> 'approved eligibility' OR decision = 'eligible'",
            name="approval_needs_eligible",
        ),
        sa.Index("ix_screenings_patient_newest", "patient_id", "id"),
    )


class ScreeningEvidence(Base):
    """A record a screening read its facts from (written with the screening, never
    changed): when such a record is later retracted or superseded, the screening is
    shown as resting on changed evidence (``respira.screening.evidence``)."""

    __tablename__ = "screening_evidence"

    screening_id: Mapped[int] = mapped_column(
        sa.ForeignKey("screenings.id", ondelete="CASCADE"), primary_key=True
    )
    record_type: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)

    __table_args__ = (
        sa.CheckConstraint(_in("record_type", EVIDENCE_TYPES), name="record_type"),
        sa.Index("ix_screening_evidence_record", "record_type", "record_id"),
    )
