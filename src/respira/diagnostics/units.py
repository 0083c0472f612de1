"""Plausible ranges and wrong-unit catches for what a clinician types into a
diagnostic form.

Each check takes a number and returns it unchanged, or raises ``ValueError`` with a
message that names the quantity and the unit it expects — and, where a value has the
tell-tale size of another unit, which unit it looks like and what it would be in the
right one. A value in the wrong unit is never converted silently: the person who typed
it confirms the number (a guess that a figure was millilitres is still a guess).

Ranges (programme rules; the science module has its own, wider, physiological limits):

============================  ==========================  =====================================
quantity                      accepted                    caught as another unit
============================  ==========================  =====================================
FEV1                          0.2–8 L                     ≥ 100: mL; 20–<100: % predicted
FVC                           0.2–10 L                    ≥ 100: mL; 20–<100: % predicted
FEF25-75                      0.05–15 L/s                 ≥ 50: mL/s or L/min
bronchodilator dose           > 0–1000 µg                 < 1: mg (0.4 mg = 400 µg)
blood eosinophils             0–20,000 cells/µL           0 < x < 1, or 1–<10 with decimals:
                                                          ×10⁹/L (0.3 → 300/µL); 10–<50 with
                                                          decimals: % of leukocytes; whole
                                                          counts 1–9 need a confirmation
FeNO                          0–300 ppb                   0 < x < 1: ppm (0.025 ppm = 25 ppb)
total IgE                     0–20,000 IU/mL (= kU/L)
maintenance OCS dose          > 0–100 mg/day              ≥ 1000: µg/day
rescue inhaler use            0–200 puffs/week
height at a spirometry test   40–250 cm                   < 2.5: metres (1.68 m = 168 cm)
============================  ==========================  =====================================

Sources for the bounds: FEV1/FVC/FEF ranges cover the GLI reference populations
(Quanjer 2012 Eur Respir J 40:1324) with room for the largest healthy adults; a
standard bronchodilator test gives 400 µg salbutamol (Graham 2019 Am J Respir Crit
Care Med 200:e70), so 1000 µg leaves room for 4 × 250 µg terbutaline; eosinophils above
1500/µL already mean hypereosinophilia (work-up for EGPA, parasites), 20,000/µL is far
beyond any asthma value; FeNO analysers (NIOX VERO, Vivatmo) report up to 300 ppb
(Dweik 2011 Am J Respir Crit Care Med 184:602 for the clinical cut-offs); total IgE:
1 IU/mL = 1 kU/L ≈ 2.4 ng/mL (WHO 2nd IRP 75/502), the ImmunoCAP Total IgE measuring
range is 2–5,000 kU/L undiluted and values above 20,000 kU/L are reported only in
hyper-IgE syndrome and allergic bronchopulmonary aspergillosis (Grimbacher 1999
N Engl J Med 340:692; Agarwal 2013 Clin Exp Allergy 43:850 for ABPA, where > 1,000 IU/mL
is a criterion); prednisone-equivalent maintenance doses above 100 mg/day are not
maintenance therapy; 200 puffs a week is a 200-dose SABA canister a week. Heights: the
GLI equations' plausibility range (``respira.science.spirometry.HEIGHT_RANGE_CM``, the
same 40–250 cm as the patient record).

Very low eosinophil counts: whole counts of 1–9 cells/µL are real (anti-IL-5 and
anti-IL-5Rα therapy deplete blood eosinophils, often to near zero; Laviolette 2013
J Allergy Clin Immunol 132:1086 for benralizumab), but they are also what a count in
×10⁹/L looks like (3 ×10⁹/L = 3,000/µL). They are not refused: the person confirms the
value (``low_eosinophils_need_confirmation``; the form's ``confirm_low_eosinophils``).
A count in cells/µL is a whole number, so 0 < x < 1 or a fraction below 10 is read as
×10⁹/L and refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.science.spirometry import HEIGHT_RANGE_CM

Check = Callable[[float], float]

# The messages, marked for the catalogues: a page writes them in its reader's language
# (numbers in the reader's way), the API answers their English (``refusal``).
NOT_A_NUMBER = N_("%(label)s must be a number")
LOOKS_LIKE_ML = N_(
    "%(label)s %(value)s looks like mL; enter litres (%(value)s mL = %(converted)s L)"
)
LOOKS_LIKE_PERCENT_PREDICTED = N_(
    "%(label)s %(value)s looks like %% predicted; enter the measured value in litres"
)
VOLUME_RANGE = N_("%(label)s must be between 0.2 and %(high)s L")
LOOKS_LIKE_FLOW = N_(
    "%(label)s %(value)s looks like mL/s or L/min; enter litres per second "
    "(%(value)s mL/s = %(per_ml)s L/s; %(value)s L/min = %(per_min)s L/s)"
)
FLOW_RANGE = N_("%(label)s must be between 0.05 and 15 L/s")
DOSE_IN_MG = N_(
    "The bronchodilator dose %(value)s looks like mg; enter micrograms "
    "(%(value)s mg = %(converted)s µg)"
)
DOSE_RANGE = N_("The bronchodilator dose must be more than 0 and at most 1,000 µg (usually 400 µg)")
EOSINOPHILS_CONFIRM = N_(
    "Blood eosinophils %(value)s cells/µL is a very low count. It is real on anti-IL-5 "
    "therapy, but %(value)s ×10⁹/L would be %(per_ul)s/µL: check the unit, and confirm "
    "that %(value)s cells/µL is right to record it"
)
EOSINOPHILS_IN_10_9 = N_(
    "Blood eosinophils %(value)s looks like ×10⁹/L; enter cells/µL "
    "(%(value)s ×10⁹/L = %(per_ul)s/µL)"
)
EOSINOPHILS_IN_PERCENT = N_(
    "Blood eosinophils %(value)s looks like a percentage of leukocytes; enter the absolute "
    "count in cells/µL"
)
EOSINOPHILS_RANGE = N_("Blood eosinophils must be between 0 and 20,000 cells/µL")
FENO_IN_PPM = N_("FeNO %(value)s looks like ppm; enter ppb (%(value)s ppm = %(converted)s ppb)")
FENO_RANGE = N_("FeNO must be between 0 and 300 ppb (parts per billion)")
IGE_RANGE = N_(
    "Total IgE must be between 0 and 20,000 IU/mL (= kU/L); values above are reported only "
    "in hyper-IgE syndrome"
)
OCS_IN_UG = N_(
    "The maintenance OCS dose %(value)s looks like µg; enter mg/day prednisone-equivalent "
    "(%(value)s µg = %(converted)s mg)"
)
OCS_RANGE = N_(
    "The maintenance OCS dose must be more than 0 and at most 100 mg/day (prednisone-eq.)"
)
PUFFS_RANGE = N_("Rescue-inhaler use must be between 0 and 200 puffs per week")
HEIGHT_IN_METRES = N_(
    "Height %(value)s looks like metres; enter centimetres (%(value)s metres = %(converted)s cm)"
)
HEIGHT_RANGE = N_(
    "Height %(value)s cm is not a possible height; enter the height measured at this test in "
    "centimetres, between %(low)s and %(high)s cm"
)
#: The quantities a message names by a parameter (``%(label)s``), in words.
LABELS: dict[str, str] = {
    "FEV1": N_("FEV1"),
    "FVC": N_("FVC"),
    "FEF25-75": N_("FEF25-75"),
    "The bronchodilator dose": N_("The bronchodilator dose"),
    "Blood eosinophils": N_("Blood eosinophils"),
    "FeNO": N_("FeNO"),
    "Total IgE": N_("Total IgE"),
    "The maintenance OCS dose": N_("The maintenance OCS dose"),
    "Rescue-inhaler use": N_("Rescue-inhaler use"),
    "Height": N_("Height"),
}


def fmt(value: float) -> str:
    """A number as a person would write it: no trailing zeros, thousands separated."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.6g}"


