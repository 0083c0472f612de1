"""The clinical snapshot: the newest diagnostic facts about one patient, each with its
date and the record it came from, for screening (and later steps) to decide on.

A fact that was never recorded is ``None`` — never a default value — so that a rule
that needs it answers "unknown", not "pass".

This module fixes the contract between diagnostics (which fills it) and screening
(which reads it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Dated(Generic[T]):
    """A value with the date it was measured or reported and where it is recorded,
    e.g. ``source="visit 12 / spirometry 31"``."""

    value: T
    on: dt.date
    source: str


@dataclass(frozen=True)
class ClinicalSnapshot:
    patient_id: int
    # Lung function (newest spirometry session; pattern per ATS/ERS 2022).
    fev1_pre_l: Dated[float] | None = None
    fev1_pre_pctpred: Dated[float] | None = None
    fev1_pre_z: Dated[float] | None = None
    fev1fvc_pre_z: Dated[float] | None = None
    spirometry_pattern: Dated[str] | None = None
    # Bronchodilator responsiveness: the newest session that had a post-BD test, and
    # whether any session ever showed a response (2022 rule, and the 2005 rule).
    bdr_2022: Dated[bool] | None = None
    bdr_2005: Dated[bool] | None = None
    bdr_positive_ever: Dated[bool] | None = None
    # Control (newest of each instrument).
    act_score: Dated[int] | None = None
    acq_score: Dated[float] | None = None
    acq_instrument: Dated[str] | None = None
    gina_control: Dated[str] | None = None
    # Inflammation markers (newest).
    blood_eosinophils_per_ul: Dated[float] | None = None
    feno_ppb: Dated[float] | None = None
    total_ige_iu_ml: Dated[float] | None = None
    phenotype: Dated[str] | None = None
    sensitised: Dated[bool] | None = None
    # Treatment and history (newest history record).
    gina_step: Dated[int] | None = None
    ics_dose_level: Dated[str] | None = None  # "none" | "low" | "medium" | "high"
    on_laba: Dated[bool] | None = None
    on_lama: Dated[bool] | None = None
    maintenance_ocs: Dated[bool] | None = None
    biologic: Dated[str | None] | None = None  # the biologic's name, or None if none
    exacerbations_12m: Dated[int] | None = None  # severe: systemic CS ≥3 days or hospital/ED
    hospitalisations_12m: Dated[int] | None = None
    rescue_puffs_per_week: Dated[float] | None = None
    last_systemic_corticosteroid_course: Dated[dt.date | None] | None = None
    last_exacerbation: Dated[dt.date | None] | None = None
    # Imaging (newest chest imaging and whether findings were reported abnormal).
    chest_imaging_abnormal: Dated[bool] | None = None
