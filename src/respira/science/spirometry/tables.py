"""GLI reference tables: the equation sets, their coefficients and age splines.

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

The tables ship in ``data/`` and are read once, on first use, into flat per-parameter
arrays indexed by (sex, ethnic group, 0.25-year spline row) that the kernels
(:mod:`respira.science.spirometry.kernels`) gather from; the ethnic terms and the
intercepts are folded into the spline values. This module also holds the codes the
equations take (sex "M"/"F", the five GLI-2012 groups) and which equation set needs an
ethnicity, so that those rules live in one place.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

from respira.science.spirometry.limits import Z_LIMIT

__all__ = [
    "EQUATIONS",
    "ETHNICITIES",
    "HEIGHT_RANGE_CM",
    "PARAMETERS",
    "SEXES",
    "age_range",
    "equations_version",
    "parameters_for",
    "requires_ethnicity",
    "sex_code",
    "takes_ethnicity",
]

EQUATIONS: Final = ("gli-2012", "gli-global")
PARAMETERS: Final = ("fev1", "fvc", "fev1fvc", "fef2575", "fef75")
ETHNICITIES: Final = ("caucasian", "african_american", "ne_asian", "se_asian", "other")
SEXES: Final = ("M", "F")
#: Plausible standing height; outside it the record is rejected (programme rule, issue 2).
HEIGHT_RANGE_CM: Final = (40.0, 250.0)

_AGE_MIN: Final = 3.0
_ROWS: Final = 369  # 3 to 95 years in steps of 0.25; FEF tables (3 to 90) are padded
_SMALL_L: Final = 1e-3  # below this |L| the FEF75 limits use log1p/expm1

#: Which equation sets use an ethnic group (GLI Global is race-neutral).
_USES_ETHNICITY: Final = {"gli-2012": True, "gli-global": False}

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
    _check_equations(equations)
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
    return _EquationSet(equations, tables, requires_ethnicity(equations), version)


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


def sex_code(sex_at_birth: str) -> Literal["F", "M"]:
    """The equations' sex code for a sex at birth as a patient record holds it:
    ``"female"`` → ``"F"``, ``"male"`` → ``"M"``. Anything else (including other case
    or spacing) raises ``ValueError``: the GLI equations are defined for these two."""
    if sex_at_birth == "female":
        return "F"
    if sex_at_birth == "male":
        return "M"
    raise ValueError(f"sex_at_birth must be 'female' or 'male', not {sex_at_birth!r}")


def _check_equations(equations: str) -> None:
    if equations not in _USES_ETHNICITY:
        raise ValueError(f"equations must be one of {', '.join(EQUATIONS)}, not {equations!r}")


def requires_ethnicity(equations: str) -> bool:
    """Whether the equation set needs an ethnic group (one of :data:`ETHNICITIES`):
    True for ``"gli-2012"``, False for ``"gli-global"``; ``ValueError`` for others."""
    _check_equations(equations)
    return _USES_ETHNICITY[equations]


def takes_ethnicity(equations: str) -> bool:
    """Whether the equation set accepts an ethnic group at all. GLI Global is
    race-neutral and takes none; GLI-2012 takes (and requires) one."""
    return requires_ethnicity(equations)
