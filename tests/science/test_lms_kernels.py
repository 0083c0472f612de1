"""The two kernels of the reference equations — vectorised C (AVX2, glibc's libmvec)
and NumPy — give the same numbers, and the C kernel is there wherever it can be."""

from __future__ import annotations

import platform
import sys

import numpy as np
import pytest

from respira.science.spirometry import (
    ETHNICITIES,
    kernels,
    parameters_for,
    prepare_reference,
    tables,
)


@pytest.mark.skipif(
    not (sys.platform.startswith("linux") and platform.machine() == "x86_64"),
    reason="the C kernel is built on x86-64 Linux only",
)
def test_the_vectorised_kernel_is_built_and_used_on_x86_64_linux_with_avx2() -> None:
    assert kernels._lms is not None, "the C extension was not built (see setup.py)"
    if kernels._cpu_has_avx2_fma():
        assert kernels.backend() == "c"


@pytest.mark.skipif(kernels._lms is None, reason="no C kernel on this platform")
@pytest.mark.parametrize("equations", ["gli-2012", "gli-global"])
def test_c_and_numpy_kernels_agree_on_200k_random_records(equations: str) -> None:
    rng = np.random.default_rng(7)
    n = 200_003  # not a multiple of four: the tail goes through the padded group
    sex = rng.choice(["M", "F"], n)
    eth = rng.choice(list(ETHNICITIES), n)
    age = rng.uniform(3, 95, n)
    height = rng.uniform(90, 200, n)
    prep = prepare_reference(equations, sex=sex, age=age, height_cm=height, ethnicity=eth)
    for parameter in parameters_for(equations):
        with kernels.use_backend("numpy"):
            base = prep.values(parameter)
            measured = base.pred * rng.uniform(0.4, 1.4, n)
            expected = prep.values(parameter, measured)
        with kernels.use_backend("c"):
            got = prep.values(parameter, measured)
        for field in ("pred", "lln", "uln", "pctpred"):
            e, g = getattr(expected, field), getattr(got, field)
            ok = np.isfinite(e)
            np.testing.assert_array_equal(np.isfinite(g), ok, err_msg=f"{parameter} {field}")
            # 1e-12: where L is small (FEF75) (1 ± 1.645·L·S)^(1/L) magnifies the last-bit
            # differences of exp/log by 1/L; everywhere else they agree to ~1e-15.
            np.testing.assert_allclose(g[ok], e[ok], rtol=1e-12, atol=0, err_msg=parameter)
        ok = np.isfinite(expected.z)
        np.testing.assert_allclose(got.z[ok], expected.z[ok], rtol=0, atol=1e-12)
        np.testing.assert_array_equal(got.reason_code, expected.reason_code)


def test_an_unavailable_or_unknown_kernel_is_refused() -> None:
    with pytest.raises(ValueError), kernels.use_backend("fortran"):
        pass


@pytest.mark.parametrize("equations", ["gli-2012", "gli-global"])
def test_every_record_with_l_near_zero_lies_in_a_row_marked_risky(equations: str) -> None:
    """The C path looks for |L| < 1e-3 (where the limits need log1p/expm1) only in the
    quarter-years marked risky; every such record, on a fine age grid, must be in one."""
    found = 0
    for parameter in parameters_for(equations):
        table = tables._table(tables._equation_set(equations), parameter)
        low, high = tables.age_range(equations, parameter)
        ages = np.arange(low, high, 0.0005)
        for sex in ("M", "F"):
            prep = prepare_reference(
                equations, sex=sex, age=ages, height_cm=150.0, ethnicity="caucasian"
            )
            d = prep._demographics
            k, w, lnage, f_lnage = d.k, d.w, d.lnage, d.f_lnage
            lam = table.l_val[k] + table.l_del[k] * w
            kernels._add_term(lam, table.q1, lnage, f_lnage, np.empty(lam.size))
            near_zero = np.abs(lam) < tables._SMALL_L
            assert table.l_risky[k[near_zero]].all(), (equations, parameter, sex)
            found += int(near_zero.sum())
    # GLI-2012's female FEF75 has L through zero in adolescence; GLI Global has none.
    assert (found > 0) == (equations == "gli-2012")
