"""Every engine against SciPy LSODA at rtol 1e-9 on random virtual patients: within
1e-6 relative in float64, 1e-3 in float32; states stay positive; bad requests are
refused naming the bad value."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import relative_error
from respira.science import model

SEASONAL = model.Scenario(exposure="seasonal")
TREATED = model.Scenario(
    exposure="seasonal",
    doses=(model.Dose(3.5, 2.0), model.Dose(30.0, 10.0, "inhaled"), model.Dose(30.0, 1.0)),
    challenge_day=12.3,
    comparison="anti-ige",
)
OUTPUT_DAYS = [0, 1, 5.5, 12.3, 40, 90, 120]

ENGINES = [
    ("numpy", "float64"),
    ("numpy", "float32"),
    ("numba", "float64"),
    ("jax", "float64"),
    ("jax", "float32"),
]


def _limit(dtype: str) -> float:
    return 1e-6 if dtype == "float64" else 1e-3


@pytest.mark.parametrize(("backend", "dtype"), ENGINES)
def test_rk4_at_a_quarter_day_agrees_with_lsoda_over_a_seasonal_year(
    backend, dtype, draws, chronic, reference
):
    days = [0, 30, 91.25, 182.5, 365]
    expected = reference(draws, SEASONAL, days=365, output_days=days, y0=chronic)
    got = model.simulate_cohort(
        draws, SEASONAL, days=365, output_days=days, backend=backend, dtype=dtype, y0=chronic
    )
    assert got.shape == (3, 5, 14) and got.dtype == np.float64
    assert relative_error(got, expected) < _limit(dtype)


@pytest.mark.parametrize(("backend", "dtype"), ENGINES)
def test_adaptive_method_agrees_with_lsoda_with_doses_challenge_and_comparison(
    backend, dtype, draws, chronic, reference
):
    expected = reference(draws, TREATED, days=120, output_days=OUTPUT_DAYS, y0=chronic)
    got = model.simulate_cohort(
        draws,
        TREATED,
        days=120,
        output_days=OUTPUT_DAYS,
        backend=backend,
        method="adaptive",
        dtype=dtype,
        y0=chronic,
    )
    assert relative_error(got, expected) < _limit(dtype) / 10


def test_rk4_with_doses_and_challenge_agrees_with_lsoda_at_a_short_step(draws, chronic, reference):
    """After an MSC dose the repair term r_W·(1 + rho_WQ·Φ) makes W fast, and the
    challenge's bolus decays at k_A, so RK4 needs a shorter step there than 0.25 d."""
    expected = reference(draws, TREATED, days=120, output_days=OUTPUT_DAYS, y0=chronic)
    got = model.simulate_cohort(
        draws, TREATED, days=120, output_days=OUTPUT_DAYS, step_days=1 / 64, y0=chronic
    )
    assert relative_error(got, expected) < 1e-6


@pytest.mark.parametrize("backend", ["numba", "jax"])
def test_without_y0_each_patient_starts_from_the_ten_year_chronic_state(backend, draws, reference):
    expected = reference(draws, SEASONAL, days=60, output_days=[0, 60])
    got = model.simulate_cohort(draws, SEASONAL, days=60, output_days=[0, 60], backend=backend)
    assert relative_error(got, expected) < 1e-6


def test_numpy_burn_in_with_the_adaptive_method_matches_lsoda(draws, reference):
    expected = reference(draws[:1], model.Scenario(), days=1, output_days=[0])
    got = model.simulate_cohort(
        draws[:1], model.Scenario(), days=1, output_days=[0], backend="numpy", method="adaptive"
    )
    assert relative_error(got, expected) < 1e-6


def test_every_state_stays_positive_in_a_cohort_under_heavy_dosing():
    cohort = model.sample_cohort(300, seed=99, phenotype="severe")
    scenario = model.Scenario(
        exposure="seasonal",
        doses=(model.Dose(0, 40.0), model.Dose(60, 40.0, "inhaled")),
        challenge_day=100,
    )
    start = np.broadcast_to(model.DEFAULT_INITIAL, (300, 14))
    with np.errstate(all="raise"):
        states = model.simulate_cohort(
            cohort, scenario, days=365, output_days=np.arange(0, 366, 5.0), y0=start
        )
    assert np.all(np.isfinite(states)) and np.all(states >= 0)


@pytest.mark.parametrize("backend", ["numpy", "numba", "jax"])
def test_patients_unstable_at_the_fixed_step_are_solved_again_adaptively(backend, reference):
    """k_A·h = 3 > 2.79: RK4 amplifies the challenge's bolus instead of clearing it
    (monotonically: the states stay positive and finite for a while)."""
    matrix = np.array([list(model.parameters().values()), list(model.parameters(k_A=10).values())])
    start = np.stack(
        [model.chronic_state(dict(zip(model.PARAMETERS, p, strict=True))) for p in matrix]
    )
    scenario = model.Scenario(challenge_day=2.0)
    with pytest.warns(RuntimeWarning, match="unstable for 1 patient"):
        got = model.simulate_cohort(
            matrix, scenario, days=30, output_days=[0, 10], step_days=0.3, y0=start,
            backend=backend,
        )  # fmt: skip
    expected = reference(matrix, scenario, days=30, output_days=[0, 10], y0=start)
    assert relative_error(got[1], expected[1]) < 1e-6


