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

from respira.kit.marks import N_

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


_P, _D, _F = N_("patient record"), N_("diagnostics"), N_("screening findings")
_YEARS = "years"
DAYS = "days"

_SPECS: tuple[FactSpec, ...] = (
    # The patient record (age on the screening date).
    FactSpec("age_years", N_("age"), "number", _P, _YEARS),
    FactSpec("sex_at_birth", N_("sex at birth"), "enum", _P, choices=("female", "male")),
    FactSpec("smoking_pack_years", N_("smoking history"), "number", _P, "pack-years"),
    # Diagnostics: respira.diagnostics.snapshot.ClinicalSnapshot, field for field.
    FactSpec("fev1_pre_l", N_("FEV1 pre-bronchodilator"), "number", _D, "L"),
    FactSpec("fev1_pre_pctpred", N_("FEV1 pre-bronchodilator"), "number", _D, "% predicted"),
    FactSpec("fev1_pre_z", N_("FEV1 pre-bronchodilator z-score"), "number", _D, "z"),
    FactSpec("fev1fvc_pre_z", N_("FEV1/FVC pre-bronchodilator z-score"), "number", _D, "z"),
    FactSpec("spirometry_pattern", N_("spirometry pattern"), "text", _D),
    FactSpec("bdr_2022", N_("bronchodilator response (ERS/ATS 2022)"), "bool", _D),
    FactSpec("bdr_2005", N_("bronchodilator response (ATS/ERS 2005)"), "bool", _D),
    FactSpec("bdr_positive_ever", N_("bronchodilator response ever positive"), "bool", _D),
    FactSpec("act_score", N_("ACT score"), "number", _D, "points"),
    FactSpec("acq_score", N_("ACQ score"), "number", _D, "points"),
    FactSpec("acq_instrument", N_("ACQ instrument"), "text", _D),
    FactSpec("gina_control", N_("GINA symptom control"), "text", _D),
    FactSpec("blood_eosinophils_per_ul", N_("blood eosinophils"), "number", _D, "cells/µL"),
    FactSpec("feno_ppb", N_("FeNO"), "number", _D, "ppb"),
    FactSpec("total_ige_iu_ml", N_("total IgE"), "number", _D, "IU/mL"),
    FactSpec("phenotype", N_("phenotype"), "text", _D),
    FactSpec("sensitised", N_("aeroallergen sensitisation"), "bool", _D),
    FactSpec("gina_step", N_("GINA treatment step"), "number", _D, "step"),
    FactSpec(
        "ics_dose_level",
        N_("ICS dose level"),
        "enum",
        _D,
        choices=("none", "low", "medium", "high"),
    ),
    FactSpec("on_laba", N_("on LABA"), "bool", _D),
    FactSpec("on_lama", N_("on LAMA"), "bool", _D),
    FactSpec("maintenance_ocs", N_("on maintenance oral corticosteroids"), "bool", _D),
    FactSpec("biologic", N_("biologic"), "text", _D, none_is_value=True),
    FactSpec("exacerbations_12m", N_("severe exacerbations in 12 months"), "number", _D, "events"),
    FactSpec("hospitalisations_12m", N_("hospitalisations in 12 months"), "number", _D, "events"),
    FactSpec("rescue_puffs_per_week", N_("rescue inhaler use"), "number", _D, "puffs/week"),
    FactSpec(
        "last_systemic_corticosteroid_course",
        N_("last systemic corticosteroid course"),
        "date",
        _D,
        DAYS,
    ),
    FactSpec("last_exacerbation", N_("last severe exacerbation"), "date", _D, DAYS),
    FactSpec("chest_imaging_abnormal", N_("chest imaging abnormal"), "bool", _D),
    FactSpec("fev1_post_pctpred", N_("FEV1 post-bronchodilator"), "number", _D, "% predicted"),
    FactSpec("fev1fvc_post_z", N_("FEV1/FVC post-bronchodilator z-score"), "number", _D, "z"),
    FactSpec("cact_score", N_("C-ACT score"), "number", _D, "points"),
    FactSpec("ocs_dose_mg_per_day", N_("maintenance OCS dose"), "number", _D, "mg/day"),
    FactSpec("adherence_confirmed", N_("adherence confirmed"), "bool", _D),
    FactSpec("inhaler_technique_confirmed", N_("inhaler technique confirmed"), "bool", _D),
    # Screening findings: what the physician assesses that diagnostics do not hold.
    FactSpec("pneumonia", N_("pneumonia"), "bool", _F),
    FactSpec("active_tuberculosis", N_("active tuberculosis"), "bool", _F),
    FactSpec("other_active_infection", N_("other active infection"), "bool", _F),
    FactSpec(
        "tb_screening_result",
        N_("TB screening (IGRA)"),
        "enum",
        _F,
        choices=("negative", "positive", "indeterminate"),
    ),
    FactSpec(
        "respiratory_infection_4w", N_("respiratory infection in the last 4 weeks"), "bool", _F
    ),
    FactSpec(
        "heart_failure_nyha",
        N_("heart failure (NYHA class)"),
        "enum",
        _F,
        choices=("none", "I", "II", "III", "IV"),
    ),
    FactSpec("unstable_cardiac_disease", N_("unstable cardiac disease"), "bool", _F),
    FactSpec("egfr_ml_min_1_73m2", N_("eGFR"), "number", _F, "mL/min/1.73m²"),
    FactSpec("dialysis", N_("dialysis"), "bool", _F),
    FactSpec("hepatic_impairment", N_("hepatic impairment"), "bool", _F),
    FactSpec("pregnant", N_("pregnant"), "bool", _F),
    FactSpec("lactating", N_("lactating"), "bool", _F),
    FactSpec(
        "pregnancy_test_result", N_("pregnancy test"), "enum", _F, choices=("negative", "positive")
    ),
    FactSpec(
        "malignancy_active_or_within_5y", N_("malignancy active or within 5 years"), "bool", _F
    ),
    FactSpec("alternative_diagnosis", N_("alternative or confounding diagnosis"), "bool", _F),
    FactSpec("immunosuppressant_30d", N_("systemic immunosuppressant within 30 days"), "bool", _F),
    FactSpec(
        "investigational_product_30d", N_("investigational product within 30 days"), "bool", _F
    ),
    FactSpec("excipient_allergy", N_("allergy to a product excipient"), "bool", _F),
    FactSpec("thrombosis_risk", N_("thrombosis risk factor"), "bool", _F),
    FactSpec("current_smoker", N_("current smoker"), "bool", _F),
    FactSpec("ever_smoked", N_("ever smoked"), "bool", _F),
    # The day the patient stopped smoking; a recorded None is "never smoked".
    FactSpec("smoking_quit_on", N_("stopped smoking"), "date", _F, DAYS, none_is_value=True),
    FactSpec("vaping", N_("current vaping (e-cigarettes)"), "bool", _F),
    FactSpec(
        "exacerbation_or_scs_4w",
        N_("severe exacerbation or systemic corticosteroid course in the last 4 weeks"),
        "bool",
        _F,
    ),
    FactSpec(
        "airflow_variability_documented",
        N_("variable airflow limitation documented otherwise"),
        "bool",
        _F,
    ),
    FactSpec("stable_general_health", N_("stable general health apart from asthma"), "bool", _F),
    FactSpec("informed_consent", N_("written informed consent"), "bool", _F),
    FactSpec("decision_capacity", N_("capacity to consent"), "bool", _F),
)

