"""The specification's tables: states, parameters, phenotypes, observables (spec §1, §2,
§6, §7 of ``reference/mechanistic_model.md``), and the errors the model raises.

Plain data only; the equations live in :mod:`respira.science.model.definition`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HEURISTIC_LABEL = (
    "Uncalibrated hypothesis-level model: the maps from model states to clinical units "
    "are heuristic, and no output is a prediction for any individual patient."
)

#: spec §1, in this order.
STATES: tuple[str, ...] = (
    "A", "D", "T2", "R", "I", "P", "E", "F", "Eb", "Ea", "m", "W", "Sp", "Sc",
)  # fmt: skip

STATE_MEANINGS: dict[str, str] = {
    "A": "allergen in the airway lumen",
    "D": "allergen-loaded mature dendritic cells",
    "T2": "allergen-specific Th2 cells",
    "R": "regulatory T cells",
    "I": "activated type-2 innate lymphoid cells (ILC2)",
    "P": "IgE-secreting plasma cells",
    "E": "serum total IgE",
    "F": "fraction of mast-cell/basophil FcεRI loaded with IgE",
    "Eb": "blood eosinophils",
    "Ea": "airway (tissue) eosinophils",
    "m": "fraction of airway macrophages in a regulatory (IL-10+) state",
    "W": "epithelial injury / alarmin (IL-33, TSLP) index",
    "Sp": "proliferative airway smooth muscle",
    "Sc": "quiescent airway smooth muscle",
}

#: spec §1: A = D = T2 = 0, R = 1, I = P = E = F = 0, Eb = 0.5, Ea = 0, m = 0.3, W = Sp = 0,
#: Sc = 1.
_INITIAL = (0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.3, 0.0, 0.0, 1.0)
DEFAULT_INITIAL: np.ndarray = np.array(_INITIAL, dtype=np.float64)
DEFAULT_INITIAL.setflags(write=False)


@dataclass(frozen=True)
class Parameter:
    """One of the 76 parameters of spec §2: nominal value, plausible range, meaning."""

    name: str
    nominal: float
    low: float
    high: float
    meaning: str


_TABLE = """
u0|1|0.2|3|perennial allergen inhalation rate (a.u./d); assumption
u_seas|0.3|0|0.8|seasonal modulation amplitude; assumption
k_A|4|1|10|airway allergen clearance (mucociliary, t1/2 ~2-17 h)
K_A|0.25|0.1|1|half-saturation of allergen sensing (a.u.)
k_D|1|0.3|3|DC activation/migration rate; assumption
d_D|0.35|0.2|0.7|DC loss in LN (lifespan ~2-5 d)
a_DW|1|0|3|alarmin (TSLP/IL-33) boost of DC priming; assumption
K_D|1|0.3|3|half-saturation of DC signal
s_T|0.5|0.05|1.5|Th2 priming rate by DC; assumption (susceptibility knob)
e_T|0.1|0.02|0.3|IL-4-independent Th2 bias
pi_T|0.1|0.02|0.3|antigen-driven Th2 clonal expansion; assumption
d_T|0.08|0.03|0.3|Th2 effector/memory loss
K_R|1|0.3|3|Treg suppression constant (Treg units)
K_4|2|0.5|5|half-saturation of IL-4/IL-13 signalling
s_R|0.08|0.02|0.2|Treg basal supply
pi_R|0.04|0|0.08|antigen-driven Treg expansion (< d_R)
d_R|0.08|0.04|0.15|Treg loss
eta_Q|2|0.5|6|MSC-induced Treg supply (x-fold at full effect); assumption
eta_m|1|0|3|regulatory-macrophage-induced Treg supply
s_I|0.05|0.02|0.15|ILC2 basal activation
a_I|4|1|10|alarmin-driven ILC2 activation (x-fold)
d_I|0.2|0.1|0.5|ILC2 de-activation
a_T4|1|0.5|2|IL-4/13 per Th2
a_I4|0.2|0.05|0.6|IL-13 per ILC2
b_T5|1|0.5|2|IL-5 per Th2
b_I5|0.3|0.1|1|IL-5 per ILC2
r_10|0.5|0.1|2|IL-10/TGF-b suppression of type-2 cytokine output
c_R10|1|0.5|2|IL-10/TGF-b per Treg
c_m10|1|0.3|2|IL-10 per regulatory-macrophage fraction
k_P|0.05|0.01|0.2|IgE class-switch / plasma-cell generation; assumption
s_P|0.002|0|0.01|basal IgE plasma-cell supply
d_P|0.05|0.02|0.1|IgE plasma-cell loss (t1/2 ~1-5 wk); assumption
K_T|1|0.3|3|Th2 help half-saturation
p_E|3|1|6|IgE secretion per plasma cell (a.u.)
k_E|0.29|0.2|0.35|serum IgE elimination (t1/2 2.4 d, Hayashi 2007)
k_on|0.05|0.01|0.2|FceRI loading by IgE; assumption
k_off|0.05|0.02|0.1|loss of mast-cell-bound IgE (t1/2 ~1-5 wk)
h_max|1|0.5|2|degranulation scale
K_H|0.25|0.1|1|allergen half-saturation for degranulation
s_E|0.12|0.05|0.3|basal marrow eosinophil output (a.u./d)
a_5|8|3|15|IL-5 amplification of eosinophilopoiesis (anti-IL-5 ~ -80%)
K_5|3|1|6|IL-5 half-saturation
k_mig|0.15|0.05|0.4|blood->airway migration (eotaxin-dependent)
a_13|4|1|10|IL-13/eotaxin amplification of recruitment
d_Eb|0.8|0.5|1.2|blood eosinophil loss (t1/2 ~18 h incl. migration)
d_Ea|0.35|0.15|0.7|tissue eosinophil loss (lifespan 2-5 d)
a_s|1|0|3|IL-5 survival prolongation in tissue
k_m1|0.5|0.2|1.5|polarisation rate to regulatory (IL-10+) state
b_m|0.2|0.05|0.5|basal regulatory drive
eta_mQ|1.5|0.5|5|MSC drive of regulatory polarisation; assumption
k_m2|0.5|0.2|1.5|reversion rate
a_mW|1|0|3|injury opposes regulatory state
k_W|0.5|0.1|1.5|epithelial injury by mediators/eosinophils
b_EW|0.5|0.1|1.5|eosinophil weight in injury
b_AW|0.3|0|1|direct allergen protease injury
r_W|1|0.3|3|epithelial repair
rho_WQ|2|0|5|MSC-accelerated repair (KGF/HGF/EV); assumption
rho_Wm|1|0|3|regulatory-macrophage-assisted repair
l_p1|0.3|0.1|0.8|max ASM proliferation rate in severe inflammation
l_cp0|0.001|0|0.005|basal quiescent->proliferative switching
l_cp1|0.05|0.01|0.2|inflammation-driven switching
l_pc|1|0.3|3|proliferative->quiescent switching
l_a|0.005|0.002|0.02|ASM apoptosis/turnover (months)
mu50|6|3|10|inflammation threshold (Hill midpoint)
S_max|3|2|4|max ASM mass relative to healthy
f_trap|0.8|0.5|0.95|lung first-pass trapped fraction (Fischer 2009)
k_M|0.69|0.35|1.4|viable lung MSC loss (t1/2 ~24 h, Lee 2009)
k_Q|0.14|0.07|0.35|paracrine/monocyte-relay effect decay (t1/2 2-10 d); assumption
Q50|0.5|0.1|2|effect half-max (dose units 1e6 cells/kg)
lic|1|0|2|inflammatory licensing of MSC potency (Nemeth 2010)
th_D|1|0|3|MSC inhibition of DC maturation
th_T|2|0.5|5|MSC inhibition of Th2
th_I|2|0.5|5|MSC inhibition of ILC2
th_P|0.5|0|2|MSC inhibition of IgE class switch
th_E|1|0|3|MSC inhibition of eosinophil recruitment
th_H|0.5|0|2|MSC inhibition of mast-cell degranulation (COX2/PGE2)
"""


def _parse(table: str) -> dict[str, Parameter]:
    out: dict[str, Parameter] = {}
    for line in table.strip().splitlines():
        name, nominal, low, high, meaning = line.split("|")
        out[name] = Parameter(name, float(nominal), float(low), float(high), meaning)
    return out


#: spec §2: the 76 parameters, in the specification's order (the columns of a cohort
#: matrix). Units are 1/day unless the meaning says otherwise.
PARAMETERS: dict[str, Parameter] = _parse(_TABLE)
PARAMETER_NAMES: tuple[str, ...] = tuple(PARAMETERS)
INDEX: dict[str, int] = {name: i for i, name in enumerate(PARAMETER_NAMES)}
STATE_INDEX: dict[str, int] = {name: i for i, name in enumerate(STATES)}
NOMINAL: np.ndarray = np.array([p.nominal for p in PARAMETERS.values()])
LOW: np.ndarray = np.array([p.low for p in PARAMETERS.values()])
HIGH: np.ndarray = np.array([p.high for p in PARAMETERS.values()])
for _array in (NOMINAL, LOW, HIGH):
    _array.setflags(write=False)

#: spec §7: the phenotypes differ only in the Th2-priming susceptibility ``s_T``.
PHENOTYPES: dict[str, dict[str, float]] = {
    "healthy": {"s_T": 0.05},
    "t2-high": {"s_T": 0.5},
    "severe": {"s_T": 1.2},
}

#: spec §7: each phenotype's chronic state is a 10-year (3,650 d) perennial run.
BURN_IN_YEARS = 10.0
DAYS_PER_YEAR = 365.0

#: spec §7: cohort draws multiply each parameter by exp(0.25 z), z ~ N(0, 1).
COHORT_LOG_SD = 0.25


@dataclass(frozen=True)
class Observable:
    """A heuristic map from states to a clinical unit (spec §6)."""

    name: str
    unit: str
    label: str
    description: str = ""


OBSERVABLES: dict[str, Observable] = {
    o.name: o
    for o in (
        Observable("feno_ppb", "ppb", HEURISTIC_LABEL, "FeNO = 10 + 50·h4"),
        Observable("blood_eos_per_ul", "cells/µL", HEURISTIC_LABEL, "blood eosinophils = 800·Eb"),
        Observable("ige_iu_ml", "IU/mL", HEURISTIC_LABEL, "total IgE = 100·E"),
        Observable("sputum_eos_pct", "%", HEURISTIC_LABEL, "sputum eosinophils = 100·Ea/(Ea + 15)"),
        Observable("asm_mass_rel", "× healthy", HEURISTIC_LABEL, "ASM mass S = Sp + Sc"),
        Observable(
            "airway_resistance_rel", "× healthy", HEURISTIC_LABEL, "airway resistance = 1/φ⁴"
        ),
        Observable("fev1_pct_pred", "% predicted", HEURISTIC_LABEL, "FEV1 = 100·φ²"),
    )
}


class UnknownParameter(ValueError):
    """A parameter name that is not one of the 76 (the message names it)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown model parameter {name!r} (not one of the 76 in the spec)")
        self.name = name


class BackendUnavailable(Exception):
    """The requested engine (Numba, JAX, a GPU) is not installed here; the message says
    how to install it."""