def message(template: str, **params: Any) -> str:
    """A message of ``template`` as a ``Msg``: its ``str`` is the English with the numbers
    written by ``fmt`` (what the API answers), its parameters keep the numbers, for a page
    to write them in its reader's way."""
    english = template % {k: fmt(v) if isinstance(v, int | float) else v for k, v in params.items()}
    made = str.__new__(Msg, english)
    made.msgid = template
    made.params = params
    return made


def _label(label: str) -> str:
    return Msg(LABELS.get(label, label))


def _finite(value: float, label: str) -> None:
    if not math.isfinite(value):
        raise ValueError(message(NOT_A_NUMBER, label=_label(label)))


def _refused(template: str, **params: Any) -> ValueError:
    return ValueError(message(template, **params))


def _finite_not_thousandfold(label: str, value: float, template: str) -> None:
    """Refuse a value that is not a number, or one between 0 and 1 that was typed in the
    unit 1000 times the one asked for (0.4 mg for 400 µg, 0.025 ppm for 25 ppb):
    ``template`` says so, with the value converted (to one decimal)."""
    _finite(value, label)
    if 0 < value < 1:
        raise _refused(template, value=value, converted=round(value * 1000, 1))


def _between(label: str, low: float, high: float, template: str) -> Check:
    """A quantity with a plausible range and no other unit it is typically mistaken for:
    refused outside ``low``–``high`` with ``template``."""

    def check(value: float) -> float:
        _finite(value, label)
        if not low <= value <= high:
            raise _refused(template)
        return value

    return check


