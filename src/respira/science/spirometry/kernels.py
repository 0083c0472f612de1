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
from typing import Final

import numpy as np
from numpy.typing import NDArray

from respira.science.spirometry.limits import Z_LIMIT
from respira.science.spirometry.tables import _SMALL_L, _ParamTable

__all__ = ["BACKENDS", "backend", "compute", "use_backend"]
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


def compute(
    table: _ParamTable,
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
) -> None:
    """Run the LMS kernel into the preallocated outputs: in C where the CPU allows
    (see ``backend()``), otherwise block by block with NumPy.

    ``k`` is each record's flat table row, ``w`` its weight within the quarter-year,
    ``lnh``/``lnage`` the logarithms of height and age and ``f_lnh``/``f_lnage`` the
    same times "is female" (``None`` when nobody is); ``x`` the measured values or
    ``None``.
    """
    if _BACKEND[0] == "c":
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            _compute_c(table, k, w, lnh, lnage, f_lnh, f_lnage, x, pred, lln, uln, z, pct)
        return
    n = k.shape[0]
    size = min(n, _BLOCK)
    buffers = [np.empty(size) for _ in range(4)]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for start in range(0, n, _BLOCK):
            stop = min(start + _BLOCK, n)
            b = stop - start
            sl = slice(start, stop)
            _kernel(
                table,
                k[sl],
                w[sl],
                lnh[sl],
                lnage[sl],
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
) -> None:
    """The same kernel in one vectorised C pass (``_lms.c``), then the small-|L|
    records with the NumPy forms above."""
    assert _lms is not None
    a1, a2, p1, q1 = table.a1, table.a2, table.p1, table.q1
    _lms.kernel(
        k,
        w,
        lnh,
        lnage,
        f_lnh,
        f_lnage,
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
    _add_term(ln_m, a1, lnh[idx], None if f_lnh is None else f_lnh[idx], tmp)
    _add_term(ln_m, a2, lnage[idx], None if f_lnage is None else f_lnage[idx], tmp)
    ln_ratio = None if x is None else np.log(x[idx]) - ln_m
    _small_l_at(idx, table, k, w, lnage, f_lnage, lam[small], ln_m, ln_ratio, lln, uln, z)
