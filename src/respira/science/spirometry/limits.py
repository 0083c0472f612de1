"""The limits of normal on the z-score scale, and the rounding allowance at cut-offs.

GLI reference values put the lower limit of normal (LLN) at the 5th centile and the
upper limit (ULN) at the 95th, i.e. at z = ∓1.645 exactly (Quanjer PH et al.
Multi-ethnic reference values for spirometry for the 3–95-yr age range: the global
lung function 2012 equations. Eur Respir J 2012;40:1324–43). A z-score exactly at a
limit is within normal limits: "below the LLN" means z < −1.645 strictly and "above
the ULN" z > 1.645 strictly, as in the ATS/ERS 2022 interpretive standard (Stanojevic
S et al. Eur Respir J 2022;60:2101499). This module is the one home of that rule; the
pattern classification, the reference tables' version string and any display of
"below LLN" use it.
"""

from __future__ import annotations

import math
from typing import Final, Literal

__all__ = [
    "Z_LIMIT",
    "Z_LLN",
    "Z_ULN",
    "NormalLimitFlag",
    "above_uln",
    "below_lln",
    "normal_limit_flag",
]

#: The z-score of the 5th and 95th centiles used for LLN and ULN (GLI, exactly 1.645).
Z_LIMIT: Final = 1.645
#: The lower limit of normal on the z-score scale (5th centile).
Z_LLN: Final = -Z_LIMIT
#: The upper limit of normal on the z-score scale (95th centile).
Z_ULN: Final = Z_LIMIT

#: Decimal inputs exactly at a cut-off do not survive binary arithmetic exactly, so
#: comparisons at cut-offs allow this much rounding (in % points or litres).
_ROUNDING: Final = 1e-9

NormalLimitFlag = Literal["below_lln", "above_uln", "within"]


def below_lln(z: float | None) -> bool:
    """Whether a z-score is below the lower limit of normal: z < −1.645 strictly.

    A z-score of exactly −1.645 is at the LLN and counts as normal. ``None`` or NaN (no
    z-score) is not below.
    """
    return z is not None and z < Z_LLN


def above_uln(z: float | None) -> bool:
    """Whether a z-score is above the upper limit of normal: z > 1.645 strictly.

    A z-score of exactly 1.645 is at the ULN and counts as normal. ``None`` or NaN (no
    z-score) is not above.
    """
    return z is not None and z > Z_ULN


def normal_limit_flag(z: float | None) -> NormalLimitFlag | None:
    """``"below_lln"``, ``"above_uln"`` or ``"within"`` normal limits.

    ``None`` when there is no z-score: ``None``, or NaN (which the array API uses for
    "not computed"; a bare ``z < −1.645`` test would have called it "within").
    """
    if z is None or math.isnan(z):
        return None
    if below_lln(z):
        return "below_lln"
    if above_uln(z):
        return "above_uln"
    return "within"