def volume_l(label: str, high: float) -> Check:
    """FEV1 or FVC in litres."""

    def check(value: float) -> float:
        _finite(value, label)
        name = _label(label)
        if value >= 100:
            converted = round(value * (1 / 1000), 3)
            raise _refused(LOOKS_LIKE_ML, label=name, value=value, converted=converted)
        if 20 <= value < 100:
            raise _refused(LOOKS_LIKE_PERCENT_PREDICTED, label=name, value=value)
        if not 0.2 <= value <= high:
            raise _refused(VOLUME_RANGE, label=name, high=high)
        return value

    return check


def flow_l_s(label: str) -> Check:
    """FEF25-75 in litres per second."""

    def check(value: float) -> float:
        _finite(value, label)
        if value >= 50:
            raise _refused(
                LOOKS_LIKE_FLOW,
                label=_label(label),
                value=value,
                per_ml=round(value / 1000, 3),
                per_min=round(value / 60, 2),
            )
        if not 0.05 <= value <= 15:
            raise _refused(FLOW_RANGE, label=_label(label))
        return value

    return check


def bronchodilator_dose_ug(value: float) -> float:
    _finite_not_thousandfold("The bronchodilator dose", value, DOSE_IN_MG)
    if not 0 < value <= 1000:
        raise _refused(DOSE_RANGE)
    return value


#: Whole counts below this (cells/µL) are accepted only when confirmed.
EOSINOPHILS_CONFIRM_BELOW_PER_UL = 10


def is_very_low_eosinophil_count(value: float | None) -> bool:
    """A whole count of 1–9 cells/µL: real on anti-IL-5 therapy, or a value typed in
    ×10⁹/L; it needs the person's confirmation."""
    return (
        value is not None and 1 <= value < EOSINOPHILS_CONFIRM_BELOW_PER_UL and value == int(value)
    )


def low_eosinophils_need_confirmation(value: float) -> str:
    """The message asking to confirm a very low eosinophil count (names the value and
    how to confirm it)."""
    return message(EOSINOPHILS_CONFIRM, value=value, per_ul=value * 1000)


def eosinophils_per_ul(value: float) -> float:
    _finite(value, "Blood eosinophils")
    if is_very_low_eosinophil_count(value):
        return value  # accepted when confirmed (the schema asks)
    if 0 < value < 10:
        raise _refused(EOSINOPHILS_IN_10_9, value=value, per_ul=round(value * 1000))
    if 10 <= value < 50 and value != int(value):
        raise _refused(EOSINOPHILS_IN_PERCENT, value=value)
    if not 0 <= value <= 20000:
        raise _refused(EOSINOPHILS_RANGE)
    return value


def feno_ppb(value: float) -> float:
    _finite_not_thousandfold("FeNO", value, FENO_IN_PPM)
    if not 0 <= value <= 300:
        raise _refused(FENO_RANGE)
    return value


total_ige_iu_ml = _between("Total IgE", 0, 20000, IGE_RANGE)


def ocs_dose_mg_per_day(value: float) -> float:
    _finite(value, "The maintenance OCS dose")
    if value >= 1000:
        raise _refused(OCS_IN_UG, value=value, converted=round(value * (1 / 1000), 2))
    if not 0 < value <= 100:
        raise _refused(OCS_RANGE)
    return value


rescue_puffs_per_week = _between("Rescue-inhaler use", 0, 200, PUFFS_RANGE)


def height_cm(value: float) -> float:
    """The height measured at a spirometry test, in centimetres."""
    _finite(value, "Height")
    if 0 < value < 2.5:
        raise _refused(HEIGHT_IN_METRES, value=value, converted=round(value * 100, 1))
    low, high = HEIGHT_RANGE_CM
    if not low <= value <= high:
        raise _refused(HEIGHT_RANGE, value=value, low=low, high=high)
    return value
