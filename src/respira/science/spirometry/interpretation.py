"""ATS/ERS 2022 interpretation of spirometry: pattern, severity, bronchodilator response.

Source: Stanojevic S et al. ERS/ATS technical standard on interpretive strategies for
routine lung function tests. Eur Respir J 2022;60:2101499 (doi:10.1183/13993003.01499-2021).
The legacy bronchodilator rule is from Pellegrino R et al. Interpretative strategies
for lung function tests. Eur Respir J 2005;26:948–68.

**Abnormal** means below the lower limit of normal, i.e. z < −1.645 (strictly; a
z-score of exactly −1.645 is at the LLN and counts as normal).

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

**Bronchodilator responsiveness.** 2022 rule: the change in FEV1 or in FVC is *more
than* 10 % of the predicted value, (post − pre)/pred × 100 > 10. 2005 rule: FEV1 or FVC
rises by *at least* 12 % of the baseline *and* at least 200 mL. Decimal inputs exactly
at a cut-off (2.50 → 2.80 L is exactly 12 %) do not survive binary arithmetic exactly,
so comparisons allow 1e-9 (in % points or litres) of rounding: ``>`` needs to clear the
cut-off by more than that, ``≥`` accepts it within that. Both need pre and post values
of FEV1 and FVC; without them the result is ``None``.

**Quality checks** reject input that cannot be a real manoeuvre, naming the field:
missing or non-positive volumes; volumes above 15 L or flows above 20 L/s (beyond any
recorded human value, and the usual sign of millilitres typed as litres); height
outside 40–250 cm; and FEV1 above FVC by more than 0.150 L. FEV1 can legitimately
exceed FVC a little, because the reported FEV1 and FVC are each the largest from any
acceptable manoeuvre and may come from different blows; 150 mL is the ATS/ERS 2019
between-manoeuvre repeatability limit for FEV1 and FVC (Graham BL et al. Standardization
of spirometry 2019 update. Am J Respir Crit Care Med 2019;200:e70–88), so a larger
excess cannot be explained by manoeuvre-to-manoeuvre variation. As at the BDR cut-offs,
an excess of exactly 150 mL typed in decimals (3.45 vs 3.30 L, whose binary difference
is 0.15000000000000036) is accepted: the comparison allows 1e-9 L of rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from respira.science.spirometry.errors import OutOfRangeError, SpirometryInputError
from respira.science.spirometry.reference import (
    ETHNICITIES,
    HEIGHT_RANGE_CM,
    SEXES,
    Z_LIMIT,
    ReferenceResult,
    age_range,
    equations_version,
    parameters_for,
    prepare_reference,
)

__all__ = [
    "BDR_2005_MIN_CHANGE_L",
    "BDR_2005_MIN_CHANGE_PCT_BASELINE",
    "BDR_2022_MIN_CHANGE_PCT_PRED",
    "BDR_RULES",
    "FEV1_OVER_FVC_TOLERANCE_L",
    "FLOW_MAX_L_S",
    "PATTERNS",
    "SEVERITIES",
    "VOLUME_MAX_L",
    "BatchInterpretation",
    "ParameterResult",
    "SessionInterpretation",
    "bdr_2005",
    "bdr_2022",
    "classify_pattern",
    "grade_severity",
    "interpret_arrays",
    "interpret_session",
]

PATTERNS: Final = ("normal", "obstruction", "possible_restriction", "mixed", "prism")
SEVERITIES: Final = ("mild", "moderate", "severe")
BDR_RULES: Final = ("2022", "2005")

#: Severity band edges on the FEV1 z-score (Stanojevic 2022, table of severity).
SEVERITY_MODERATE_BELOW_Z: Final = -2.5
SEVERITY_SEVERE_BELOW_Z: Final = -4.0
#: 2022 rule: change > 10 % of the predicted value (Stanojevic 2022).
BDR_2022_MIN_CHANGE_PCT_PRED: Final = 10.0
#: 2005 rule: ≥ 12 % of baseline and ≥ 200 mL (Pellegrino 2005).
BDR_2005_MIN_CHANGE_PCT_BASELINE: Final = 12.0
BDR_2005_MIN_CHANGE_L: Final = 0.200
#: FEV1 may exceed FVC by this much (ATS/ERS 2019 repeatability limit, Graham 2019).
FEV1_OVER_FVC_TOLERANCE_L: Final = 0.150
#: Plausibility ceilings: above these a value is not a human lung (or is in mL).
VOLUME_MAX_L: Final = 15.0
FLOW_MAX_L_S: Final = 20.0

_ROUNDING: Final = 1e-9  # tolerance at cut-offs, in % points or litres
_NORMAL, _OBSTRUCTION, _RESTRICTION, _MIXED, _PRISM = range(5)
_UNDETERMINED: Final = -1

FIELDS: Final = (
    "sex",
    "age",
    "height_cm",
    "ethnicity",
    "fev1_pre_l",
    "fvc_pre_l",
    "fev1_post_l",
    "fvc_post_l",
    "fef2575_pre_l_s",
    "fef75_pre_l_s",
)


def classify_pattern(fev1_z: ArrayLike, fvc_z: ArrayLike, fev1fvc_z: ArrayLike) -> Any:
    """Pattern code per record: an index into :data:`PATTERNS`, or −1 if any z is NaN.

    Returns an int8 array (a Python int for scalar input). See the module docstring
    for the rules.
    """
    fev1 = np.asarray(fev1_z, dtype=np.float64)
    fvc = np.asarray(fvc_z, dtype=np.float64)
    ratio = np.asarray(fev1fvc_z, dtype=np.float64)
    low_ratio = ratio < -Z_LIMIT
    low_fvc = fvc < -Z_LIMIT
    low_fev1 = fev1 < -Z_LIMIT
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


@dataclass(frozen=True, slots=True)
class ParameterResult:
    """One measured parameter against its reference (floats; z-score unitless)."""

    measured: float
    pred: float
    lln: float
    uln: float
    z: float
    pctpred: float

    @property
    def below_lln(self) -> bool:
        return self.z < -Z_LIMIT


@dataclass(frozen=True, slots=True)
class SessionInterpretation:
    """Interpretation of one spirometry session (see :func:`interpret_session`)."""

    equations: str
    equations_version: str
    results: dict[str, ParameterResult]
    pattern: str
    severity: str | None
    bdr: bool | None
    bdr_fev1_pct_pred_change: float | None
    bdr_fvc_pct_pred_change: float | None
    bdr_2005: bool | None
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class _Problem:
    key: str  # one of FIELDS
    scope: str  # "record" (nothing computed), "post" (no BDR) or the FEF field
    index: NDArray[np.intp]
    message: Callable[[int], str]
    out_of_range: bool = False


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return repr(value.item() if isinstance(value, np.generic) else value)


def _validate(
    equations: str,
    data: Mapping[str, NDArray[Any] | None],
    names: Mapping[str, str],
) -> list[_Problem]:
    """Every impossible or missing input, as (field, records, message) groups."""
    problems: list[_Problem] = []

    def add(
        key: str,
        scope: str,
        mask: NDArray[np.bool_],
        message: Callable[[int], str],
        out_of_range: bool = False,
    ) -> None:
        index = np.flatnonzero(mask)
        if index.size:
            problems.append(_Problem(key, scope, index, message, out_of_range))

    sex = data["sex"]
    assert sex is not None
    add(
        "sex",
        "record",
        ~np.isin(sex, SEXES),
        lambda i: f"{names['sex']} must be M or F, got {_fmt(sex[i])}",
    )
    if equations == "gli-2012":
        eth = data["ethnicity"]
        if eth is None:
            add(
                "ethnicity",
                "record",
                np.ones(sex.shape, dtype=np.bool_),
                lambda i: f"{names['ethnicity']} is required for gli-2012",
            )
        else:
            add(
                "ethnicity",
                "record",
                ~np.isin(eth, ETHNICITIES),
                lambda i: (
                    f"{names['ethnicity']} must be one of {', '.join(ETHNICITIES)} "
                    f"for gli-2012, got {_fmt(eth[i])}"
                ),
            )
    age = data["age"]
    height = data["height_cm"]
    assert age is not None and height is not None
    low_age, high_age = age_range(equations, "fev1")
    low_h, high_h = HEIGHT_RANGE_CM
    with np.errstate(invalid="ignore"):
        add("age", "record", np.isnan(age), lambda i: f"{names['age']} is missing")
        add(
            "age",
            "record",
            ~np.isnan(age) & ~((age >= low_age) & (age <= high_age)),
            lambda i: (
                f"{names['age']} {_fmt(age[i])} years is outside the {equations} "
                f"range {low_age:g}–{high_age:g} years"
            ),
            out_of_range=True,
        )
        add("height_cm", "record", np.isnan(height), lambda i: f"{names['height_cm']} is missing")
        add(
            "height_cm",
            "record",
            ~np.isnan(height) & ~((height >= low_h) & (height <= high_h)),
            lambda i: (
                f"{names['height_cm']} {_fmt(height[i])} is outside the plausible range "
                f"{low_h:g}–{high_h:g} cm"
            ),
            out_of_range=True,
        )
        _check_pair(add, data, names, "fev1_pre_l", "fvc_pre_l", "record", required=True)
        if data["fev1_post_l"] is not None or data["fvc_post_l"] is not None:
            _check_pair(add, data, names, "fev1_post_l", "fvc_post_l", "post", required=False)
        for key in ("fef2575_pre_l_s", "fef75_pre_l_s"):
            values = data[key]
            if values is None:
                continue
            _check_amount(add, values, names[key], key, key, FLOW_MAX_L_S, "L/s")
            parameter = key.split("_")[0]
            if parameter in parameters_for(equations):
                top = age_range(equations, parameter)[1]
                note = f"{names[key]}: {equations} has no reference above {top:g} years"
                add(
                    key,
                    key,
                    ~np.isnan(values) & (age > top) & (age <= high_age),
                    _constant(note),
                )
    return problems


def _constant(text: str) -> Callable[[int], str]:
    return lambda _i: text


def _check_amount(
    add: Callable[..., None],
    values: NDArray[np.float64],
    name: str,
    key: str,
    scope: str,
    ceiling: float,
    unit: str,
) -> None:
    add(
        key,
        scope,
        ~np.isnan(values) & ~(values > 0.0),
        lambda i: f"{name} must be a positive number of {unit}, got {_fmt(values[i])}",
    )
    add(
        key,
        scope,
        values > ceiling,
        lambda i: (
            f"{name} {_fmt(values[i])} {unit} is not a plausible value "
            f"(over {ceiling:g} {unit}; millilitres entered as litres?)"
        ),
    )


def _check_pair(
    add: Callable[..., None],
    data: Mapping[str, NDArray[Any] | None],
    names: Mapping[str, str],
    fev1_key: str,
    fvc_key: str,
    scope: str,
    *,
    required: bool,
) -> None:
    fev1 = data[fev1_key]
    fvc = data[fvc_key]
    n = len(data["age"])  # type: ignore[arg-type]
    fev1 = np.full(n, np.nan) if fev1 is None else fev1
    fvc = np.full(n, np.nan) if fvc is None else fvc
    missing_fev1, missing_fvc = np.isnan(fev1), np.isnan(fvc)
    if required:
        add(fev1_key, scope, missing_fev1, lambda i: f"{names[fev1_key]} is missing")
        add(fvc_key, scope, missing_fvc, lambda i: f"{names[fvc_key]} is missing")
    else:
        add(
            fev1_key,
            scope,
            missing_fev1 & ~missing_fvc,
            lambda i: (
                f"{names[fev1_key]} is missing but {names[fvc_key]} is given "
                "(post-bronchodilator values come in pairs)"
            ),
        )
        add(
            fvc_key,
            scope,
            missing_fvc & ~missing_fev1,
            lambda i: (
                f"{names[fvc_key]} is missing but {names[fev1_key]} is given "
                "(post-bronchodilator values come in pairs)"
            ),
        )
    for key, values in ((fev1_key, fev1), (fvc_key, fvc)):
        _check_amount(add, values, names[key], key, scope, VOLUME_MAX_L, "L")
    add(
        fev1_key,
        scope,
        fev1 - fvc > FEV1_OVER_FVC_TOLERANCE_L + _ROUNDING,  # 3.45 vs 3.30 L passes
        lambda i: (
            f"{names[fev1_key]} {_fmt(fev1[i])} L exceeds {names[fvc_key]} "
            f"{_fmt(fvc[i])} L by more than {FEV1_OVER_FVC_TOLERANCE_L:g} L"
        ),
    )


def _float_array(value: ArrayLike | None, shape: tuple[int, ...]) -> NDArray[np.float64] | None:
    if value is None:
        return None
    array = np.asarray(value, dtype=np.float64)
    return np.ascontiguousarray(np.broadcast_to(array, shape).reshape(-1))


@dataclass(frozen=True, slots=True)
class BatchInterpretation:
    """Array-level interpretation (see :func:`interpret_arrays`); one entry per record.

    ``results`` maps each parameter of the equation set to its pre-bronchodilator
    :class:`ReferenceResult` (arrays). Codes are small integers so that a million
    records cost little: ``pattern_code`` indexes :data:`PATTERNS`, ``severity_code``
    :data:`SEVERITIES` (−1 none), ``bdr_code``/``bdr_2005_code`` are 1/0/−1 (yes, no,
    not assessed). ``error`` holds ``""`` or the "; "-joined problems of the record;
    ``failed`` marks records with nothing computed. The label properties turn codes
    into object arrays of str/bool/None.
    """

    equations: str
    equations_version: str
    bdr_rule: str
    results: dict[str, ReferenceResult]
    pattern_code: NDArray[np.int8]
    severity_code: NDArray[np.int8]
    bdr_code: NDArray[np.int8]
    bdr_2005_code: NDArray[np.int8]
    bdr_fev1_pct_pred_change: NDArray[np.float64]
    bdr_fvc_pct_pred_change: NDArray[np.float64]
    failed: NDArray[np.bool_]
    error: NDArray[Any]

    @property
    def pattern(self) -> NDArray[Any]:
        return _labels(self.pattern_code, PATTERNS)

    @property
    def severity(self) -> NDArray[Any]:
        return _labels(self.severity_code, SEVERITIES)

    @property
    def bdr(self) -> NDArray[Any]:
        return _labels(self.bdr_code, (False, True))

    @property
    def bdr_2005(self) -> NDArray[Any]:
        return _labels(self.bdr_2005_code, (False, True))

    def errors(self) -> list[tuple[int, str]]:
        """(record index, message) for every record with a problem."""
        return [(int(i), str(self.error[i])) for i in np.flatnonzero(self.error != "")]


def _labels(codes: NDArray[np.int8], labels: tuple[Any, ...]) -> NDArray[Any]:
    table = np.array([*labels, None], dtype=object)  # code −1 → the last entry, None
    return np.take(table, codes.astype(np.intp))


def interpret_arrays(
    equations: str = "gli-global",
    *,
    sex: ArrayLike,
    age: ArrayLike,
    height_cm: ArrayLike,
    ethnicity: ArrayLike | None = None,
    fev1_pre_l: ArrayLike,
    fvc_pre_l: ArrayLike,
    fev1_post_l: ArrayLike | None = None,
    fvc_post_l: ArrayLike | None = None,
    fef2575_pre_l_s: ArrayLike | None = None,
    fef75_pre_l_s: ArrayLike | None = None,
    bdr_rule: str = "2022",
    field_names: Mapping[str, str] | None = None,
) -> BatchInterpretation:
    """Interpret many sessions at once (vectorised; NaN means "not measured").

    A record with impossible or missing demographics or pre-bronchodilator volumes
    gets NaN/−1 everywhere and its reasons in ``error``; a bad post-bronchodilator
    pair only loses the BDR fields, a bad FEF value only its own z-score. ``bdr_code``
    follows ``bdr_rule`` ("2022" or "2005"); ``bdr_2005_code`` is always the 2005
    rule. ``field_names`` renames fields in messages (e.g. to CSV column names).
    Pattern and severity use the pre-bronchodilator values.
    """
    if bdr_rule not in BDR_RULES:
        raise ValueError(f"bdr_rule must be one of {', '.join(BDR_RULES)}, not {bdr_rule!r}")
    version = equations_version(equations)  # also validates the name
    names = {key: key for key in FIELDS} | dict(field_names or {})
    sex_a = np.asarray(sex)
    eth_a = None if ethnicity is None else np.asarray(ethnicity)
    numeric_in = {
        "age": age,
        "height_cm": height_cm,
        "fev1_pre_l": fev1_pre_l,
        "fvc_pre_l": fvc_pre_l,
        "fev1_post_l": fev1_post_l,
        "fvc_post_l": fvc_post_l,
        "fef2575_pre_l_s": fef2575_pre_l_s,
        "fef75_pre_l_s": fef75_pre_l_s,
    }
    shapes = [np.shape(v) for v in numeric_in.values() if v is not None] + [sex_a.shape]
    if eth_a is not None:
        shapes.append(eth_a.shape)
    shape = np.broadcast_shapes(*shapes)
    n = math.prod(shape)
    data: dict[str, NDArray[Any] | None] = {
        key: _float_array(value, shape) for key, value in numeric_in.items()
    }
    data["sex"] = np.broadcast_to(sex_a, shape).reshape(n)
    data["ethnicity"] = None if eth_a is None else np.broadcast_to(eth_a, shape).reshape(n)
    return _interpret(equations, version, data, names, bdr_rule, n)


def _interpret(
    equations: str,
    version: str,
    data: dict[str, NDArray[Any] | None],
    names: Mapping[str, str],
    bdr_rule: str,
    n: int,
) -> BatchInterpretation:
    problems = _validate(equations, data, names)
    failed = np.zeros(n, dtype=np.bool_)
    post_bad = np.zeros(n, dtype=np.bool_)
    fef_bad = {key: np.zeros(n, dtype=np.bool_) for key in ("fef2575_pre_l_s", "fef75_pre_l_s")}
    for problem in problems:
        target = failed if problem.scope == "record" else post_bad
        if problem.scope in fef_bad:
            target = fef_bad[problem.scope]
        target[problem.index] = True

    fev1 = data["fev1_pre_l"]
    fvc = data["fvc_pre_l"]
    assert fev1 is not None and fvc is not None
    prep = prepare_reference(
        equations,
        sex=data["sex"],  # type: ignore[arg-type]
        age=data["age"],  # type: ignore[arg-type]
        height_cm=data["height_cm"],  # type: ignore[arg-type]
        ethnicity=data["ethnicity"] if equations == "gli-2012" else None,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        measured: dict[str, NDArray[np.float64] | None] = {
            "fev1": fev1,
            "fvc": fvc,
            "fev1fvc": fev1 / fvc,
            "fef2575": data["fef2575_pre_l_s"],
            "fef75": data["fef75_pre_l_s"],
        }
    results: dict[str, ReferenceResult] = {}
    for parameter in parameters_for(equations):
        values = measured[parameter]
        key = f"{parameter}_pre_l_s"
        if values is not None and key in fef_bad and fef_bad[key].any():
            values = np.where(fef_bad[key], np.nan, values)
        result = prep.values(parameter, values)
        if failed.any():
            for name in ("pred", "lln", "uln", "z", "pctpred"):
                getattr(result, name)[failed] = np.nan
        results[parameter] = result

    pattern = classify_pattern(results["fev1"].z, results["fvc"].z, results["fev1fvc"].z)
    severity = grade_severity(results["fev1"].z, pattern)
    fev1_post = data["fev1_post_l"]
    fvc_post = data["fvc_post_l"]
    if fev1_post is None or fvc_post is None:
        nan = np.full(n, np.nan)
        fev1_post = nan if fev1_post is None else fev1_post
        fvc_post = nan if fvc_post is None else fvc_post
    if post_bad.any() or failed.any():
        skip = post_bad | failed
        fev1_post = np.where(skip, np.nan, fev1_post)
        fvc_post = np.where(skip, np.nan, fvc_post)
    fev1_change, fvc_change, code_2022 = bdr_2022(
        fev1, fev1_post, results["fev1"].pred, fvc, fvc_post, results["fvc"].pred
    )
    code_2005 = bdr_2005(fev1, fev1_post, fvc, fvc_post)

    error = np.full(n, "", dtype=object)
    if problems:
        messages: dict[int, list[str]] = {}
        for problem in problems:
            for i in problem.index.tolist():
                messages.setdefault(i, []).append(problem.message(i))
        for i, texts in messages.items():
            error[i] = "; ".join(texts)
    return BatchInterpretation(
        equations=equations,
        equations_version=version,
        bdr_rule=bdr_rule,
        results=results,
        pattern_code=pattern,
        severity_code=severity,
        bdr_code=code_2022 if bdr_rule == "2022" else code_2005,
        bdr_2005_code=code_2005,
        bdr_fev1_pct_pred_change=fev1_change,
        bdr_fvc_pct_pred_change=fvc_change,
        failed=failed,
        error=error,
    )


_SESSION_NAMES: Final = {key: key for key in FIELDS}


def interpret_session(
    equations: str = "gli-global",
    *,
    sex: str,
    age: float,
    height_cm: float,
    ethnicity: str | None = None,
    fev1_pre_l: float,
    fvc_pre_l: float,
    fev1_post_l: float | None = None,
    fvc_post_l: float | None = None,
    fef2575_pre_l_s: float | None = None,
    fef75_pre_l_s: float | None = None,
) -> SessionInterpretation:
    """Interpret one session: reference values, pattern, severity and BDR.

    ``results`` holds ``fev1_pre``, ``fvc_pre``, ``fev1fvc_pre`` and, when both post
    values are given, ``fev1_post``, ``fvc_post``, ``fev1fvc_post``; ``fef2575_pre``
    and ``fef75_pre`` when given and the equations define them for this age (GLI
    Global has no FEF equations: a note says so instead). Pattern and severity come
    from the pre-bronchodilator values. ``bdr`` is the 2022 rule, ``bdr_2005`` the
    2005 rule; both ``None`` without post values.

    Raises :class:`SpirometryInputError` (a ``ValueError``; :class:`OutOfRangeError`
    for ages and heights outside the equations) naming the field at fault.
    """
    version = equations_version(equations)
    for name, value in (
        ("age", age),
        ("height_cm", height_cm),
        ("fev1_pre_l", fev1_pre_l),
        ("fvc_pre_l", fvc_pre_l),
        ("fev1_post_l", fev1_post_l),
        ("fvc_post_l", fvc_post_l),
        ("fef2575_pre_l_s", fef2575_pre_l_s),
        ("fef75_pre_l_s", fef75_pre_l_s),
    ):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise SpirometryInputError(f"{name} must be a number, got {value!r}", field=name)
    if equations == "gli-2012" and ethnicity is None:
        raise SpirometryInputError("ethnicity is required for gli-2012", field="ethnicity")

    def one(value: float | str | None) -> NDArray[Any] | None:
        if value is None:
            return None
        if isinstance(value, str):
            return np.array([value])
        return np.array([float(value)])

    data = {
        "sex": np.array([sex], dtype=object),
        "age": one(age),
        "height_cm": one(height_cm),
        "ethnicity": one(ethnicity),
        "fev1_pre_l": one(fev1_pre_l),
        "fvc_pre_l": one(fvc_pre_l),
        "fev1_post_l": one(fev1_post_l),
        "fvc_post_l": one(fvc_post_l),
        "fef2575_pre_l_s": one(fef2575_pre_l_s),
        "fef75_pre_l_s": one(fef75_pre_l_s),
    }
    notes: list[str] = []
    for problem in _validate(equations, data, _SESSION_NAMES):
        if problem.scope in ("fef2575_pre_l_s", "fef75_pre_l_s") and "no reference" in (
            text := problem.message(0)
        ):
            notes.append(text)
            continue
        error = OutOfRangeError if problem.out_of_range else SpirometryInputError
        raise error(problem.message(0), field=problem.key)

    prep = prepare_reference(
        equations,
        sex=sex,
        age=float(age),
        height_cm=float(height_cm),
        ethnicity=ethnicity if equations == "gli-2012" else None,
    )
    available = parameters_for(equations)
    results: dict[str, ParameterResult] = {}

    def add(key: str, parameter: str, measured: float) -> ParameterResult:
        r = prep.values(parameter, measured)
        results[key] = ParameterResult(measured, r.pred, r.lln, r.uln, r.z, r.pctpred)
        return results[key]

    fev1 = add("fev1_pre", "fev1", float(fev1_pre_l))
    fvc = add("fvc_pre", "fvc", float(fvc_pre_l))
    ratio = add("fev1fvc_pre", "fev1fvc", float(fev1_pre_l) / float(fvc_pre_l))
    has_post = fev1_post_l is not None and fvc_post_l is not None
    if has_post:
        assert fev1_post_l is not None and fvc_post_l is not None
        add("fev1_post", "fev1", float(fev1_post_l))
        add("fvc_post", "fvc", float(fvc_post_l))
        add("fev1fvc_post", "fev1fvc", float(fev1_post_l) / float(fvc_post_l))
    for key, parameter, value in (
        ("fef2575_pre", "fef2575", fef2575_pre_l_s),
        ("fef75_pre", "fef75", fef75_pre_l_s),
    ):
        if value is None:
            continue
        if parameter not in available:
            notes.append(f"{key}: {equations} has no reference equation for {parameter}")
            continue
        if float(age) > age_range(equations, parameter)[1]:
            continue  # the note came from the validation above
        add(key, parameter, float(value))

    pattern = classify_pattern(fev1.z, fvc.z, ratio.z)
    severity = grade_severity(fev1.z, pattern)
    bdr: bool | None = None
    bdr_legacy: bool | None = None
    fev1_change: float | None = None
    fvc_change: float | None = None
    if has_post:
        assert fev1_post_l is not None and fvc_post_l is not None
        fev1_change_a, fvc_change_a, code = bdr_2022(
            fev1_pre_l, fev1_post_l, fev1.pred, fvc_pre_l, fvc_post_l, fvc.pred
        )
        fev1_change, fvc_change = float(fev1_change_a), float(fvc_change_a)
        bdr = bool(code == 1)
        bdr_legacy = bool(bdr_2005(fev1_pre_l, fev1_post_l, fvc_pre_l, fvc_post_l) == 1)
    return SessionInterpretation(
        equations=equations,
        equations_version=version,
        results=results,
        pattern=PATTERNS[pattern],
        severity=None if severity < 0 else SEVERITIES[severity],
        bdr=bdr,
        bdr_fev1_pct_pred_change=fev1_change,
        bdr_fvc_pct_pred_change=fvc_change,
        bdr_2005=bdr_legacy,
        notes=tuple(notes),
    )
