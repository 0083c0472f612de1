"""The LMS kernels: from prepared demographics to pred, LLN, ULN, z and % predicted.

For a measured value ``x`` with ``M``, ``S``, ``L`` from the GLI equations (Quanjer PH
et al. Eur Respir J 2012;40:1324–43; Bowerman C et al. Am J Respir Crit Care Med
2023;207:768–74)::

    pred = M,  z = ((x/M)^L − 1)/(L·S),  LLN/ULN = M·(1 ∓ 1.645·L·S)^(1/L),  %pred = 100·x/M

M, S and the limits are evaluated in the log domain (``LLN = exp(ln M + ln(1 −
1.645·L·S)/L)``), which is the same formula. For FEF75, whose L crosses zero in women
and approaches it in men, ``log1p``/``expm1`` keep the result accurate for |L| → 0, and
L = 0 exactly uses the limit ``z = ln(x/M)/S``. There is no Python loop over records.
Two kernels compute the same formula: a C extension (``_lms.c``: one pass, vectorised
with glibc's vector math library, used on x86-64 Linux CPUs with AVX2 and FMA; see
``docs/decisions/2026-11-23-science-vectorisation.md``) and NumPy, in cache-sized blocks
with preallocated buffers; :func:`backend` says which one runs, and they agree to
~1e-15 relative.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from respira.science.spirometry.limits import Z_LIMIT
from respira.science.spirometry.tables import _SMALL_L, _ParamTable

__all__ = ["BACKENDS", "Demographics", "Results", "backend", "compute", "use_backend"]
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


_BLOCK: Final = 16384  # records per block (8192–32768 measured within 5 % of each other)

Floats = NDArray[np.float64]


def _part(a: Floats | None, index: Any) -> Floats | None:
    return None if a is None else a[index]


@dataclass(frozen=True, slots=True)
class Demographics:
    """What the kernel reads of each record: ``k`` its flat table row, ``w`` its weight
    within the quarter-year, ``lnh``/``lnage`` the logarithms of height and age and
    ``f_lnh``/``f_lnage`` the same times "is female" (``None`` when nobody is)."""

    k: NDArray[np.intp]
    w: Floats
    lnh: Floats
    lnage: Floats
    f_lnh: Floats | None
    f_lnage: Floats | None

    def __getitem__(self, index: Any) -> Demographics:
        """The records at ``index`` (a slice, or an array of positions)."""
        return Demographics(
            self.k[index],
            self.w[index],
            self.lnh[index],
            self.lnage[index],
            _part(self.f_lnh, index),
            _part(self.f_lnage, index),
        )


@dataclass(frozen=True, slots=True)
class Results:
    """The preallocated outputs: pred, LLN, ULN, z and % predicted of each record."""

    pred: Floats
    lln: Floats
    uln: Floats
    z: Floats
    pct: Floats

    def __getitem__(self, index: slice) -> Results:
        return Results(
            self.pred[index], self.lln[index], self.uln[index], self.z[index], self.pct[index]
        )


def compute(table: _ParamTable, d: Demographics, x: Floats | None, out: Results) -> None:
    """Run the LMS kernel into the preallocated outputs: in C where the CPU allows
    (see ``backend()``), otherwise block by block with NumPy. ``x`` holds the measured
    values, or is ``None``."""
    if _BACKEND[0] == "c":
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            _compute_c(table, d, x, out)
        return
    n = d.k.shape[0]
    size = min(n, _BLOCK)
    buffers = [np.empty(size) for _ in range(4)]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for start in range(0, n, _BLOCK):
            stop = min(start + _BLOCK, n)
            b = stop - start
            sl = slice(start, stop)
            _kernel(table, d[sl], _part(x, sl), out[sl], *(buf[:b] for buf in buffers))


def _add_term(
    acc: Floats,
    coef: Floats,
    covariate: Floats,
    female_covariate: Floats | None,
    tmp: Floats,
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


def _spline(
    values: Floats, deltas: Floats | None, d: Demographics, out: Floats, tmp: Floats
) -> None:
    """out = values[k] + deltas[k]·w: a spline term interpolated within the record's
    quarter-year (``deltas`` None: the spline is flat)."""
    np.take(values, d.k, out=out)
    if deltas is not None:
        np.take(deltas, d.k, out=tmp)
        np.multiply(tmp, d.w, out=tmp)
        np.add(out, tmp, out=out)


def _spline_of(values: Floats, deltas: Floats, d: Demographics) -> Floats:
    """The same interpolation for a few gathered records, as a new array."""
    return values[d.k] + deltas[d.k] * d.w


def _kernel(
    tb: _ParamTable,
    d: Demographics,
    x: Floats | None,
    out: Results,
    ln_m: Floats,
    t1: Floats,
    lam: Floats,
    s: Floats,
) -> None:
    pred, lln, uln, z, pct = out.pred, out.lln, out.uln, out.z, out.pct
    # ln M = a0 + ethnic term + Mspline + a1·ln(height) + a2·ln(age)
    _spline(tb.m_val, tb.m_del, d, ln_m, t1)
    _add_term(ln_m, tb.a1, d.lnh, d.f_lnh, t1)
    _add_term(ln_m, tb.a2, d.lnage, d.f_lnage, t1)
    np.exp(ln_m, out=pred)
    # ln S = p0 + ethnic term + Sspline + p1·ln(age)
    _spline(tb.s_val, tb.s_del, d, s, t1)
    _add_term(s, tb.p1, d.lnage, d.f_lnage, t1)
    np.exp(s, out=s)
    # L = q0 + Lspline + q1·ln(age)
    _spline(tb.l_val, None if tb.l_spline_zero else tb.l_del, d, lam, t1)
    _add_term(lam, tb.q1, d.lnage, d.f_lnage, t1)
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
        _small_l(tb, d, x, lam, ln_m, t1, out)


def _small_l(
    tb: _ParamTable,
    d: Demographics,
    x: Floats | None,
    lam: Floats,
    ln_m: Floats,
    ln_ratio: Floats,
    out: Results,
) -> None:
    """Recompute records with |L| < 1e-3 in a form that stays exact as L → 0.

    With 1 − u and exp(·) − 1 the rounding error grows like 1e-16/L; log1p/expm1 and,
    for L = 0 exactly, the LMS limits z = ln(x/M)/S and M·exp(∓1.645·S) avoid it.
    """
    idx = np.flatnonzero(np.abs(lam) < _SMALL_L)
    if idx.size:
        ratio = ln_ratio[idx] if x is not None else None
        _small_l_at(idx, tb, d[idx], lam[idx], ln_m[idx], ratio, out)


def _small_l_at(
    idx: NDArray[np.intp],
    tb: _ParamTable,
    d: Demographics,
    lm: Floats,
    ln_m: Floats,
    ln_ratio: Floats | None,
    out: Results,
) -> None:
    """The small-|L| forms for the records ``idx`` (``d``, ``lm``, ``ln_m``,
    ``ln_ratio`` hold those records' demographics, L, ln M and ln(x/M); ``ln_ratio`` is
    None when nothing was measured)."""
    ln_s = _spline_of(tb.s_val, tb.s_del, d)
    _add_term(ln_s, tb.p1, d.lnage, d.f_lnage, np.empty(idx.size))
    sd = np.exp(ln_s)
    u = Z_LIMIT * lm * sd
    zero = lm == 0.0
    lm_safe = np.where(zero, 1.0, lm)
    low = np.where(zero, -Z_LIMIT * sd, np.log1p(-u) / lm_safe)
    high = np.where(zero, Z_LIMIT * sd, np.log1p(u) / lm_safe)
    out.lln[idx] = np.exp(ln_m + low)
    out.uln[idx] = np.exp(ln_m + high)
    if ln_ratio is not None:
        out.z[idx] = np.where(zero, ln_ratio / sd, np.expm1(ln_ratio * lm) / (lm_safe * sd))


def _compute_c(table: _ParamTable, d: Demographics, x: Floats | None, out: Results) -> None:
    """The same kernel in one vectorised C pass (``_lms.c``), then the small-|L|
    records with the NumPy forms above."""
    assert _lms is not None
    a1, a2, p1, q1 = table.a1, table.a2, table.p1, table.q1
    _lms.kernel(
        d.k,
        d.w,
        d.lnh,
        d.lnage,
        d.f_lnh,
        d.f_lnage,
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
        out.pred,
        out.lln,
        out.uln,
        out.z,
        out.pct,
    )
    if not table.l_near_zero:
        return
    cand = np.flatnonzero(table.l_risky[d.k])
    if not cand.size:
        return
    dc = d[cand]
    lam = _spline_of(table.l_val, table.l_del, dc)
    _add_term(lam, q1, dc.lnage, dc.f_lnage, np.empty(cand.size))
    small = np.abs(lam) < _SMALL_L
    idx = cand[small]
    if not idx.size:
        return
    di = d[idx]
    ln_m = _spline_of(table.m_val, table.m_del, di)
    tmp = np.empty(idx.size)
    _add_term(ln_m, a1, di.lnh, di.f_lnh, tmp)
    _add_term(ln_m, a2, di.lnage, di.f_lnage, tmp)
    ln_ratio = None if x is None else np.log(x[idx]) - ln_m
    _small_l_at(idx, table, di, lam[small], ln_m, ln_ratio, out)
