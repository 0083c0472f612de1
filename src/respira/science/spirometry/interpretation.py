"""ATS/ERS 2022 interpretation of spirometry sessions: one session or a million at once.

Source: Stanojevic S et al. ERS/ATS technical standard on interpretive strategies for
routine lung function tests. Eur Respir J 2022;60:2101499 (doi:10.1183/13993003.01499-2021).
The legacy bronchodilator rule is from Pellegrino R et al. Interpretative strategies
for lung function tests. Eur Respir J 2005;26:948–68. The rules themselves live in
their own modules: pattern and severity in :mod:`~respira.science.spirometry.pattern`,
bronchodilator responsiveness in :mod:`~respira.science.spirometry.bdr`, the input
checks in :mod:`~respira.science.spirometry.checks` and the limits of normal in
:mod:`~respira.science.spirometry.limits`. This module puts them together with the GLI
reference values in one vectorised code path: :func:`interpret_arrays` interprets many
sessions, and :func:`interpret_session` interprets one as a one-row batch through the
same path, then raises the first problem of that row (naming the field) or turns the
row into a :class:`SessionInterpretation`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from respira.science.spirometry.bdr import (
    BDR_2005_MIN_CHANGE_L,
    BDR_2005_MIN_CHANGE_PCT_BASELINE,
    BDR_2022_MIN_CHANGE_PCT_PRED,
    BDR_RULES,
    bdr_2005,
    bdr_2022,
)
from respira.science.spirometry.checks import (
    FEV1_OVER_FVC_TOLERANCE_L,
    FIELDS,
    FLOW_MAX_L_S,
    VOLUME_MAX_L,
    _Problem,
    _validate,
)
from respira.science.spirometry.checks import TEXTS as CHECK_TEXTS
from respira.science.spirometry.errors import OutOfRangeError, SpirometryInputError
from respira.science.spirometry.pattern import (
    PATTERNS,
    SEVERITIES,
    classify_pattern,
    grade_severity,
)
from respira.science.spirometry.pattern import (
    SEVERITY_MODERATE_BELOW_Z as SEVERITY_MODERATE_BELOW_Z,
)
from respira.science.spirometry.pattern import SEVERITY_SEVERE_BELOW_Z as SEVERITY_SEVERE_BELOW_Z
from respira.science.spirometry.reference import ReferenceResult, prepare_reference
from respira.science.spirometry.results import (
    BatchInterpretation,
    ParameterResult,
    SessionInterpretation,
)
from respira.science.spirometry.tables import (
    age_range,
    equations_version,
    parameters_for,
    requires_ethnicity,
)
from respira.science.texts import N_, Term, Text, echo

__all__ = [
    "BDR_2005_MIN_CHANGE_L",
    "BDR_2005_MIN_CHANGE_PCT_BASELINE",
    "BDR_2022_MIN_CHANGE_PCT_PRED",
    "BDR_RULES",
    "FEV1_OVER_FVC_TOLERANCE_L",
    "FLOW_MAX_L_S",
    "PATTERNS",
    "SEVERITIES",
    "TEXTS",
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

_FEF_KEYS: Final = ("fef2575_pre_l_s", "fef75_pre_l_s")

#: The texts of a session's interpretation beyond the input checks' (``checks.TEXTS``),
#: by code (``respira.science.texts``).
TEXTS: Final[dict[str, str]] = {
    "spirometry.not_a_number": N_("%(name)s must be a number, got %(got)s"),
    "spirometry.no_reference_equation": N_(
        "%(key)s: %(equations)s has no reference equation for %(parameter)s"
    ),
}


def _float_array(value: ArrayLike | None, shape: tuple[int, ...]) -> NDArray[np.float64] | None:
    if value is None:
        return None
    array = np.asarray(value, dtype=np.float64)
    return np.ascontiguousarray(np.broadcast_to(array, shape).reshape(-1))


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
    return _interpret(equations, version, data, names, bdr_rule, n).batch


@dataclass(frozen=True, slots=True)
class _Outcome:
    batch: BatchInterpretation
    problems: list[_Problem]  # as found, in field order
    post: dict[str, ReferenceResult]  # post-bronchodilator results, when asked for


def _interpret(
    equations: str,
    version: str,
    data: dict[str, NDArray[Any] | None],
    names: Mapping[str, str],
    bdr_rule: str,
    n: int,
    *,
    with_post_results: bool = False,
) -> _Outcome:
    """The one code path: checks, reference values, pattern, severity and BDR of ``n``
    records held as flat arrays in ``data`` (``None`` for a column not given)."""
    problems = _validate(equations, data, names)
    failed = np.zeros(n, dtype=np.bool_)
    post_bad = np.zeros(n, dtype=np.bool_)
    fef_bad = {key: np.zeros(n, dtype=np.bool_) for key in _FEF_KEYS}
    for problem in problems:
        target = failed if problem.scope == "record" else post_bad
        if problem.scope in fef_bad:
            target = fef_bad[problem.scope]
        target[problem.index] = True

    fev1 = data["fev1_pre_l"]
    fvc = data["fvc_pre_l"]
    assert fev1 is not None and fvc is not None
    sex: Any = data["sex"]
    eth: Any = data["ethnicity"] if requires_ethnicity(equations) else None
    if n == 1:  # one session: sex and group coded as scalars (same codes, no vector set-up)
        sex = sex[0]
        eth = None if eth is None else eth[0]
    prep = prepare_reference(
        equations,
        sex=sex,
        age=data["age"],  # type: ignore[arg-type]
        height_cm=data["height_cm"],  # type: ignore[arg-type]
        ethnicity=eth,
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
    post: dict[str, ReferenceResult] = {}
    if with_post_results and data["fev1_post_l"] is not None and data["fvc_post_l"] is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            post_ratio = fev1_post / fvc_post
        for parameter, values in (("fev1", fev1_post), ("fvc", fvc_post), ("fev1fvc", post_ratio)):
            post[parameter] = prep.values(parameter, values)

    error = np.full(n, "", dtype=object)
    if problems:
        messages: dict[int, list[str]] = {}
        for problem in problems:
            for i in problem.index.tolist():
                messages.setdefault(i, []).append(problem.message(i))
        for i, texts in messages.items():
            error[i] = "; ".join(texts)
    batch = BatchInterpretation(
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
    return _Outcome(batch, problems, post)


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
            raise SpirometryInputError(
                Text(
                    "spirometry.not_a_number",
                    TEXTS["spirometry.not_a_number"],
                    name=Term(name),
                    got=echo(value),
                ),
                field=name,
            )
    if requires_ethnicity(equations) and ethnicity is None:
        raise SpirometryInputError(
            Text(
                "spirometry.required_for",
                CHECK_TEXTS["spirometry.required_for"],
                name=Term("ethnicity"),
                equations=Term(equations),
            ),
            field="ethnicity",
        )

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
    outcome = _interpret(
        equations, version, data, _SESSION_NAMES, "2022", 1, with_post_results=True
    )
    notes: list[str] = []
    for problem in outcome.problems:
        if problem.note:  # no FEF reference at this age: noted, the rest interpreted
            notes.append(problem.message(0))
            continue
        error = OutOfRangeError if problem.out_of_range else SpirometryInputError
        raise error(problem.message(0), field=problem.key)
    return _session_result(
        outcome,
        data,
        equations,
        version,
        notes,
        has_post=fev1_post_l is not None and fvc_post_l is not None,
    )


def _session_result(
    outcome: _Outcome,
    data: Mapping[str, NDArray[Any] | None],
    equations: str,
    version: str,
    notes: list[str],
    *,
    has_post: bool,
) -> SessionInterpretation:
    """Row 0 of a one-row batch without problems, as a :class:`SessionInterpretation`."""
    b = outcome.batch
    results: dict[str, ParameterResult] = {}

    def add(key: str, r: ReferenceResult, measured: float) -> None:
        results[key] = ParameterResult(
            measured,
            float(r.pred[0]),
            float(r.lln[0]),
            float(r.uln[0]),
            float(r.z[0]),
            float(r.pctpred[0]),
        )

    def value(key: str) -> float:
        column = data[key]
        assert column is not None
        return float(column[0])

    add("fev1_pre", b.results["fev1"], value("fev1_pre_l"))
    add("fvc_pre", b.results["fvc"], value("fvc_pre_l"))
    add("fev1fvc_pre", b.results["fev1fvc"], value("fev1_pre_l") / value("fvc_pre_l"))
    if has_post:
        add("fev1_post", outcome.post["fev1"], value("fev1_post_l"))
        add("fvc_post", outcome.post["fvc"], value("fvc_post_l"))
        add("fev1fvc_post", outcome.post["fev1fvc"], value("fev1_post_l") / value("fvc_post_l"))
    age = value("age")
    for key, parameter in (("fef2575_pre", "fef2575"), ("fef75_pre", "fef75")):
        if data[f"{key}_l_s"] is None:
            continue
        if parameter not in b.results:
            notes.append(
                Text(
                    "spirometry.no_reference_equation",
                    TEXTS["spirometry.no_reference_equation"],
                    key=Term(key),
                    equations=Term(equations),
                    parameter=Term(parameter),
                )
            )
            continue
        if age > age_range(equations, parameter)[1]:
            continue  # the note came from the checks
        add(key, b.results[parameter], value(f"{key}_l_s"))

    pattern = int(b.pattern_code[0])
    severity = int(b.severity_code[0])
    bdr: bool | None = None
    bdr_legacy: bool | None = None
    fev1_change: float | None = None
    fvc_change: float | None = None
    if has_post:
        fev1_change = float(b.bdr_fev1_pct_pred_change[0])
        fvc_change = float(b.bdr_fvc_pct_pred_change[0])
        bdr = bool(b.bdr_code[0] == 1)
        bdr_legacy = bool(b.bdr_2005_code[0] == 1)
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
