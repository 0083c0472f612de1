"""Outcome statistics benchmark: each function of ``respira.science.outcomes`` on
100,000 patients, and a report's worth of calls.

    .venv/bin/python bench/outcomes_statistics.py [--patients 100000] [--repeat 7]

Synthetic registry arrays (seeded): ACT/ACQ/FEV1/OCS baselines and follow-ups with
about 20 % missing follow-ups, exacerbation counts before and after with gamma frailty
(overdispersed, so the negative binomial model is fitted) and exposures from 0.1 to 1.5
years, time to first exacerbation with censoring. One thread (BLAS pools pinned to 1
before NumPy loads). Each line is the best of ``--repeat`` runs; the "report" line is
one pass of what the outcome report computes for the whole cohort: paired change for
7 measures at 4 windows, 5 responder definitions at 4 windows, the rate ratio and the
Kaplan–Meier curve. Targets (issue 8): each function well under 100 ms at n = 100,000;
the report's statistics under 1 s.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from respira.science.outcomes import (  # noqa: E402
    RESPONDER_DEFINITIONS,
    kaplan_meier,
    paired_change,
    rate_ratio,
    responders,
    wilson,
)

WINDOWS = (1, 3, 6, 12)
MEASURES = ("act", "acq", "rescue", "fev1_l", "feno", "eos", "ocs")


def _registry(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    data: dict[str, np.ndarray] = {}
    data["act"] = rng.integers(5, 26, n).astype(float)
    data["acq"] = np.round(rng.uniform(0, 6, n) * 6) / 6
    data["rescue"] = rng.gamma(2.0, 5.0, n)
    data["fev1_l"] = rng.normal(2.4, 0.6, n)
    data["feno"] = rng.gamma(2.0, 20.0, n)
    data["eos"] = rng.gamma(2.0, 150.0, n)
    ocs = rng.choice([0.0, 5.0, 7.5, 10.0, 20.0], n, p=[0.6, 0.15, 0.1, 0.1, 0.05])
    data["ocs"] = ocs
    for window in WINDOWS:
        missing = rng.uniform(size=n) < 0.2
        for measure, shift, spread in (
            ("act", 2.0, 4.0),
            ("acq", -0.4, 0.8),
            ("rescue", -3.0, 6.0),
            ("fev1_l", 0.08, 0.25),
            ("feno", -5.0, 15.0),
            ("eos", -30.0, 100.0),
        ):
            follow = data[measure] + rng.normal(shift, spread, n)
            follow[missing] = np.nan
            data[f"{measure}_{window}"] = follow
        follow_ocs = ocs * rng.choice([0.0, 0.5, 1.0], n)
        follow_ocs[missing] = np.nan
        data[f"ocs_{window}"] = follow_ocs
    frailty = rng.gamma(1 / 0.7, 0.7, n)
    data["t0"] = np.ones(n)
    data["t1"] = rng.uniform(0.1, 1.5, n)
    data["y0"] = rng.poisson(1.6 * frailty).astype(float)
    data["y1"] = rng.poisson(1.6 * 0.6 * frailty * data["t1"]).astype(float)
    data["rate0"] = data["y0"] / data["t0"]
    data["rate1"] = data["y1"] / data["t1"]
    first = np.ceil(rng.exponential(300.0, n))
    censor = np.ceil(data["t1"] * 365.25)
    data["km_days"] = np.minimum(first, censor)
    data["km_event"] = (first <= censor).astype(float)
    return data


def _best(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def _report(data: dict[str, np.ndarray]) -> None:
    for window in WINDOWS:
        for measure in MEASURES:
            paired_change(data[measure], data[f"{measure}_{window}"])
        responders("act_3", data["act"], data[f"act_{window}"])
        responders("acq_0_5", data["acq"], data[f"acq_{window}"])
        responders("fev1_100ml", data["fev1_l"], data[f"fev1_l_{window}"])
        responders("exacerbations_50pct", data["rate0"], data["rate1"])
        responders("ocs_50pct", data["ocs"], data[f"ocs_{window}"])
    rate_ratio(data["y0"], data["t0"], data["y1"], data["t1"])
    kaplan_meier(data["km_days"], data["km_event"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=8)
    arguments = parser.parse_args()
    n = arguments.patients
    data = _registry(n, arguments.seed)
    print(
        f"outcome statistics, n = {n:,} patients; Python {platform.python_version()}, "
        f"NumPy {np.__version__}, {platform.machine()}; best of {arguments.repeat}"
    )
    x = np.random.default_rng(0).standard_normal(1_000_000)
    print(f"calibration: np.exp on 1M doubles {_best(lambda: np.exp(x), 7) * 1e3:.2f} ms")
    fit = rate_ratio(data["y0"], data["t0"], data["y1"], data["t1"])
    assert fit is not None
    cases: list[tuple[str, Callable[[], object]]] = [
        ("paired_change (ACT, 20 % missing)", lambda: paired_change(data["act"], data["act_12"])),
        (
            "paired_change (FEV1, continuous)",
            lambda: paired_change(data["fev1_l"], data["fev1_l_12"]),
        ),
        ("wilson", lambda: wilson(41_234, n)),
        *(
            (
                f"responders {key}",
                (
                    lambda key=key, measure=definition.measure: responders(
                        key,
                        data[
                            {"exacerbation_rate": "rate0", "ocs_mg_per_day": "ocs"}.get(
                                measure, measure
                            )
                        ],
                        data[
                            {"exacerbation_rate": "rate1", "ocs_mg_per_day": "ocs_12"}.get(
                                measure, f"{measure}_12"
                            )
                        ],
                    )
                ),
            )
            for key, definition in RESPONDER_DEFINITIONS.items()
        ),
        (
            f"rate_ratio ({fit.model}, 2n = {2 * fit.n:,} rows)",
            lambda: rate_ratio(data["y0"], data["t0"], data["y1"], data["t1"]),
        ),
        (
            "kaplan_meier",
            lambda: kaplan_meier(data["km_days"], data["km_event"]),
        ),
    ]
    for label, function in cases:
        print(f"{label:<48} {_best(function, arguments.repeat) * 1e3:9.3f} ms")
    calls = len(WINDOWS) * (len(MEASURES) + len(RESPONDER_DEFINITIONS)) + 2
    total = _best(lambda: _report(data), max(3, arguments.repeat // 2))
    print(f"{'report: ' + str(calls) + ' calls':<48} {total * 1e3:9.3f} ms")


if __name__ == "__main__":
    main()
