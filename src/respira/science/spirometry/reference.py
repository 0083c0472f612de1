"""GLI spirometry reference values (predicted, LLN, ULN, z-score, % predicted).

Two equation sets, both by the LMS method of the Global Lung Function Initiative:

* ``"gli-2012"``: Quanjer PH et al. Multi-ethnic reference values for spirometry for
  the 3–95-yr age range: the global lung function 2012 equations. Eur Respir J
  2012;40:1324–43 (doi:10.1183/09031936.00080312). FEV1, FVC, FEV1/FVC for ages
  3–95 and FEF25-75, FEF75 for ages 3–90, for the groups ``caucasian``,
  ``african_american``, ``ne_asian``, ``se_asian`` and ``other``. Tables: the lookup
  GLI distributes for R (4 decimals), with GLI's corrected male FEF25-75 spline, as
  carried by rspiro 0.5.
* ``"gli-global"``: Bowerman C et al. A race-neutral approach to the interpretation of
  lung function measurements. Am J Respir Crit Care Med 2023;207:768–74
  (doi:10.1164/rccm.202205-0963OC). FEV1, FVC, FEV1/FVC for ages 3–95, no ethnicity.
  Tables: GLI's official lookup workbook, full precision.

The tables ship in ``data/`` and are read once, on first use. For a measured value
``x`` with ``M``, ``S``, ``L`` from the equations::

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
Nothing is ever extrapolated.

Numerics: M, S and the limits are evaluated in the log domain
(``LLN = exp(ln M + ln(1 − 1.645·L·S)/L)``), which is the same formula. For FEF75,
whose L crosses zero in women and approaches it in men, ``log1p``/``expm1`` keep the
result accurate for |L| → 0, and L = 0 exactly uses the limit ``z = ln(x/M)/S``.
There is no Python loop over records. Two kernels compute the same formula: a C
extension (``_lms.c``: one pass, vectorised with glibc's vector math library, used on
x86-64 Linux CPUs with AVX2 and FMA) and NumPy, in cache-sized blocks with preallocated
buffers; :func:`backend` says which one runs, and they agree to ~1e-15 relative.
:func:`prepare_reference` does the demographic work (codes, logarithms, spline index)
once for all parameters of the same people.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import types
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from respira.science.spirometry.errors import OutOfRangeError, SpirometryInputError

_lms: types.ModuleType | None
try:  # the vectorised C kernel, built on x86-64 Linux only (setup.py)
    from respira.science.spirometry import _lms
except ImportError:  # pragma: no cover - other platforms, or a build without a compiler
    _lms = None


def _cpu_has_avx2_fma() -> bool:
    """The C kernel is compiled for AVX2 and FMA; older x86-64 CPUs use NumPy."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return {"avx2", "fma"} <= set(line.partition(":")[2].split())
    except OSError:  # pragma: no cover - not Linux
        pass
    return False  # pragma: no cover


BACKENDS: Final = ("c", "numpy")
_BACKEND: list[str] = ["c" if _lms is not None and _cpu_has_avx2_fma() else "numpy"]


