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

from respira.science.spirometry import HEIGHT_RANGE_CM

Check = Callable[[float], float]


def fmt(value: float) -> str:
    """A number as a person would write it: no trailing zeros, thousands separated."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.6g}"


def _finite(value: float, label: str) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{label} must be a number")


def _looks_like(
    label: str, value: float, other_unit: str, enter: str, converted: str | None = None
) -> ValueError:
    """The refusal of a value with the tell-tale size of ``other_unit``: what to enter
    instead and, where it is a plain conversion, what the value would be."""
    message = f"{label} {fmt(value)} looks like {other_unit}; enter {enter}"
    return ValueError(f"{message} ({converted})" if converted else message)


def _converted(
    label: str, value: float, other_unit: str, enter: str, scale: float, digits: int, unit: str
) -> ValueError:
    """The refusal of a value typed in ``other_unit``, with what it is in ``unit`` (``scale``
    times the value, rounded to ``digits``)."""
    shown = fmt(round(value * scale, digits))
    return _looks_like(
        label, value, other_unit, enter, f"{fmt(value)} {other_unit} = {shown} {unit}"
    )


def _finite_not_thousandfold(label: str, value: float, large: str, enter: str, small: str) -> None:
    """Refuse a value that is not a number, or one between 0 and 1 that was typed in the
    ``large`` unit, 1000 times the ``small`` one asked for (0.4 mg for 400 µg, 0.025 ppm
    for 25 ppb)."""
    _finite(value, label)
    if 0 < value < 1:
        raise _converted(label, value, large, enter, 1000, 1, small)


def _between(label: str, low: float, high: float, accepted: str) -> Check:
    """A quantity with a plausible range and no other unit it is typically mistaken for:
    refused outside ``low``–``high`` with "``label`` must be ``accepted``"."""

    def check(value: float) -> float:
        _finite(value, label)
        if not low <= value <= high:
            raise ValueError(f"{label} must be {accepted}")
        return value

    return check


def volume_l(label: str, high: float) -> Check:
    """FEV1 or FVC in litres."""

    def check(value: float) -> float:
        _finite(value, label)
        if value >= 100:
            raise _converted(label, value, "mL", "litres", 1 / 1000, 3, "L")
        if 20 <= value < 100:
            raise _looks_like(label, value, "% predicted", "the measured value in litres")
        if not 0.2 <= value <= high:
            raise ValueError(f"{label} must be between 0.2 and {fmt(high)} L")
        return value

    return check


def flow_l_s(label: str) -> Check:
    """FEF25-75 in litres per second."""

    def check(value: float) -> float:
        _finite(value, label)
        if value >= 50:
            raise _looks_like(
                label,
                value,
                "mL/s or L/min",
                "litres per second",
                f"{fmt(value)} mL/s = {fmt(round(value / 1000, 3))} L/s; "
                f"{fmt(value)} L/min = {fmt(round(value / 60, 2))} L/s",
            )
        if not 0.05 <= value <= 15:
            raise ValueError(f"{label} must be between 0.05 and 15 L/s")
        return value

    return check


def bronchodilator_dose_ug(value: float) -> float:
    label = "The bronchodilator dose"
    _finite_not_thousandfold(label, value, "mg", "micrograms", "µg")
    if not 0 < value <= 1000:
        raise ValueError(f"{label} must be more than 0 and at most 1,000 µg (usually 400 µg)")
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
    shown = fmt(value)
    return (
        f"Blood eosinophils {shown} cells/µL is a very low count. It is real on anti-IL-5 "
        f"therapy, but {shown} ×10⁹/L would be {fmt(value * 1000)}/µL: check the unit, and "
        f"confirm that {shown} cells/µL is right to record it"
    )


def eosinophils_per_ul(value: float) -> float:
    label = "Blood eosinophils"
    _finite(value, label)
    if is_very_low_eosinophil_count(value):
        return value  # accepted when confirmed (the schema asks)
    if 0 < value < 10:
        per_ul = fmt(round(value * 1000))
        raise _looks_like(label, value, "×10⁹/L", "cells/µL", f"{fmt(value)} ×10⁹/L = {per_ul}/µL")
    if 10 <= value < 50 and value != int(value):
        raise _looks_like(
            label, value, "a percentage of leukocytes", "the absolute count in cells/µL"
        )
    if not 0 <= value <= 20000:
        raise ValueError(f"{label} must be between 0 and 20,000 cells/µL")
    return value


def feno_ppb(value: float) -> float:
    label = "FeNO"
    _finite_not_thousandfold(label, value, "ppm", "ppb", "ppb")
    if not 0 <= value <= 300:
        raise ValueError(f"{label} must be between 0 and 300 ppb (parts per billion)")
    return value


total_ige_iu_ml = _between(
    "Total IgE",
    0,
    20000,
    "between 0 and 20,000 IU/mL (= kU/L); values above are reported only in hyper-IgE syndrome",
)


def ocs_dose_mg_per_day(value: float) -> float:
    label = "The maintenance OCS dose"
    _finite(value, label)
    if value >= 1000:
        raise _converted(label, value, "µg", "mg/day prednisone-equivalent", 1 / 1000, 2, "mg")
    if not 0 < value <= 100:
        raise ValueError(f"{label} must be more than 0 and at most 100 mg/day (prednisone-eq.)")
    return value


rescue_puffs_per_week = _between("Rescue-inhaler use", 0, 200, "between 0 and 200 puffs per week")


def height_cm(value: float) -> float:
    """The height measured at a spirometry test, in centimetres."""
    label = "Height"
    _finite(value, label)
    if 0 < value < 2.5:
        raise _converted(label, value, "metres", "centimetres", 100, 1, "cm")
    low, high = HEIGHT_RANGE_CM
    if not low <= value <= high:
        raise ValueError(
            f"{label} {fmt(value)} cm is not a possible height; enter the height measured at "
            f"this test in centimetres, between {fmt(low)} and {fmt(high)} cm"
        )
    return value