@pytest.mark.parametrize(
    ("backend", "method"),
    [("numba", "rk4"), ("numba", "adaptive"), ("numpy", "adaptive"), ("jax", "adaptive")],
)
def test_a_patient_whose_th2_runs_away_is_flagged_and_does_not_stall_the_others(
    backend, method, reference
):
    """The spec's Th2 equation has no saturation: with pi_T·hD/(1 + R/K_R) > d_T the
    clonal expansion outgrows the loss and T2 grows without bound."""
    normal = list(model.parameters().values())
    runaway = list(model.parameters(pi_T=0.3, d_T=0.03).values())
    matrix = np.array([normal, runaway, normal])
    start = np.tile(model.chronic_state(model.parameters()), (3, 1))
    with pytest.warns(RuntimeWarning, match="states of 1 patient\\(s\\) ran away"):
        got = model.simulate_cohort(
            matrix, SEASONAL, days=730, output_days=[0, 365, 730], y0=start,
            backend=backend, method=method,
        )  # fmt: skip
    assert list(model.out_of_range(got)) == [False, True, False]
    expected = reference(matrix[:1], SEASONAL, days=730, output_days=[0, 365, 730], y0=start)
    assert relative_error(got[::2], np.concatenate([expected, expected])) < 1e-6


def test_a_jax_batch_is_padded_and_cut_back_to_the_patients_asked_for(draws, chronic):
    one = model.simulate_cohort(
        draws[:1], SEASONAL, days=10, output_days=[10], backend="jax", y0=chronic[:1]
    )
    three = model.simulate_cohort(
        draws, SEASONAL, days=10, output_days=[10], backend="jax", y0=chronic
    )
    assert one.shape == (1, 1, 14) and three.shape == (3, 1, 14)
    np.testing.assert_allclose(one[0], three[0], rtol=1e-12)


def test_an_empty_cohort_gives_an_empty_result():
    got = model.simulate_cohort(np.empty((0, 76)), SEASONAL, days=5, output_days=[0, 5])
    assert got.shape == (0, 2, 14)


@pytest.mark.parametrize(
    ("kwargs", "error", "named"),
    [
        ({"backend": "torch"}, ValueError, "'torch'"),
        ({"method": "euler"}, ValueError, "'euler'"),
        ({"dtype": "float16"}, ValueError, "'float16'"),
        ({"device": "tpu"}, ValueError, "'tpu'"),
        ({"output_days": [0, 31]}, ValueError, "output day 31"),
        ({"backend": "numba", "device": "gpu"}, ValueError, "gpu"),
        ({"backend": "numba", "dtype": "float32"}, ValueError, "float32"),
        ({"backend": "jax", "device": "gpu"}, model.BackendUnavailable, "jax\\[cuda12\\]"),
    ],
)
def test_bad_cohort_requests_are_refused_naming_the_value(kwargs, error, named, draws, chronic):
    request = {"days": 30, "output_days": [0, 30], "y0": chronic, **kwargs}
    with pytest.raises(error, match=named):
        model.simulate_cohort(draws, SEASONAL, **request)


def test_doses_and_days_outside_the_run_are_refused_naming_them(draws):
    with pytest.raises(ValueError, match="-2"):
        model.Dose(day=1, amount=-2)
    with pytest.raises(ValueError, match="dose day 40"):
        model.simulate_cohort(
            draws, model.Scenario(doses=(model.Dose(40, 1),)), days=30, output_days=[30]
        )
    with pytest.raises(ValueError, match="challenge day 31"):
        model.run(model.parameters(), model.Scenario(challenge_day=31), days=30, output_days=[1])
    with pytest.raises(ValueError, match="'oral'"):
        model.Dose(day=1, amount=1, route="oral")
    with pytest.raises(ValueError, match="shape"):
        model.simulate_cohort(draws[:, :70], SEASONAL, days=5, output_days=[5])


def test_a_second_process_loads_the_compiled_numba_kernels_from_disk(draws, chronic):
    model.simulate_cohort(draws, SEASONAL, days=2, output_days=[2], y0=chronic)  # compiled
    script = (
        "import json, numpy as np\n"
        "from respira.science import model\n"
        "from respira.science.model import engine_numba\n"
        "k = engine_numba.kernels()\n"
        "P = model.sample_cohort(2, seed=1)\n"
        "model.simulate_cohort(P, model.Scenario(), days=2, output_days=[2],"
        " y0=np.tile(model.DEFAULT_INITIAL, (2, 1)))\n"
        "print(json.dumps({'hits': sum(k.rk4.stats.cache_hits.values()),"
        " 'misses': sum(k.rk4.stats.cache_misses.values())}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=os.environ, check=True
    )
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    assert stats == {"hits": 1, "misses": 0}
