"""Fixtures for the mechanistic model's tests: random virtual patients and the SciPy
LSODA reference (rtol 1e-9) every engine is held to."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

from respira.science import model


def lsoda(
    matrix: np.ndarray,
    scenario: model.Scenario,
    *,
    days: float,
    output_days: Sequence[float],
    y0: np.ndarray | None = None,
) -> np.ndarray:
    """(n, n_out, 14) from ``model.run`` (LSODA, rtol 1e-9, atol 1e-12) per patient."""
    rows = []
    for k, values in enumerate(matrix):
        params = dict(zip(model.PARAMETERS, values.tolist(), strict=True))
        start = None if y0 is None else y0[k]
        run = model.run(params, scenario, days=days, output_days=output_days, y0=start)
        rows.append(run.states)
    return np.stack(rows)


def relative_error(result: np.ndarray, reference: np.ndarray) -> float:
    return float(np.max(np.abs(result - reference) / np.abs(reference)))


@pytest.fixture(scope="session")
def reference() -> Callable[..., np.ndarray]:
    return lsoda


@pytest.fixture(scope="session")
def draws() -> np.ndarray:
    """Three virtual type-2-high patients (spec §7 cohort draws)."""
    return model.sample_cohort(3, seed=2024)


@pytest.fixture(scope="session")
def chronic(draws: np.ndarray) -> np.ndarray:
    """Their chronic states (LSODA burn-in)."""
    return np.stack(
        [model.chronic_state(dict(zip(model.PARAMETERS, p.tolist(), strict=True))) for p in draws]
    )
