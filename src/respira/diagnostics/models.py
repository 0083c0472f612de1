"""Tables of the diagnostic work-up: a visit, and what was measured or reported at it.

A ``DiagnosticVisit`` belongs to a patient and holds any number of records of five
kinds: spirometry sessions (with their computed reference values in
``spirometry_results``), inflammation-marker panels (with their allergen
``sensitisations``), imaging studies, questionnaire responses and treatment-and-
exacerbation histories.

Records are immutable once written. A wrong record is not edited: it is retracted
("entered in error", with a reason, audited) and the right values are entered as a new
record. Every record therefore carries who recorded it and when, and the retraction
columns, which are either all empty or all filled (a check constraint says so). See
``docs/decisions/2026-11-23-diagnostics-immutable-records.md``.

Units are in the column names (``_l``, ``_l_s``, ``_ug``, ``_per_ul``, ``_ppb``,
``_iu_ml``, ``_mg_per_day``); the plausible ranges enforced at the edge (schemas) are
repeated here as check constraints, so that no path into the database can store an
impossible value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from respira.kit.columns import reference
from respira.kit.db import Base
from respira.kit.records import RETRACTION_CONSISTENT, Recorded


class DiagnosticVisit(Recorded, Base):
    __tablename__ = "diagnostic_visits"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    patient_id: Mapped[int] = reference("patients.id")
    visit_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)

    spirometry: Mapped[list[SpirometrySession]] = relationship(
        back_populates="visit", order_by="SpirometrySession.id.desc()"
    )
    markers: Mapped[list[MarkerPanel]] = relationship(
        back_populates="visit", order_by="MarkerPanel.id.desc()"
    )
    imaging: Mapped[list[ImagingStudy]] = relationship(
        back_populates="visit", order_by="ImagingStudy.id.desc()"
    )
    questionnaires: Mapped[list[QuestionnaireResponse]] = relationship(
        back_populates="visit", order_by="QuestionnaireResponse.id.desc()"
    )
    history: Mapped[list[TreatmentHistory]] = relationship(
        back_populates="visit", order_by="TreatmentHistory.id.desc()"
    )

    __table_args__ = (
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
        sa.Index("ix_diagnostic_visits_patient_id_visit_date", "patient_id", "visit_date"),
    )


def _range(column: str, low: float, high: float, *, nullable: bool = True) -> str:
    bounds = f"{column} >= {low} AND {column} <= {high}"
    return f"{column} IS NULL OR ({bounds})" if nullable else bounds


class SpirometrySession(Recorded, Base):
    """Pre- and post-bronchodilator spirometry with the inputs the reference equations
    used (sex from the patient record, age on the visit date, the height measured at the
    session or the newest recorded one, with ``height_source`` saying which) and the
    interpretation computed by ``respira.science.spirometry``.

    A session of a patient whose age lies outside the equations (GLI: 3–95 years) is
    stored without reference values: no ``results`` rows, ``pattern``, ``severity`` and
    ``bdr`` null, and a note saying so."""

    __tablename__ = "spirometry_sessions"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    visit_id: Mapped[int] = reference("diagnostic_visits.id", index=True)
    # What was measured and given.
    fev1_pre_l: Mapped[float] = mapped_column(sa.Float, nullable=False)
    fvc_pre_l: Mapped[float] = mapped_column(sa.Float, nullable=False)
    fef2575_pre_l_s: Mapped[float | None] = mapped_column(sa.Float)
    fev1_post_l: Mapped[float | None] = mapped_column(sa.Float)
    fvc_post_l: Mapped[float | None] = mapped_column(sa.Float)
    bronchodilator: Mapped[str | None] = mapped_column(sa.String(100))
    bronchodilator_dose_ug: Mapped[float | None] = mapped_column(sa.Float)
    # The inputs of the reference equations, as used.
    equations: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    ethnicity: Mapped[str | None] = mapped_column(sa.String(32))
    sex: Mapped[str] = mapped_column(sa.String(1), nullable=False)
    age_years: Mapped[float] = mapped_column(sa.Float, nullable=False)
    height_cm: Mapped[float] = mapped_column(sa.Float, nullable=False)
    height_source: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    equations_version: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    # The interpretation (ATS/ERS 2022; BDR also by the 2005 rule); null pattern: no
    # reference values for the age.
    pattern: Mapped[str | None] = mapped_column(sa.String(64))
    severity: Mapped[str | None] = mapped_column(sa.String(64))
    bdr: Mapped[bool | None] = mapped_column(sa.Boolean)
    bdr_fev1_pct_pred_change: Mapped[float | None] = mapped_column(sa.Float)
    bdr_fvc_pct_pred_change: Mapped[float | None] = mapped_column(sa.Float)
    bdr_2005: Mapped[bool | None] = mapped_column(sa.Boolean)
    # What the science module noted but did not compute (e.g. no FEF25-75 equations in
    # GLI Global), shown beside the results.
    notes: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False, default=list)

    visit: Mapped[DiagnosticVisit] = relationship(back_populates="spirometry")
    results: Mapped[list[SpirometryResult]] = relationship(
        back_populates="session", order_by="SpirometryResult.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
        sa.CheckConstraint("equations IN ('gli-global', 'gli-2012')", name="equations"),
        sa.CheckConstraint("sex IN ('M', 'F')", name="sex"),
        sa.CheckConstraint(_range("height_cm", 40, 250, nullable=False), name="height_range"),
        sa.CheckConstraint(
            "height_source IN ('measured', 'previous_session', 'patient_record')",
            name="height_source",
        ),
        sa.CheckConstraint(_range("fev1_pre_l", 0.2, 8, nullable=False), name="fev1_pre_range"),
        sa.CheckConstraint(_range("fvc_pre_l", 0.2, 10, nullable=False), name="fvc_pre_range"),
        sa.CheckConstraint(_range("fev1_post_l", 0.2, 8), name="fev1_post_range"),
        sa.CheckConstraint(_range("fvc_post_l", 0.2, 10), name="fvc_post_range"),
        sa.CheckConstraint(_range("fef2575_pre_l_s", 0.05, 15), name="fef2575_pre_range"),
        sa.CheckConstraint(_range("bronchodilator_dose_ug", 0, 1000), name="bd_dose_range"),
        sa.CheckConstraint("(fev1_post_l IS NULL) = (fvc_post_l IS NULL)", name="post_pair"),
    )


class SpirometryResult(Base):
    """Reference values of one parameter of a session: ``key`` is ``fev1_pre``,
    ``fvc_pre``, ``fev1fvc_pre``, ``fef2575_pre``, ``fev1_post``, ``fvc_post`` or
    ``fev1fvc_post``; ``measured`` is litres, L/s, or a ratio for FEV1/FVC."""

    __tablename__ = "spirometry_results"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    session_id: Mapped[int] = reference("spirometry_sessions.id", ondelete="CASCADE")
    key: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    measured: Mapped[float] = mapped_column(sa.Float, nullable=False)
    pred: Mapped[float] = mapped_column(sa.Float, nullable=False)
    lln: Mapped[float] = mapped_column(sa.Float, nullable=False)
    uln: Mapped[float] = mapped_column(sa.Float, nullable=False)
    z: Mapped[float] = mapped_column(sa.Float, nullable=False)
    pctpred: Mapped[float] = mapped_column(sa.Float, nullable=False)

    session: Mapped[SpirometrySession] = relationship(back_populates="results")

    __table_args__ = (sa.UniqueConstraint("session_id", "key"),)


class MarkerPanel(Recorded, Base):
    """Type-2 inflammation markers and allergy tests sampled at a visit, with the
    phenotype computed by ``respira.science.phenotype`` and what decided it."""

    __tablename__ = "marker_panels"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    visit_id: Mapped[int] = reference("diagnostic_visits.id", index=True)
    blood_eosinophils_per_ul: Mapped[float | None] = mapped_column(sa.Float)
    feno_ppb: Mapped[float | None] = mapped_column(sa.Float)
    total_ige_iu_ml: Mapped[float | None] = mapped_column(sa.Float)
    on_maintenance_ocs: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    on_biologic: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    age_years: Mapped[float] = mapped_column(sa.Float, nullable=False)
    phenotype: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    phenotype_detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    phenotype_version: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    visit: Mapped[DiagnosticVisit] = relationship(back_populates="markers")
    sensitisations: Mapped[list[Sensitisation]] = relationship(
        back_populates="panel", order_by="Sensitisation.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
        sa.CheckConstraint(_range("blood_eosinophils_per_ul", 0, 20000), name="eosinophils_range"),
        sa.CheckConstraint(_range("feno_ppb", 0, 300), name="feno_range"),
        sa.CheckConstraint(_range("total_ige_iu_ml", 0, 20000), name="ige_range"),
    )


class Sensitisation(Base):
    __tablename__ = "sensitisations"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    panel_id: Mapped[int] = reference("marker_panels.id", ondelete="CASCADE", index=True)
    allergen: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    positive: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    method: Mapped[str | None] = mapped_column(sa.String(16))

    panel: Mapped[MarkerPanel] = relationship(back_populates="sensitisations")

    __table_args__ = (
        sa.CheckConstraint("method IS NULL OR method IN ('skin_prick', 'sige')", name="method"),
    )


class ImagingStudy(Recorded, Base):
    __tablename__ = "imaging_studies"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    visit_id: Mapped[int] = reference("diagnostic_visits.id", index=True)
    modality: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    study_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    findings: Mapped[str] = mapped_column(sa.Text, nullable=False)
    abnormal: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    clinically_indicated: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    indication: Mapped[str | None] = mapped_column(sa.Text)

    visit: Mapped[DiagnosticVisit] = relationship(back_populates="imaging")

    __table_args__ = (
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
        sa.CheckConstraint("modality IN ('chest_xray', 'ct', 'hrct', 'other')", name="modality"),
        sa.CheckConstraint("clinically_indicated OR indication IS NULL", name="indication"),
    )


class QuestionnaireResponse(Recorded, Base):
    """Item-level answers to an asthma-control instrument and the score and band that
    ``respira.science.control`` computed from them (never typed in)."""

    __tablename__ = "questionnaire_responses"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    visit_id: Mapped[int] = reference("diagnostic_visits.id", index=True)
    instrument: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    answers: Mapped[list[Any]] = mapped_column(sa.JSON, nullable=False)
    score: Mapped[float] = mapped_column(sa.Float, nullable=False)
    band: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    algorithm_version: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    respondent: Mapped[str | None] = mapped_column(sa.String(16))
    mode: Mapped[str | None] = mapped_column(sa.String(16))

    visit: Mapped[DiagnosticVisit] = relationship(back_populates="questionnaires")

    __table_args__ = (
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
        sa.CheckConstraint(
            "instrument IN ('act', 'cact', 'acq5', 'acq6', 'acq7', 'gina')", name="instrument"
        ),
        sa.CheckConstraint(
            "respondent IS NULL OR respondent IN ('self', 'caregiver', 'interviewer')",
            name="respondent",
        ),
        sa.CheckConstraint("mode IS NULL OR mode IN ('paper', 'web', 'interview')", name="mode"),
    )


class TreatmentHistory(Recorded, Base):
    """The patient's current asthma treatment and the last 12 months' exacerbations as
    reported at a visit. A record of what the patient takes, not a prescription."""

    __tablename__ = "treatment_histories"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    visit_id: Mapped[int] = reference("diagnostic_visits.id", index=True)
    ics_dose_level: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    laba: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    lama: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    maintenance_ocs: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    ocs_dose_mg_per_day: Mapped[float | None] = mapped_column(sa.Float)
    biologic: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    gina_step: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    gina_track: Mapped[int | None] = mapped_column(sa.Integer)
    severe_exacerbations_12m: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    hospitalisations_12m: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    last_exacerbation_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    last_systemic_cs_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    rescue_puffs_per_week: Mapped[float] = mapped_column(sa.Float, nullable=False)
    adherence_confirmed: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    inhaler_technique_confirmed: Mapped[str] = mapped_column(sa.String(8), nullable=False)

    visit: Mapped[DiagnosticVisit] = relationship(back_populates="history")

    __table_args__ = (
        sa.CheckConstraint(RETRACTION_CONSISTENT, name="retraction"),
        sa.CheckConstraint("ics_dose_level IN ('none', 'low', 'medium', 'high')", name="ics"),
        sa.CheckConstraint(
            "biologic IN ('none', 'omalizumab', 'mepolizumab', 'reslizumab', "
            "'benralizumab', 'dupilumab', 'tezepelumab')",
            name="biologic",
        ),
        sa.CheckConstraint("gina_step >= 1 AND gina_step <= 5", name="gina_step"),
        sa.CheckConstraint("gina_track IS NULL OR gina_track IN (1, 2)", name="gina_track"),
        sa.CheckConstraint(
            "(maintenance_ocs AND ocs_dose_mg_per_day > 0 AND ocs_dose_mg_per_day <= 100) OR "
            "(NOT maintenance_ocs AND ocs_dose_mg_per_day IS NULL)",
            name="ocs_dose",
        ),
        sa.CheckConstraint(
            "severe_exacerbations_12m >= 0 AND severe_exacerbations_12m <= 52", name="exac_range"
        ),
        sa.CheckConstraint(
            "hospitalisations_12m >= 0 AND hospitalisations_12m <= severe_exacerbations_12m",
            name="hosp_range",
        ),
        sa.CheckConstraint(_range("rescue_puffs_per_week", 0, 200, nullable=False), name="puffs"),
        sa.CheckConstraint("adherence_confirmed IN ('yes', 'no', 'unknown')", name="adherence"),
        sa.CheckConstraint(
            "inhaler_technique_confirmed IN ('yes', 'no', 'unknown')", name="inhaler_technique"
        ),
    )
