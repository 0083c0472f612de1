"""ATS/ERS 2022 spirometry pattern and severity, from z-scores.

Source: Stanojevic S et al. ERS/ATS technical standard on interpretive strategies for
routine lung function tests. Eur Respir J 2022;60:2101499 (doi:10.1183/13993003.01499-2021).

**Abnormal** means below the lower limit of normal, i.e. z < −1.645 (strictly; a
z-score of exactly −1.645 is at the LLN and counts as normal; see
:mod:`~respira.science.spirometry.limits`).

**Pattern**, from the pre-bronchodilator z-scores:

============================  ==============================================================
``obstruction``               FEV1/FVC z < −1.645, FVC z ≥ −1.645
``mixed``                     FEV1/FVC z < −1.645 and FVC z < −1.645 (low FVC with
                              obstruction: gas trapping or a true mixed defect — confirm
                              with lung volumes)
``possible_restriction``      FEV1/FVC normal, FVC z < −1.645, whatever FEV1 ("low FVC,
                              confirm with lung volumes")
``prism``                     FEV1/FVC normal, FVC normal, FEV1 z < −1.645
``normal``                    none of the above
============================  ==============================================================

PRISm and possible restriction: the 2022 standard reads a low FVC with a normal ratio
as *possible* restriction to be confirmed by TLC (a normal TLC then makes it a
non-specific pattern, which the PRISm literature counts as PRISm). So when FEV1 and FVC
are both low with a normal ratio — the usual case — the label is
``possible_restriction``, because the next step (lung volumes) is the same and the
spirometry alone cannot tell the two apart; ``prism`` is kept for a low FEV1 with a
normal ratio *and* a normal FVC, which no lung-volume result would call restriction.
A caller who wants the epidemiological PRISm definition (normal ratio, FEV1 < LLN)
gets it from the z-scores in the results.

**Severity** (any abnormal pattern), from the pre-bronchodilator FEV1 z-score, with
the ATS/ERS 2022 bands written as −1.65 to −2.5, −2.51 to −4.0 and < −4.1:
``mild`` z ≥ −2.5; ``moderate`` −4 ≤ z < −2.5; ``severe`` z < −4. An abnormal pattern
with FEV1 itself within normal limits (e.g. obstruction with FEV1 z −1.2) is ``mild``,
the lowest grade. A normal pattern has no severity (``None``).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike

from respira.science.spirometry.limits import Z_LLN

__all__ = [
    "PATTERNS",
    "SEVERITIES",
    "SEVERITY_MODERATE_BELOW_Z",
    "SEVERITY_SEVERE_BELOW_Z",
    "classify_pattern",
    "grade_severity",
]

PATTERNS: Final = ("normal", "obstruction", "possible_restriction", "mixed", "prism")
SEVERITIES: Final = ("mild", "moderate", "severe")

#: Severity band edges on the FEV1 z-score (Stanojevic 2022, table of severity).
SEVERITY_MODERATE_BELOW_Z: Final = -2.5
SEVERITY_SEVERE_BELOW_Z: Final = -4.0

_NORMAL, _OBSTRUCTION, _RESTRICTION, _MIXED, _PRISM = range(5)
_UNDETERMINED: Final = -1


def classify_pattern(fev1_z: ArrayLike, fvc_z: ArrayLike, fev1fvc_z: ArrayLike) -> Any:
    """Pattern code per record: an index into :data:`PATTERNS`, or −1 if any z is NaN.

    Returns an int8 array (a Python int for scalar input). See the module docstring
    for the rules.
    """
    fev1 = np.asarray(fev1_z, dtype=np.float64)
    fvc = np.asarray(fvc_z, dtype=np.float64)
    ratio = np.asarray(fev1fvc_z, dtype=np.float64)
    low_ratio = ratio < Z_LLN
    low_fvc = fvc < Z_LLN
    low_fev1 = fev1 < Z_LLN
    code = np.where(
        low_ratio,
        np.where(low_fvc, _MIXED, _OBSTRUCTION),
        np.where(low_fvc, _RESTRICTION, np.where(low_fev1, _PRISM, _NORMAL)),
    ).astype(np.int8)
    undetermined = np.isnan(fev1) | np.isnan(fvc) | np.isnan(ratio)
    code[undetermined] = _UNDETERMINED
    return int(code) if code.ndim == 0 else code


def grade_severity(fev1_z: ArrayLike, pattern_code: ArrayLike) -> Any:
    """Severity code: an index into :data:`SEVERITIES`, or −1 for none.

    None (−1) when the pattern is normal or undetermined; otherwise ``mild`` for
    z ≥ −2.5, ``moderate`` for −4 ≤ z < −2.5, ``severe`` for z < −4.
    """
    z = np.asarray(fev1_z, dtype=np.float64)
    pattern = np.asarray(pattern_code)
    code = np.where(
        z < SEVERITY_SEVERE_BELOW_Z, 2, np.where(z < SEVERITY_MODERATE_BELOW_Z, 1, 0)
    ).astype(np.int8)
    code[(pattern == _NORMAL) | (pattern == _UNDETERMINED) | np.isnan(z)] = -1
    return int(code) if code.ndim == 0 else code
