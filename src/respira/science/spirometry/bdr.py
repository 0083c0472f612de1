"""Bronchodilator responsiveness: the ATS/ERS 2022 rule and the 2005 rule.

Sources: Stanojevic S et al. ERS/ATS technical standard on interpretive strategies for
routine lung function tests. Eur Respir J 2022;60:2101499 (doi:10.1183/13993003.01499-2021)
for the 2022 rule; Pellegrino R et al. Interpretative strategies for lung function
tests. Eur Respir J 2005;26:948–68 for the legacy rule.

**Bronchodilator responsiveness.** 2022 rule: the change in FEV1 or in FVC is *more
than* 10 % of the predicted value, (post − pre)/pred × 100 > 10. 2005 rule: FEV1 or FVC
rises by *at least* 12 % of the baseline *and* at least 200 mL. Decimal inputs exactly
at a cut-off (2.50 → 2.80 L is exactly 12 %) do not survive binary arithmetic exactly,
so comparisons allow 1e-9 (in % points or litres) of rounding: ``>`` needs to clear the
cut-off by more than that, ``≥`` accepts it within that. Both need pre and post values
of FEV1 and FVC; without them the result is ``None``.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike

from respira.science.spirometry.limits import _ROUNDING

__all__ = [
    "BDR_2005_MIN_CHANGE_L",
    "BDR_2005_MIN_CHANGE_PCT_BASELINE",
    "BDR_2022_MIN_CHANGE_PCT_PRED",
    "BDR_RULES",
    "bdr_2005",
    "bdr_2022",
]

BDR_RULES: Final = ("2022", "2005")

#: 2022 rule: change > 10 % of the predicted value (Stanojevic 2022).
BDR_2022_MIN_CHANGE_PCT_PRED: Final = 10.0
#: 2005 rule: ≥ 12 % of baseline and ≥ 200 mL (Pellegrino 2005).
BDR_2005_MIN_CHANGE_PCT_BASELINE: Final = 12.0
BDR_2005_MIN_CHANGE_L: Final = 0.200


def bdr_2022(
    fev1_pre: ArrayLike,
    fev1_post: ArrayLike,
    fev1_pred: ArrayLike,
    fvc_pre: ArrayLike,
    fvc_post: ArrayLike,
    fvc_pred: ArrayLike,
) -> tuple[Any, Any, Any]:
    """2022 rule: (fev1 change % pred, fvc change % pred, positive code).

    The code is 1 (responsive), 0 (not), −1 (not assessable: a value is missing and
    the other change does not already qualify).
    """
    f64 = np.float64
    with np.errstate(invalid="ignore"):
        fev1_change = (
            100.0
            * (np.asarray(fev1_post, f64) - np.asarray(fev1_pre, f64))
            / np.asarray(fev1_pred, f64)
        )
        fvc_change = (
            100.0
            * (np.asarray(fvc_post, f64) - np.asarray(fvc_pre, f64))
            / np.asarray(fvc_pred, f64)
        )
        cut = BDR_2022_MIN_CHANGE_PCT_PRED + _ROUNDING
        code = _either(fev1_change > cut, fvc_change > cut, fev1_change, fvc_change)
    return fev1_change, fvc_change, code


def bdr_2005(
    fev1_pre: ArrayLike, fev1_post: ArrayLike, fvc_pre: ArrayLike, fvc_post: ArrayLike
) -> Any:
    """2005 rule (≥ 12 % and ≥ 200 mL from baseline, FEV1 or FVC): code 1/0/−1."""
    hits = []
    changes = []
    with np.errstate(invalid="ignore"):
        for pre, post in ((fev1_pre, fev1_post), (fvc_pre, fvc_post)):
            pre_a = np.asarray(pre, np.float64)
            change = np.asarray(post, np.float64) - pre_a
            pct = 100.0 * change / pre_a
            hits.append(
                (change >= BDR_2005_MIN_CHANGE_L - _ROUNDING)
                & (pct >= BDR_2005_MIN_CHANGE_PCT_BASELINE - _ROUNDING)
            )
            changes.append(change)
        return _either(hits[0], hits[1], changes[0], changes[1])


def _either(hit_a: Any, hit_b: Any, value_a: Any, value_b: Any) -> Any:
    positive = hit_a | hit_b
    unknown = ~positive & (np.isnan(value_a) | np.isnan(value_b))
    code = np.where(positive, 1, np.where(unknown, -1, 0)).astype(np.int8)
    return int(code) if code.ndim == 0 else code
