"""GLI spirometry reference values (predicted, LLN, ULN, z-score, % predicted): the API.

Two equation sets, both by the LMS method of the Global Lung Function Initiative:
``"gli-2012"`` (Quanjer PH et al. Multi-ethnic reference values for spirometry for the
3–95-yr age range: the global lung function 2012 equations. Eur Respir J
2012;40:1324–43, doi:10.1183/09031936.00080312) and ``"gli-global"`` (Bowerman C et al.
A race-neutral approach to the interpretation of lung function measurements. Am J
Respir Crit Care Med 2023;207:768–74, doi:10.1164/rccm.202205-0963OC); their tables are
in :mod:`~respira.science.spirometry.tables`, the formula's two kernels (C and NumPy)
in :mod:`~respira.science.spirometry.kernels`. For a measured value ``x`` with ``M``,
``S``, ``L`` from the equations::

    pred = M,  z = ((x/M)^L − 1)/(L·S),  LLN/ULN = M·(1 ∓ 1.645·L·S)^(1/L),  %pred = 100·x/M

with the constant 1.645 exactly. The age splines of **both** sets are interpolated
linearly between their 0.25-year rows: with ``t = 4·(age − 3)`` and ``i = floor(t)``,
``spline(age) = s[i] + (s[i+1] − s[i])·(t − i)``. For 3 ≤ age ≤ 95 both ``age − 3`` and
the multiplication by 4 are exact in binary floating point, so the floor is exact and
an age such as 24.999999999 from date arithmetic lands in the 24.75–25 interval with
weight ≈ 1 (the interpolation is continuous, so the result equals that at 25 to ~1e-9
years); the last row (age 95, or 90 for the FEF parameters) is reached with weight 0 on
a zero-width step, so no row outside the table is ever read. The ``ln(age)`` terms use
the exact age. Outside the age range (and outside 40–250 cm of height, a plausibility
range: GLI publishes no height limits) there is no reference value: array calls return
NaN with a reason in a parallel array, scalar calls raise :class:`OutOfRangeError`.
Nothing is ever extrapolated. :func:`prepare_reference` does the demographic work
(codes, logarithms, spline index) once for all parameters of the same people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from respira.science.spirometry.errors import OutOfRangeError, SpirometryInputError

# The kernel choice, importable from here as before the split (bench, setup.py, tests).
from respira.science.spirometry.kernels import BACKENDS as BACKENDS
from respira.science.spirometry.kernels import Demographics, Results, compute
from respira.science.spirometry.kernels import _cpu_has_avx2_fma as _cpu_has_avx2_fma
from respira.science.spirometry.kernels import _lms as _lms
from respira.science.spirometry.kernels import backend as backend
from respira.science.spirometry.kernels import use_backend as use_backend
from respira.science.spirometry.limits import Z_LIMIT
from respira.science.spirometry.tables import (
    _AGE_MIN,
    _ROWS,
    EQUATIONS,
    ETHNICITIES,
    HEIGHT_RANGE_CM,
    PARAMETERS,
    SEXES,
    _codes_from_strings,
    _equation_set,
    _EquationSet,
    _ParamTable,
    _table,
    age_range,
    equations_version,
    parameters_for,
)
from respira.science.texts import N_, Term, Text, echo, number

__all__ = [
    "EQUATIONS",
    "ETHNICITIES",
    "HEIGHT_RANGE_CM",
    "PARAMETERS",
    "SEXES",
    "TEXTS",
    "Z_LIMIT",
    "PreparedReference",
    "ReferenceResult",
    "age_range",
    "equations_version",
    "parameters_for",
    "prepare_reference",
    "reference_values",
]

FloatOrArray = Any  # a Python float for scalar input, an ndarray of float64 for arrays

# Reason codes for array results (0 = a value was computed).
_OK: Final = 0
_BAD_SEX: Final = 1
_BAD_ETHNICITY: Final = 2
_BAD_AGE: Final = 3
_AGE_OUT_OF_RANGE: Final = 4
_BAD_HEIGHT: Final = 5
_BAD_MEASURED: Final = 6

#: Why a record has no reference value, and the scalar calls' errors, by code
#: (``respira.science.texts``): a page writes them in its reader's language.
TEXTS: Final[dict[str, str]] = {
    "reference.sex": N_("sex must be 'M' or 'F'"),
    "reference.ethnicity": N_("ethnicity must be one of %(choices)s for %(equations)s"),
    "reference.age_missing": N_("age is missing or not a number"),
    "reference.age_outside": N_(
        "age outside the %(equations)s range for %(parameter)s (%(low)s–%(high)s years)"
    ),
    "reference.height": N_("height_cm is missing or outside %(low)s–%(high)s cm"),
    "reference.measured": N_("measured %(parameter)s must be a positive finite number"),
    "reference.ethnicity_required": N_(
        "ethnicity is required for %(equations)s (one of %(choices)s)"
    ),
    "reference.measured_shape": N_("measured has shape %(shape)s, expected %(expected)s"),
    "reference.age_not_extrapolated": N_(
        "age %(age)s years is outside the %(equations)s range for %(parameter)s "
        "(%(low)s–%(high)s years); no reference value is extrapolated"
    ),
    "reference.height_not_a_number": N_("height_cm is missing or not a number"),
    "reference.height_outside": N_("height_cm %(height)s is outside %(low)s–%(high)s cm"),
    "reference.measured_got": N_(
        "measured %(parameter)s must be a positive finite number, got %(got)s"
    ),
}


def _text(code: str, **params: Any) -> Text:
    return Text(code, TEXTS[code], **params)


@dataclass(frozen=True, slots=True)
class ReferenceResult:
    """Reference values for one parameter.

    Floats for a scalar call, float64 arrays (of the broadcast input shape) for an
    array call. ``reason`` is ``""`` where a value was computed and otherwise says
    why the record has NaN; ``reason_code`` holds the same as small integers.
    """

    parameter: str
    pred: FloatOrArray
    lln: FloatOrArray
    uln: FloatOrArray
    z: FloatOrArray
    pctpred: FloatOrArray
    reason_code: Any  # int for scalar input, ndarray of uint8 for arrays
    messages: tuple[str, ...]

    @property
    def reason(self) -> Any:
        """Why a record has no value: ``""`` if it has one (str, or object array)."""
        if isinstance(self.reason_code, np.ndarray):
            return np.take(np.array(self.messages, dtype=object), self.reason_code)
        return self.messages[self.reason_code]


def _reason_messages(eqs: _EquationSet, parameter: str, table: _ParamTable) -> tuple[str, ...]:
    low, high = HEIGHT_RANGE_CM
    return (
        "",
        _text("reference.sex"),
        _text("reference.ethnicity", choices=", ".join(ETHNICITIES), equations=Term(eqs.name)),
        _text("reference.age_missing"),
        _text(
            "reference.age_outside",
            equations=Term(eqs.name),
            parameter=Term(parameter),
            low=number(_AGE_MIN),
            high=number(table.age_max),
        ),
        _text("reference.height", low=number(low), high=number(high)),
        _text("reference.measured", parameter=Term(parameter)),
    )


def _demographic_reasons(
    bad_sex: NDArray[np.bool_],
    bad_eth: NDArray[np.bool_],
    ages: NDArray[np.float64],
    age_max: float,
    heights: NDArray[np.float64],
) -> NDArray[np.uint8]:
    """The first reason, in field order, why each record has no reference value."""
    low, high = HEIGHT_RANGE_CM
    with np.errstate(invalid="ignore"):
        checks = (
            (_BAD_SEX, bad_sex),
            (_BAD_ETHNICITY, bad_eth),
            (_BAD_AGE, ~np.isfinite(ages)),
            (_AGE_OUT_OF_RANGE, (ages < _AGE_MIN) | (ages > age_max)),
            (_BAD_HEIGHT, ~((heights >= low) & (heights <= high))),
        )
    reason = np.zeros(ages.shape, dtype=np.uint8)
    for code, failed in reversed(checks):
        reason[failed] = code
    return reason


class PreparedReference:
    """Demographic work shared by every parameter of the same people.

    Build it with :func:`prepare_reference`; then :meth:`values` gives each parameter.
    """

    __slots__ = (
        "_age",
        "_age_raw",
        "_base_reason",
        "_demographics",
        "_eqs",
        "_height_raw",
        "_scalar",
        "_shape",
        "n",
    )

    def __init__(
        self,
        eqs: _EquationSet,
        sex: ArrayLike,
        age: ArrayLike,
        height_cm: ArrayLike,
        ethnicity: ArrayLike | None,
    ) -> None:
        self._eqs = eqs
        sex_in = np.asarray(sex)
        age_in = np.asarray(age, dtype=np.float64)
        height_in = np.asarray(height_cm, dtype=np.float64)
        eth_in = np.asarray("caucasian" if ethnicity is None else ethnicity)
        if eqs.needs_ethnicity and ethnicity is None:
            raise SpirometryInputError(
                _text(
                    "reference.ethnicity_required",
                    equations=Term(eqs.name),
                    choices=", ".join(ETHNICITIES),
                ),
                field="ethnicity",
            )
        if not eqs.needs_ethnicity:
            eth_in = np.asarray("caucasian")  # race-neutral: ethnicity is not used
        inputs = (sex_in, age_in, height_in, eth_in)
        self._scalar = all(a.ndim == 0 for a in inputs)
        self._shape = np.broadcast_shapes(*(a.shape for a in inputs))
        n = math.prod(self._shape)
        self.n = n

        def flat(a: NDArray[Any]) -> NDArray[Any]:
            return np.broadcast_to(a, self._shape).reshape(n)

        # Sex and ethnic group → codes (0/1 and 0..4); bad strings are flagged.
        if sex_in.ndim == 0:
            s_value = sex_in.item()
            bad_sex = np.full(n, s_value not in SEXES)
            female = np.full(n, s_value == "F")
        else:
            codes, bad_sex = _codes_from_strings(flat(sex_in), SEXES)
            female = codes == 1
        if eth_in.ndim == 0:
            e_value = eth_in.item()
            bad_eth = np.full(n, e_value not in ETHNICITIES)
            eth_codes = np.full(
                n, ETHNICITIES.index(e_value) if e_value in ETHNICITIES else 0, dtype=np.uint8
            )
        else:
            eth_codes, bad_eth = _codes_from_strings(flat(eth_in), ETHNICITIES)

        ages = flat(age_in)
        heights = flat(height_in)
        self._age_raw = ages  # the inputs as given, for error messages
        self._height_raw = heights
        age_max = max(t.age_max for t in eqs.tables.values())
        low, high = HEIGHT_RANGE_CM
        # NaN fails every comparison, so it is caught here too.
        valid = (ages >= _AGE_MIN) & (ages <= age_max) & (heights >= low) & (heights <= high)
        valid &= ~bad_sex
        valid &= ~bad_eth
        if valid.all():
            reason = np.zeros(n, dtype=np.uint8)
        else:
            reason = _demographic_reasons(bad_sex, bad_eth, ages, age_max, heights)
            invalid = ~valid
            # Compute invalid records at a harmless point; their outputs become NaN.
            ages = np.where(invalid, _AGE_MIN, ages)
            heights = np.where(invalid, 100.0, heights)
            female = female & valid
            eth_codes = np.where(invalid, 0, eth_codes)
        self._age = ages
        self._base_reason = reason
        lnage = np.log(ages)
        lnh = np.log(heights)
        t = ages - _AGE_MIN
        t *= 4.0  # exact: see the module docstring
        rows = np.floor(t)
        t -= rows
        k = rows.astype(np.intp)
        n_female = int(np.count_nonzero(female))
        f_lnh: NDArray[np.float64] | None = None
        f_lnage: NDArray[np.float64] | None = None
        if n_female in (0, n):
            # One sex throughout: female·covariate is the covariate itself, or absent.
            if n_female:
                f_lnh, f_lnage = lnh, lnage
            group = eth_codes.astype(np.intp)
            group += 5 * (1 if n_female else 0)
        else:
            f = female.astype(np.float64)
            f_lnh = f * lnh
            f_lnage = f * lnage
            group = female.astype(np.intp)
            group *= 5
            group += eth_codes
        group *= _ROWS
        k += group
        self._demographics = Demographics(k, t, lnh, lnage, f_lnh, f_lnage)

    @property
    def equations(self) -> str:
        return self._eqs.name

    @property
    def is_scalar(self) -> bool:
        return self._scalar

    def values(self, parameter: str, measured: ArrayLike | None = None) -> ReferenceResult:
        """Predicted, LLN, ULN, z-score and % predicted of ``parameter``.

        ``measured`` (litres, L/s, or a fraction for FEV1/FVC) may be ``None``: then z
        and % predicted are NaN and pred/LLN/ULN are still computed. A NaN measured
        value counts as not measured.
        """
        table = _table(self._eqs, parameter)
        messages = _reason_messages(self._eqs, parameter, table)
        n = self.n
        reason = self._base_reason
        if table.age_max < _AGE_MIN + 0.25 * (_ROWS - 1):
            too_old = self._age > table.age_max
            if too_old.any():
                reason = reason.copy()
                np.copyto(reason, _AGE_OUT_OF_RANGE, where=too_old & (reason == _OK))
        x: NDArray[np.float64] | None = None
        if measured is not None:
            m_in = np.asarray(measured, dtype=np.float64)
            if m_in.ndim and m_in.shape != self._shape:
                try:
                    np.broadcast_to(m_in, self._shape)
                except ValueError:
                    raise SpirometryInputError(
                        _text(
                            "reference.measured_shape",
                            shape=str(m_in.shape),
                            expected=str(self._shape),
                        ),
                        field="measured",
                    ) from None
            x = np.ascontiguousarray(np.broadcast_to(m_in, self._shape).reshape(n))
            with np.errstate(invalid="ignore"):
                bad_x = (x <= 0.0) | np.isinf(x)
            if bad_x.any():
                x = np.where(bad_x, np.nan, x)
                reason = reason.copy() if reason is self._base_reason else reason
                np.copyto(reason, _BAD_MEASURED, where=bad_x & (reason == _OK))

        pred, lln, uln, z, pct = (np.empty(n) for _ in range(5))
        compute(table, self._demographics, x, Results(pred, lln, uln, z, pct))
        invalid = reason != _OK
        if invalid.any():
            demographic = (reason != _OK) & (reason != _BAD_MEASURED)
            for out in (pred, lln, uln):
                out[demographic] = np.nan
            for out in (z, pct):
                out[invalid] = np.nan
        if x is None:
            z.fill(np.nan)
            pct.fill(np.nan)

        if self._scalar:
            code = int(reason[0])
            if code != _OK:
                raise self._scalar_error(parameter, code, messages, measured)
            return ReferenceResult(
                parameter,
                float(pred[0]),
                float(lln[0]),
                float(uln[0]),
                float(z[0]),
                float(pct[0]),
                0,
                messages,
            )
        shape = self._shape
        return ReferenceResult(
            parameter,
            pred.reshape(shape),
            lln.reshape(shape),
            uln.reshape(shape),
            z.reshape(shape),
            pct.reshape(shape),
            reason.reshape(shape),
            messages,
        )

    def _scalar_error(
        self, parameter: str, code: int, messages: tuple[str, ...], measured: ArrayLike | None
    ) -> SpirometryInputError:
        field = {
            _BAD_SEX: "sex",
            _BAD_ETHNICITY: "ethnicity",
            _BAD_AGE: "age",
            _AGE_OUT_OF_RANGE: "age",
            _BAD_HEIGHT: "height_cm",
        }.get(code, parameter)
        detail = messages[code]
        if code == _AGE_OUT_OF_RANGE:
            return OutOfRangeError(
                _text(
                    "reference.age_not_extrapolated",
                    age=number(float(self._age_raw[0])),
                    equations=Term(self._eqs.name),
                    parameter=Term(parameter),
                    low=number(_AGE_MIN),
                    high=number(_table(self._eqs, parameter).age_max),
                ),
                field="age",
            )
        if code == _BAD_HEIGHT:
            low, high = HEIGHT_RANGE_CM
            if not math.isfinite(float(self._height_raw[0])):
                return SpirometryInputError(
                    _text("reference.height_not_a_number"), field="height_cm"
                )
            return OutOfRangeError(
                _text(
                    "reference.height_outside",
                    height=number(float(self._height_raw[0])),
                    low=number(low),
                    high=number(high),
                ),
                field="height_cm",
            )
        if code == _BAD_MEASURED:
            return SpirometryInputError(
                _text("reference.measured_got", parameter=Term(parameter), got=echo(measured)),
                field=parameter,
            )
        return SpirometryInputError(detail, field=field)


def prepare_reference(
    equations: str,
    *,
    sex: ArrayLike,
    age: ArrayLike,
    height_cm: ArrayLike,
    ethnicity: ArrayLike | None = None,
) -> PreparedReference:
    """Validate the demographics once and precompute what every parameter shares.

    ``sex`` "M"/"F", ``age`` in decimal years, ``height_cm`` in cm, ``ethnicity`` one of
    :data:`ETHNICITIES` (GLI-2012 only; ignored by GLI Global). Scalars or arrays that
    broadcast together.
    """
    return PreparedReference(_equation_set(equations), sex, age, height_cm, ethnicity)


def reference_values(
    equations: str,
    parameter: str,
    *,
    sex: ArrayLike,
    age: ArrayLike,
    height_cm: ArrayLike,
    ethnicity: ArrayLike | None = None,
    measured: ArrayLike | None = None,
) -> ReferenceResult:
    """Reference values of one parameter for one person (scalars) or many (arrays).

    >>> r = reference_values("gli-global", "fev1", sex="F", age=40.0, height_cm=165.0,
    ...                      measured=2.9)
    >>> round(r.pred, 3), round(r.z, 2)
    (2.965, -0.15)

    Scalar input gives floats and raises :class:`OutOfRangeError` (a ``ValueError``)
    outside the equations' range; array input gives arrays with NaN and a ``reason``
    for such records.
    """
    prep = prepare_reference(equations, sex=sex, age=age, height_cm=height_cm, ethnicity=ethnicity)
    return prep.values(parameter, measured)