def backend() -> str:
    """Which kernel computes reference values: "c" (vectorised C, AVX2 with glibc's
    vector math library) or "numpy". Both agree to about 1e-15 relative."""
    return _BACKEND[0]


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Compute with the named kernel inside the block (tests and benchmarks)."""
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}")
    if name == "c" and (_lms is None or not _cpu_has_avx2_fma()):
        raise RuntimeError("the C kernel is not available on this machine")
    previous = _BACKEND[0]
    _BACKEND[0] = name
    try:
        yield
    finally:
        _BACKEND[0] = previous


__all__ = [
    "EQUATIONS",
    "ETHNICITIES",
    "HEIGHT_RANGE_CM",
    "PARAMETERS",
    "SEXES",
    "Z_LIMIT",
    "PreparedReference",
    "ReferenceResult",
    "age_range",
    "equations_version",
    "parameters_for",
    "prepare_reference",
    "reference_values",
]

EQUATIONS: Final = ("gli-2012", "gli-global")
PARAMETERS: Final = ("fev1", "fvc", "fev1fvc", "fef2575", "fef75")
ETHNICITIES: Final = ("caucasian", "african_american", "ne_asian", "se_asian", "other")
SEXES: Final = ("M", "F")
#: The z-score of the 5th and 95th centiles used for LLN and ULN (GLI, exactly 1.645).
Z_LIMIT: Final = 1.645
#: Plausible standing height; outside it the record is rejected (programme rule, issue 2).
HEIGHT_RANGE_CM: Final = (40.0, 250.0)

FloatOrArray = Any  # a Python float for scalar input, an ndarray of float64 for arrays

_AGE_MIN: Final = 3.0
_ROWS: Final = 369  # 3 to 95 years in steps of 0.25; FEF tables (3 to 90) are padded
_BLOCK: Final = 16384  # records per block (8192–32768 measured within 5 % of each other)
_SMALL_L: Final = 1e-3  # below this |L| the FEF75 limits use log1p/expm1

# Reason codes for array results (0 = a value was computed).
_OK: Final = 0
_BAD_SEX: Final = 1
_BAD_ETHNICITY: Final = 2
_BAD_AGE: Final = 3
_AGE_OUT_OF_RANGE: Final = 4
_BAD_HEIGHT: Final = 5
_BAD_MEASURED: Final = 6

_SOURCES: Final = {
    "gli-2012": (
        "gli2012",
        "Quanjer 2012 Eur Respir J 40:1324",
        "GLI R lookup tables (4 d.p., corrected male FEF25-75 spline, as in rspiro 0.5)",
    ),
    "gli-global": (
        "gliglobal",
        "Bowerman 2023 Am J Respir Crit Care Med 207:768",
        "GLI Global official lookup workbook (full precision)",
    ),
}


@dataclass(frozen=True, slots=True)
class _ParamTable:
    parameter: str
    age_max: float
    # Flat tables indexed by (sex*5 + ethnic group)*_ROWS + spline row.
    m_val: NDArray[np.float64]  # a0 + ethnic term + Mspline(row)
    m_del: NDArray[np.float64]  # Mspline(row+1) − Mspline(row); 0 on the last row
    s_val: NDArray[np.float64]
    s_del: NDArray[np.float64]
    l_val: NDArray[np.float64]
    l_del: NDArray[np.float64]
    a1: NDArray[np.float64]  # per sex: ln(height) coefficient
    a2: NDArray[np.float64]  # per sex: ln(age) coefficient of M
    p1: NDArray[np.float64]  # per sex: ln(age) coefficient of S
    q1: NDArray[np.float64]  # per sex: ln(age) coefficient of L
    l_spline_zero: bool
    q1_zero: bool
    l_near_zero: bool  # L comes close to 0 somewhere in the domain: use log1p/expm1
    # Per flat row: |L| may fall below _SMALL_L somewhere in that quarter-year (so the
    # C path needs to look at L only for records in these rows).
    l_risky: NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class _EquationSet:
    name: str
    tables: dict[str, _ParamTable]
    needs_ethnicity: bool
    version: str


def _read_csv(name: str) -> tuple[list[str], list[list[str]], bytes]:
    raw = resources.files("respira.science.spirometry").joinpath("data", name).read_bytes()
    lines = raw.decode("ascii").strip().splitlines()
    header = lines[0].split(",")
    return header, [line.split(",") for line in lines[1:]], raw


@functools.cache
def _equation_set(equations: str) -> _EquationSet:
    if equations not in _SOURCES:
        raise ValueError(f"equations must be one of {', '.join(EQUATIONS)}, not {equations!r}")
    prefix, paper, tables_note = _SOURCES[equations]
    c_head, c_rows, c_raw = _read_csv(f"{prefix}_coefficients.csv")
    s_head, s_rows, s_raw = _read_csv(f"{prefix}_splines.csv")
    digest = hashlib.sha256(c_raw + s_raw).hexdigest()[:12]

    coef: dict[tuple[int, str], dict[str, float]] = {}
    for row in c_rows:
        values = dict(zip(c_head, row, strict=True))
        key = (int(values["sex"]) - 1, values["param"].lower())
        coef[key] = {k: float(v) for k, v in values.items() if k not in ("sex", "param")}
    splines: dict[tuple[int, str], list[tuple[float, float, float, float]]] = {}
    for row in s_rows:
        values = dict(zip(s_head, row, strict=True))
        key = (int(values["sex"]) - 1, values["param"].lower())
        splines.setdefault(key, []).append(
            (
                float(values["age"]),
                float(values["Lspline"]),
                float(values["Mspline"]),
                float(values["Sspline"]),
            )
        )

    tables: dict[str, _ParamTable] = {}
    for parameter in PARAMETERS:
        if (0, parameter) not in coef:
            continue
        tables[parameter] = _build_table(parameter, coef, splines)
    version = (
        f"{equations}: {paper}; {tables_note}; sha256 {digest}; "
        f"linear spline interpolation at 0.25 y; LLN/ULN at z = ±{Z_LIMIT}"
    )
    return _EquationSet(equations, tables, equations == "gli-2012", version)


def _build_table(
    parameter: str,
    coef: dict[tuple[int, str], dict[str, float]],
    splines: dict[tuple[int, str], list[tuple[float, float, float, float]]],
) -> _ParamTable:
    shape = (2, 5, _ROWS)
    m_val, m_del, s_val, s_del, l_val, l_del = (np.full(shape, np.nan) for _ in range(6))
    risky = np.zeros(shape, dtype=bool)
    age_max = 0.0
    l_min_abs = math.inf
    for sex in (0, 1):
        c = coef[(sex, parameter)]
        rows = np.array(splines[(sex, parameter)], dtype=np.float64)
        n = rows.shape[0]
        expected_ages = _AGE_MIN + 0.25 * np.arange(n)
        if not np.array_equal(rows[:, 0], expected_ages):
            raise RuntimeError(f"spline table for {parameter} is not on the 0.25-year grid")
        age_max = float(rows[-1, 0])
        for part, (val, dlt) in zip(
            (1, 2, 3), ((l_val, l_del), (m_val, m_del), (s_val, s_del)), strict=True
        ):
            col = rows[:, part]
            step = np.append(np.diff(col), 0.0)  # zero-width step after the last row
            val[sex, :, :n] = col
            dlt[sex, :, :n] = step
        for eth in range(5):
            # GLI-2012 groups: a3/p2 African American, a4/p3 NE Asian, a5/p4 SE Asian,
            # a6/p5 Other (Caucasian is the reference group). GLI Global has none.
            a_eth = c.get(f"a{eth + 2}", 0.0) if eth else 0.0
            p_eth = c.get(f"p{eth + 1}", 0.0) if eth else 0.0
            m_val[sex, eth, :n] += c["a0"] + a_eth
            s_val[sex, eth, :n] += c["p0"] + p_eth
        l_val[sex, :, :n] += c["q0"]
        ages = np.linspace(_AGE_MIN, age_max, 20001)
        l_dense = c["q0"] + c["q1"] * np.log(ages) + np.interp(ages, rows[:, 0], rows[:, 1])
        l_min_abs = min(l_min_abs, float(np.min(np.abs(l_dense))))
        # |L| over each quarter-year, sampled 64 times per interval, with a 2× margin.
        fine = _AGE_MIN + 0.25 * np.arange(n)[:, None] + np.linspace(0.0, 0.25, 65)[None, :]
        fine = np.minimum(fine, age_max)
        l_fine = c["q0"] + c["q1"] * np.log(fine) + np.interp(fine, rows[:, 0], rows[:, 1])
        risky_rows: NDArray[np.bool_] = np.asarray(np.abs(l_fine).min(axis=1) < 2 * _SMALL_L)
        risky[sex, :, :n] = risky_rows[None, :]

    def per_sex(name: str) -> NDArray[np.float64]:
        return np.array([coef[(0, parameter)][name], coef[(1, parameter)][name]])

    q1 = per_sex("q1")
    return _ParamTable(
        parameter=parameter,
        age_max=age_max,
        m_val=m_val.ravel(),
        m_del=m_del.ravel(),
        s_val=s_val.ravel(),
        s_del=s_del.ravel(),
        l_val=l_val.ravel(),
        l_del=l_del.ravel(),
        a1=per_sex("a1"),
        a2=per_sex("a2"),
        p1=per_sex("p1"),
        q1=q1,
        l_spline_zero=bool(np.all(np.nan_to_num(l_del) == 0.0)),
        q1_zero=bool(np.all(q1 == 0.0)),
        l_near_zero=l_min_abs < 0.05,
        l_risky=risky.ravel(),
    )


def equations_version(equations: str) -> str:
    """The equation set, its paper, the table source and a hash of the tables used."""
    return _equation_set(equations).version


def parameters_for(equations: str) -> tuple[str, ...]:
    """The parameters an equation set defines (GLI Global has no FEF equations)."""
    return tuple(_equation_set(equations).tables)


def age_range(equations: str, parameter: str) -> tuple[float, float]:
    """Inclusive age range in years for which ``parameter`` has reference values."""
    return (_AGE_MIN, _table(_equation_set(equations), parameter).age_max)


def _table(eqs: _EquationSet, parameter: str) -> _ParamTable:
    try:
        return eqs.tables[parameter]
    except KeyError:
        if parameter in PARAMETERS:
            raise ValueError(f"{eqs.name} has no reference equation for {parameter}") from None
        raise ValueError(
            f"parameter must be one of {', '.join(PARAMETERS)}, not {parameter!r}"
        ) from None


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
        "sex must be 'M' or 'F'",
        f"ethnicity must be one of {', '.join(ETHNICITIES)} for {eqs.name}",
        "age is missing or not a number",
        f"age outside the {eqs.name} range for {parameter} ({_AGE_MIN:g}–{table.age_max:g} years)",
        f"height_cm is missing or outside {low:g}–{high:g} cm",
        f"measured {parameter} must be a positive finite number",
    )


def _codes_from_strings(
    values: NDArray[Any], names: tuple[str, ...]
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """Map an array of strings onto indices into ``names``; unmatched → bad mask.

    Exact matching only (no case folding or trimming). NumPy's string ``==`` costs
    ~7 ns per element and name; for ASCII names of up to 16 characters the code
    points are narrowed to bytes and compared as two 64-bit words instead.
    """
    codes = np.zeros(values.shape, dtype=np.uint8)
    matched = np.zeros(values.shape, dtype=np.bool_)
    longest = max(map(len, names))
    hits: list[NDArray[np.bool_]]
    if values.dtype.kind == "U" and values.dtype.itemsize == 4 and longest == 1:
        points = values.view(np.uint32)  # one character per element: its code point
        hits = [points == ord(name) for name in names]
    elif values.dtype.kind == "U" and values.size and longest <= 16:
        width = values.dtype.itemsize // 4
        points = np.ascontiguousarray(values).view(np.uint32).reshape(values.size, width)
        head = points[:, : min(width, 16)]
        if int(head.max()) >= 128:  # non-ASCII somewhere: let NumPy compare
            hits = [np.asarray(values == name, dtype=np.bool_) for name in names]
        else:
            packed = np.zeros((values.size, 16), dtype=np.uint8)
            packed[:, : head.shape[1]] = head
            words = packed.view(np.uint64)
            tail_empty = ~points[:, 16:].any(axis=1) if width > 16 else None
            hits = []
            for name in names:
                w0, w1 = np.frombuffer(name.encode("ascii").ljust(16, b"\0"), dtype=np.uint64)
                hit = words[:, 0] == w0
                hit &= words[:, 1] == w1
                if tail_empty is not None:
                    hit &= tail_empty
                hits.append(hit.reshape(values.shape))
    elif values.dtype.kind in "UO":
        hits = [np.asarray(values == name, dtype=np.bool_) for name in names]
    else:
        return codes, ~matched
    for index, hit in enumerate(hits):
        matched |= hit
        if index:
            codes += hit.view(np.uint8) * np.uint8(index)
    return codes, ~matched


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
        "_eqs",
        "_female_lnage",
        "_female_lnh",
        "_height_raw",
        "_k",
        "_lnage",
        "_lnh",
        "_scalar",
        "_shape",
        "_w",
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
                f"ethnicity is required for {eqs.name} (one of {', '.join(ETHNICITIES)})",
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
        self._lnage = np.log(ages)
        self._lnh = np.log(heights)
        t = ages - _AGE_MIN
        t *= 4.0  # exact: see the module docstring
        rows = np.floor(t)
        t -= rows
        self._w = t
        k = rows.astype(np.intp)
        n_female = int(np.count_nonzero(female))
        self._female_lnh: NDArray[np.float64] | None = None
        self._female_lnage: NDArray[np.float64] | None = None
        if n_female in (0, n):
            # One sex throughout: female·covariate is the covariate itself, or absent.
            if n_female:
                self._female_lnh, self._female_lnage = self._lnh, self._lnage
            group = eth_codes.astype(np.intp)
            group += 5 * (1 if n_female else 0)
        else:
            f = female.astype(np.float64)
            self._female_lnh = f * self._lnh
            self._female_lnage = f * self._lnage
            group = female.astype(np.intp)
            group *= 5
            group += eth_codes
        group *= _ROWS
        k += group
        self._k = k

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
                        f"measured has shape {m_in.shape}, expected {self._shape}",
                        field="measured",
                    ) from None
            x = np.ascontiguousarray(np.broadcast_to(m_in, self._shape).reshape(n))
            with np.errstate(invalid="ignore"):
                bad_x = (x <= 0.0) | np.isinf(x)
            if bad_x.any():
                x = np.where(bad_x, np.nan, x)
                reason = reason.copy() if reason is self._base_reason else reason
                np.copyto(reason, _BAD_MEASURED, where=bad_x & (reason == _OK))

        pred = np.empty(n)
        lln = np.empty(n)
        uln = np.empty(n)
        z = np.empty(n)
        pct = np.empty(n)
        _compute(table, self, x, pred, lln, uln, z, pct)
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
                f"age {float(self._age_raw[0]):g} years is outside the {self._eqs.name} "
                f"range for {parameter} ({_AGE_MIN:g}–{_table(self._eqs, parameter).age_max:g} "
                "years); "
                "no reference value is extrapolated",
                field="age",
            )
        if code == _BAD_HEIGHT:
            low, high = HEIGHT_RANGE_CM
            if not math.isfinite(float(self._height_raw[0])):
                return SpirometryInputError(
                    "height_cm is missing or not a number", field="height_cm"
                )
            return OutOfRangeError(
                f"height_cm {float(self._height_raw[0]):g} is outside {low:g}–{high:g} cm",
                field="height_cm",
            )
        if code == _BAD_MEASURED:
            return SpirometryInputError(f"{detail}, got {measured!r}", field=parameter)
        return SpirometryInputError(detail, field=field)


def _compute(
    table: _ParamTable,
    prep: PreparedReference,
    x: NDArray[np.float64] | None,
    pred: NDArray[np.float64],
    lln: NDArray[np.float64],
    uln: NDArray[np.float64],
    z: NDArray[np.float64],
    pct: NDArray[np.float64],
) -> None:
    """Run the LMS kernel into the preallocated outputs: in C where the CPU allows
    (see ``backend()``), otherwise block by block with NumPy."""
    if _BACKEND[0] == "c":
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            _compute_c(table, prep, x, pred, lln, uln, z, pct)
        return
    n = prep.n
    size = min(n, _BLOCK)
    buffers = [np.empty(size) for _ in range(4)]
    f_lnh, f_lnage = prep._female_lnh, prep._female_lnage
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for start in range(0, n, _BLOCK):
            stop = min(start + _BLOCK, n)
            b = stop - start
            sl = slice(start, stop)
            _kernel(
                table,
                prep._k[sl],
                prep._w[sl],
                prep._lnh[sl],
                prep._lnage[sl],
                None if f_lnh is None else f_lnh[sl],
                None if f_lnage is None else f_lnage[sl],
                None if x is None else x[sl],
                pred[sl],
                lln[sl],
                uln[sl],
                z[sl],
                pct[sl],
                *(buf[:b] for buf in buffers),
            )


def _add_term(
    acc: NDArray[np.float64],
    coef: NDArray[np.float64],
    covariate: NDArray[np.float64],
    female_covariate: NDArray[np.float64] | None,
    tmp: NDArray[np.float64],
) -> None:
    """acc += coef[sex]·covariate, without temporaries or gathers.

    Evaluated as coef[M]·covariate + (coef[F] − coef[M])·(female·covariate), with
    female·covariate precomputed once per person (None when nobody is female). Every
    call path (scalar, one sex, mixed sexes) uses this same form, so a record gets
    bit-identical results however it is passed in.
    """
    male, delta = float(coef[0]), float(coef[1] - coef[0])
    if male != 0.0:
        np.multiply(covariate, male, out=tmp)
        np.add(acc, tmp, out=acc)
    if delta != 0.0 and female_covariate is not None:
        np.multiply(female_covariate, delta, out=tmp)
        np.add(acc, tmp, out=acc)


def _kernel(
    tb: _ParamTable,
    k: NDArray[np.intp],
    w: NDArray[np.float64],
    lnh: NDArray[np.float64],
    lnage: NDArray[np.float64],
    f_lnh: NDArray[np.float64] | None,
    f_lnage: NDArray[np.float64] | None,
    x: NDArray[np.float64] | None,
    pred: NDArray[np.float64],
    lln: NDArray[np.float64],
    uln: NDArray[np.float64],
    z: NDArray[np.float64],
    pct: NDArray[np.float64],
    ln_m: NDArray[np.float64],
    t1: NDArray[np.float64],
    lam: NDArray[np.float64],
    s: NDArray[np.float64],
) -> None:
    # ln M = a0 + ethnic term + Mspline + a1·ln(height) + a2·ln(age)
    np.take(tb.m_val, k, out=ln_m)
    np.take(tb.m_del, k, out=t1)
    np.multiply(t1, w, out=t1)
    np.add(ln_m, t1, out=ln_m)
    _add_term(ln_m, tb.a1, lnh, f_lnh, t1)
    _add_term(ln_m, tb.a2, lnage, f_lnage, t1)
    np.exp(ln_m, out=pred)
    # ln S = p0 + ethnic term + Sspline + p1·ln(age)
    np.take(tb.s_val, k, out=s)
    np.take(tb.s_del, k, out=t1)
    np.multiply(t1, w, out=t1)
    np.add(s, t1, out=s)
    _add_term(s, tb.p1, lnage, f_lnage, t1)
    np.exp(s, out=s)
    # L = q0 + Lspline + q1·ln(age)
    np.take(tb.l_val, k, out=lam)
    if not tb.l_spline_zero:
        np.take(tb.l_del, k, out=t1)
        np.multiply(t1, w, out=t1)
        np.add(lam, t1, out=lam)
    _add_term(lam, tb.q1, lnage, f_lnage, t1)
    np.multiply(s, lam, out=s)  # s now holds L·S
    np.multiply(s, Z_LIMIT, out=t1)  # u = 1.645·L·S
    # LLN = M·(1 − u)^(1/L), ULN = M·(1 + u)^(1/L), in the log domain.
    np.subtract(1.0, t1, out=lln)
    np.log(lln, out=lln)
    np.add(t1, 1.0, out=uln)
    np.log(uln, out=uln)
    for limit in (lln, uln):
        np.divide(limit, lam, out=limit)
        np.add(limit, ln_m, out=limit)
        np.exp(limit, out=limit)
    if x is not None:
        # z = ((x/M)^L − 1)/(L·S) with (x/M)^L = exp(L·(ln x − ln M)).
        np.log(x, out=t1)
        np.subtract(t1, ln_m, out=t1)  # t1 = ln(x/M), kept for the small-L path
        np.multiply(t1, lam, out=z)
        np.exp(z, out=z)
        np.subtract(z, 1.0, out=z)
        np.divide(z, s, out=z)
        np.divide(x, pred, out=pct)
        np.multiply(pct, 100.0, out=pct)
    if tb.l_near_zero:
        _small_l(tb, k, w, lnage, f_lnage, x, lam, ln_m, t1, lln, uln, z)


def _small_l(
    tb: _ParamTable,
    k: NDArray[np.intp],
    w: NDArray[np.float64],
    lnage: NDArray[np.float64],
    f_lnage: NDArray[np.float64] | None,
    x: NDArray[np.float64] | None,
    lam: NDArray[np.float64],
    ln_m: NDArray[np.float64],
    ln_ratio: NDArray[np.float64],
    lln: NDArray[np.float64],
    uln: NDArray[np.float64],
    z: NDArray[np.float64],
) -> None:
    """Recompute records with |L| < 1e-3 in a form that stays exact as L → 0.

    With 1 − u and exp(·) − 1 the rounding error grows like 1e-16/L; log1p/expm1 and,
    for L = 0 exactly, the LMS limits z = ln(x/M)/S and M·exp(∓1.645·S) avoid it.
    """
    idx = np.flatnonzero(np.abs(lam) < _SMALL_L)
    if idx.size:
        _small_l_at(
            idx,
            tb,
            k,
            w,
            lnage,
            f_lnage,
            lam[idx],
            ln_m[idx],
            ln_ratio[idx] if x is not None else None,
            lln,
            uln,
            z,
        )


def _small_l_at(
    idx: NDArray[np.intp],
    tb: _ParamTable,
    k: NDArray[np.intp],
    w: NDArray[np.float64],
    lnage: NDArray[np.float64],
    f_lnage: NDArray[np.float64] | None,
    lm: NDArray[np.float64],
    ln_m: NDArray[np.float64],
    ln_ratio: NDArray[np.float64] | None,
    lln: NDArray[np.float64],
    uln: NDArray[np.float64],
    z: NDArray[np.float64],
) -> None:
    """The small-|L| forms for the records ``idx`` (``lm``, ``ln_m``, ``ln_ratio``
    hold those records' L, ln M and ln(x/M); ``ln_ratio`` is None when nothing was
    measured)."""
    kk = k[idx]
    ln_s = tb.s_val[kk] + tb.s_del[kk] * w[idx]
    _add_term(
        ln_s, tb.p1, lnage[idx], None if f_lnage is None else f_lnage[idx], np.empty(idx.size)
    )
    sd = np.exp(ln_s)
    u = Z_LIMIT * lm * sd
    zero = lm == 0.0
    lm_safe = np.where(zero, 1.0, lm)
    low = np.where(zero, -Z_LIMIT * sd, np.log1p(-u) / lm_safe)
    high = np.where(zero, Z_LIMIT * sd, np.log1p(u) / lm_safe)
    lln[idx] = np.exp(ln_m + low)
    uln[idx] = np.exp(ln_m + high)
    if ln_ratio is not None:
        z[idx] = np.where(zero, ln_ratio / sd, np.expm1(ln_ratio * lm) / (lm_safe * sd))


def _compute_c(
    table: _ParamTable,
    prep: PreparedReference,
    x: NDArray[np.float64] | None,
    pred: NDArray[np.float64],
    lln: NDArray[np.float64],
    uln: NDArray[np.float64],
    z: NDArray[np.float64],
    pct: NDArray[np.float64],
) -> None:
    """The same kernel in one vectorised C pass (``_lms.c``), then the small-|L|
    records with the NumPy forms above."""
    assert _lms is not None
    a1, a2, p1, q1 = table.a1, table.a2, table.p1, table.q1
    _lms.kernel(
        prep._k,
        prep._w,
        prep._lnh,
        prep._lnage,
        prep._female_lnh,
        prep._female_lnage,
        x,
        table.m_val,
        table.m_del,
        table.s_val,
        table.s_del,
        table.l_val,
        table.l_del,
        float(a1[0]),
        float(a1[1] - a1[0]),
        float(a2[0]),
        float(a2[1] - a2[0]),
        float(p1[0]),
        float(p1[1] - p1[0]),
        float(q1[0]),
        float(q1[1] - q1[0]),
        pred,
        lln,
        uln,
        z,
        pct,
    )
    if not table.l_near_zero:
        return
    k, w, lnage, f_lnage = prep._k, prep._w, prep._lnage, prep._female_lnage
    cand = np.flatnonzero(table.l_risky[k])
    if not cand.size:
        return
    kc = k[cand]
    lam = table.l_val[kc] + table.l_del[kc] * w[cand]
    _add_term(lam, q1, lnage[cand], None if f_lnage is None else f_lnage[cand], np.empty(cand.size))
    small = np.abs(lam) < _SMALL_L
    idx = cand[small]
    if not idx.size:
        return
    kk = k[idx]
    ln_m = table.m_val[kk] + table.m_del[kk] * w[idx]
    tmp = np.empty(idx.size)
    _add_term(
        ln_m, a1, prep._lnh[idx], None if prep._female_lnh is None else prep._female_lnh[idx], tmp
    )
    _add_term(ln_m, a2, lnage[idx], None if f_lnage is None else f_lnage[idx], tmp)
    ln_ratio = None if x is None else np.log(x[idx]) - ln_m
    _small_l_at(idx, table, k, w, lnage, f_lnage, lam[small], ln_m, ln_ratio, lln, uln, z)


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