FACTS: dict[str, FactSpec] = {s.name: s for s in _SPECS}

# The kinds of fact in words (the criteria pages' table of facts).
KIND_WORDS: dict[str, str] = {
    "number": N_("number"),
    "bool": N_("yes or no"),
    "enum": N_("one of the values"),
    "text": N_("text"),
    "date": N_("date"),
}

# The values of enumerated facts in words (NYHA classes are written as they are).
CHOICE_WORDS = {
    "female": N_("female"),
    "male": N_("male"),
    "none": N_("none"),
    "low": N_("low"),
    "medium": N_("medium"),
    "high": N_("high"),
    "negative": N_("negative"),
    "positive": N_("positive"),
    "indeterminate": N_("indeterminate"),
}

# Units after a number in a screening's evidence, as written ("z", "step" and "days"
# are not: the evidence writes them otherwise).
UNIT_WORDS = {
    "years": N_("years"),
    "pack-years": N_("pack-years"),
    "points": N_("points"),
    "puffs/week": N_("puffs/week"),
    "mg/day": N_("mg/day"),
    "L": N_("L"),
    "cells/µL": N_("cells/µL"),
    "IU/mL": N_("IU/mL"),
}


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
    "between": N_("between"),
    "in": N_("one of"),
    "not_in": N_("none of"),
    "within_days": N_("within the last"),
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
