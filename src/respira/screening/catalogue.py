"""The fact catalogue of the eligibility rule engine: every fact a criterion may name
(``FACTS``: its type, its unit, its allowed values and where it comes from), the shape
of a dated fact value, and the comparison operators with the fact types they apply to.

The catalogue is the contract between the three sources of facts (the patient record,
the diagnostics snapshot — ``respira.diagnostics.snapshot.ClinicalSnapshot``, field for
field — and the screening findings, see ``respira.screening.facts``) and the criteria
sets: ``respira.screening.loader`` refuses a rule on a fact, unit or operator that is
not listed here, and ``respira.screening.evaluator`` reads the facts by these names.
Sources: reference/clinical.md §8 (the screening programme) and
``criteria/default.toml`` (the shipped criteria, each citing its own source).

This module is pure (no database, no I/O).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

# --- facts -------------------------------------------------------------------------
FactKind = Literal["number", "bool", "enum", "text", "date"]


@dataclass(frozen=True)
class FactSpec:
    """A fact a rule may name: its type, its unit (numbers and dates) and the allowed
    values (enumerations), and where it comes from."""

    name: str
    label: str
    kind: FactKind
    origin: str
    unit: str | None = None
    choices: tuple[str, ...] = ()
    # For dates and a few texts a recorded None is a value ("no such event", "no
    # biologic"); for every other fact it means "not known".
    none_is_value: bool = False


_P, _D, _F = "patient record", "diagnostics", "screening findings"
_YEARS = "years"
DAYS = "days"

_SPECS: tuple[FactSpec, ...] = (
    # The patient record (age on the screening date).
    FactSpec("age_years", "age", "number", _P, _YEARS),
    FactSpec("sex_at_birth", "sex at birth", "enum", _P, choices=("female", "male")),
    FactSpec("smoking_pack_years", "smoking history", "number", _P, "pack-years"),
    # Diagnostics: respira.diagnostics.snapshot.ClinicalSnapshot, field for field.
    FactSpec("fev1_pre_l", "FEV1 pre-bronchodilator", "number", _D, "L"),
    FactSpec("fev1_pre_pctpred", "FEV1 pre-bronchodilator", "number", _D, "% predicted"),
    FactSpec("fev1_pre_z", "FEV1 pre-bronchodilator z-score", "number", _D, "z"),
    FactSpec("fev1fvc_pre_z", "FEV1/FVC pre-bronchodilator z-score", "number", _D, "z"),
    FactSpec("spirometry_pattern", "spirometry pattern", "text", _D),
    FactSpec("bdr_2022", "bronchodilator response (ERS/ATS 2022)", "bool", _D),
    FactSpec("bdr_2005", "bronchodilator response (ATS/ERS 2005)", "bool", _D),
    FactSpec("bdr_positive_ever", "bronchodilator response ever positive", "bool", _D),
    FactSpec("act_score", "ACT score", "number", _D, "points"),
    FactSpec("acq_score", "ACQ score", "number", _D, "points"),
    FactSpec("acq_instrument", "ACQ instrument", "text", _D),
    FactSpec("gina_control", "GINA symptom control", "text", _D),
    FactSpec("blood_eosinophils_per_ul", "blood eosinophils", "number", _D, "cells/µL"),
    FactSpec("feno_ppb", "FeNO", "number", _D, "ppb"),
    FactSpec("total_ige_iu_ml", "total IgE", "number", _D, "IU/mL"),
    FactSpec("phenotype", "phenotype", "text", _D),
    FactSpec("sensitised", "aeroallergen sensitisation", "bool", _D),
    FactSpec("gina_step", "GINA treatment step", "number", _D, "step"),
    FactSpec(
        "ics_dose_level", "ICS dose level", "enum", _D, choices=("none", "low", "medium", "high")
    ),
    FactSpec("on_laba", "on LABA", "bool", _D),
    FactSpec("on_lama", "on LAMA", "bool", _D),
    FactSpec("maintenance_ocs", "on maintenance oral corticosteroids", "bool", _D),
    FactSpec("biologic", "biologic", "text", _D, none_is_value=True),
    FactSpec("exacerbations_12m", "severe exacerbations in 12 months", "number", _D, "events"),
    FactSpec("hospitalisations_12m", "hospitalisations in 12 months", "number", _D, "events"),
    FactSpec("rescue_puffs_per_week", "rescue inhaler use", "number", _D, "puffs/week"),
    FactSpec(
        "last_systemic_corticosteroid_course",
        "last systemic corticosteroid course",
        "date",
        _D,
        DAYS,
    ),
    FactSpec("last_exacerbation", "last severe exacerbation", "date", _D, DAYS),
    FactSpec("chest_imaging_abnormal", "chest imaging abnormal", "bool", _D),
    FactSpec("fev1_post_pctpred", "FEV1 post-bronchodilator", "number", _D, "% predicted"),
    FactSpec("fev1fvc_post_z", "FEV1/FVC post-bronchodilator z-score", "number", _D, "z"),
    FactSpec("cact_score", "C-ACT score", "number", _D, "points"),
    FactSpec("ocs_dose_mg_per_day", "maintenance OCS dose", "number", _D, "mg/day"),
    FactSpec("adherence_confirmed", "adherence confirmed", "bool", _D),
    FactSpec("inhaler_technique_confirmed", "inhaler technique confirmed", "bool", _D),
    # Screening findings: what the physician assesses that diagnostics do not hold.
    FactSpec("pneumonia", "pneumonia", "bool", _F),
    FactSpec("active_tuberculosis", "active tuberculosis", "bool", _F),
    FactSpec("other_active_infection", "other active infection", "bool", _F),
    FactSpec(
        "tb_screening_result",
        "TB screening (IGRA)",
        "enum",
        _F,
        choices=("negative", "positive", "indeterminate"),
    ),
    FactSpec("respiratory_infection_4w", "respiratory infection in the last 4 weeks", "bool", _F),
    FactSpec(
        "heart_failure_nyha",
        "heart failure (NYHA class)",
        "enum",
        _F,
        choices=("none", "I", "II", "III", "IV"),
    ),
    FactSpec("unstable_cardiac_disease", "unstable cardiac disease", "bool", _F),
    FactSpec("egfr_ml_min_1_73m2", "eGFR", "number", _F, "mL/min/1.73m²"),
    FactSpec("dialysis", "dialysis", "bool", _F),
    FactSpec("hepatic_impairment", "hepatic impairment", "bool", _F),
    FactSpec("pregnant", "pregnant", "bool", _F),
    FactSpec("lactating", "lactating", "bool", _F),
    FactSpec(
        "pregnancy_test_result", "pregnancy test", "enum", _F, choices=("negative", "positive")
    ),
    FactSpec("malignancy_active_or_within_5y", "malignancy active or within 5 years", "bool", _F),
    FactSpec("alternative_diagnosis", "alternative or confounding diagnosis", "bool", _F),
    FactSpec("immunosuppressant_30d", "systemic immunosuppressant within 30 days", "bool", _F),
    FactSpec("investigational_product_30d", "investigational product within 30 days", "bool", _F),
    FactSpec("excipient_allergy", "allergy to a product excipient", "bool", _F),
    FactSpec("thrombosis_risk", "thrombosis risk factor", "bool", _F),
    FactSpec("current_smoker", "current smoker", "bool", _F),
    FactSpec("ever_smoked", "ever smoked", "bool", _F),
    # The day the patient stopped smoking; a recorded None is "never smoked".
    FactSpec("smoking_quit_on", "stopped smoking", "date", _F, DAYS, none_is_value=True),
    FactSpec("vaping", "current vaping (e-cigarettes)", "bool", _F),
    FactSpec(
        "exacerbation_or_scs_4w",
        "severe exacerbation or systemic corticosteroid course in the last 4 weeks",
        "bool",
        _F,
    ),
    FactSpec(
        "airflow_variability_documented",
        "variable airflow limitation documented otherwise",
        "bool",
        _F,
    ),
    FactSpec("stable_general_health", "stable general health apart from asthma", "bool", _F),
    FactSpec("informed_consent", "written informed consent", "bool", _F),
    FactSpec("decision_capacity", "capacity to consent", "bool", _F),
)

FACTS: dict[str, FactSpec] = {s.name: s for s in _SPECS}


class DatedFact(Protocol):
    """What a fact value looks like to the engine (``respira.diagnostics.snapshot.Dated``
    fits): the value, the date it was measured or reported, and the record it is in."""

    @property
    def value(self) -> Any: ...
    @property
    def on(self) -> dt.date: ...
    @property
    def source(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Fact:
    value: Any
    on: dt.date
    source: str


Facts = Mapping[str, DatedFact | None]

# --- operators and units ---------------------------------------------------------------

OPERATORS: dict[str, str] = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
    "between": "between",
    "in": "one of",
    "not_in": "none of",
    "within_days": "within the last",
}
OPS_BY_KIND: dict[FactKind, frozenset[str]] = {
    "number": frozenset({"eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in"}),
    "bool": frozenset({"eq", "ne"}),
    "enum": frozenset({"eq", "ne", "in", "not_in"}),
    "text": frozenset({"eq", "ne", "in", "not_in"}),
    "date": frozenset({"within_days"}),
}
# Spellings an editor may type for the same unit.
UNIT_ALIASES = {"cells/uL": "cells/µL", "mL/min/1.73m2": "mL/min/1.73m²", "%pred": "% predicted"}


def is_number(v: Any) -> bool:
    """A finite number that is not a bool (``True`` is an ``int`` to Python)."""
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
