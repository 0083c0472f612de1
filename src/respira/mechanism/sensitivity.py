"""Global sensitivity analysis: ``respira model sensitivity``.

Which assumptions drive a result? One observable at one day is computed for parameter
sets spread over the plausible ranges of spec §2 ([low, high] of each analysed
parameter; the others stay at the phenotype's nominal values), and SALib apportions its
variance:

- **Sobol** (Saltelli's scheme, ``SALib.sample.sobol`` + ``SALib.analyze.sobol``, first
  and total order): ``samples`` × (k + 2) runs for k parameters. S1 is the share of the
  variance a parameter explains alone, ST with all its interactions; the confidence is
  the half-width of the 95 % bootstrap interval.
- **Morris** elementary effects (``SALib.sample.morris`` + ``SALib.analyze.morris``):
  ``samples`` trajectories × (k + 1) runs; μ* ranks the parameters, σ shows
  non-linearity or interactions. Cheaper; a screening.

The runs go through the cohort engines in blocks, so Numba makes an all-76 Sobol
analysis a matter of seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from respira.mechanism.cohorts import start_states
from respira.mechanism.runs import check_run, scenario_of
from respira.mechanism.schemas import ModelInputError, Problem
from respira.science import model

METHODS = ("sobol", "morris")
DEFAULT_SAMPLES = {"sobol": 256, "morris": 32}
MORRIS_LEVELS = 4
BLOCK = 10_000

SALIB_MISSING = (
    "SALib is not installed here; install it with: pip install 'salib>=1.5' "
    "(or the model extras: pip install 'respira[model]')"
)


@dataclass(frozen=True)
class SensitivitySpec:
    observable: str
    day: float
    method: str = "sobol"
    samples: int | None = None
    parameters: tuple[str, ...] = ()  # empty: all 76
    doses: tuple[tuple[float, float], ...] = ()
    route: str = "iv"
    phenotype: str = "t2-high"
    exposure: str = "perennial"
    comparison: str | None = None
    backend: str = "numba"
    step_days: float = 0.25
    start: str = "default"
    seed: int = 0

    @property
    def names(self) -> tuple[str, ...]:
        return self.parameters or tuple(model.PARAMETERS)

    @property
    def n(self) -> int:
        return self.samples or DEFAULT_SAMPLES[self.method]


@dataclass(frozen=True)
class Ranked:
    """One parameter's indices (Sobol: S1, S1_conf, ST, ST_conf; Morris: mu_star,
    mu_star_conf, sigma, mu), ranked by ST or mu_star."""

    parameter: str
    low: float
    high: float
    indices: dict[str, float]


@dataclass(frozen=True)
class SensitivityResult:
    spec: SensitivitySpec
    runs: int
    mean: float
    sd: float
    rows: tuple[Ranked, ...]
    columns: tuple[str, ...]
    label: str = model.HEURISTIC_LABEL
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        return {
            "observable": self.spec.observable,
            "unit": model.OBSERVABLES[self.spec.observable].unit,
            "day": self.spec.day,
            "method": self.spec.method,
            "samples": self.spec.n,
            "runs": self.runs,
            "mean": self.mean,
            "sd": self.sd,
            "parameters": [
                {"parameter": r.parameter, "low": r.low, "high": r.high, **r.indices}
                for r in self.rows
            ],
            "label": self.label,
        }


def check_spec(spec: SensitivitySpec) -> None:
    problems: dict[str, Problem] = {}
    if spec.observable not in model.OBSERVABLES:
        problems["--observable"] = Problem(
            "unknown observable %(name)s (one of %(names)s)",
            {"name": spec.observable, "names": ", ".join(model.OBSERVABLES)},
        )
    unknown = [p for p in spec.parameters if p not in model.PARAMETERS]
    if unknown:
        problems["--parameters"] = Problem(
            "unknown parameter %(name)s: not one of the model's 76", {"name": ", ".join(unknown)}
        )
    if len(spec.names) < 2:
        problems["--parameters"] = Problem("name at least two parameters (or all)")
    if spec.samples is not None and spec.samples < 2:
        problems["--samples"] = Problem("give at least 2 samples")
    if problems:
        raise ModelInputError(problems)
    check_run(days=spec.day, doses=spec.doses, output_days=(spec.day,))


def _problem(names: Sequence[str]) -> dict[str, Any]:
    return {
        "num_vars": len(names),
        "names": list(names),
        "bounds": [[model.PARAMETERS[n].low, model.PARAMETERS[n].high] for n in names],
    }


def _outputs(
    spec: SensitivitySpec, matrix: np.ndarray, progress: Callable[[int, int], None] | None
) -> np.ndarray:
    scenario = scenario_of(
        exposure=spec.exposure, doses=spec.doses, route=spec.route, comparison=spec.comparison
    )
    out = np.empty(len(matrix))
    for first in range(0, len(matrix), BLOCK):
        params = matrix[first : first + BLOCK]
        states = model.simulate_cohort(
            params, scenario, days=spec.day, output_days=(spec.day,), backend=spec.backend,
            method="rk4", step_days=spec.step_days, y0=start_states(spec.start),
        )  # fmt: skip
        values = model.observables(np.asarray(states), params)[spec.observable]
        out[first : first + len(params)] = np.asarray(values)[:, 0]
        if progress is not None:
            progress(first + len(params), len(matrix))
    return out


def analyse(
    spec: SensitivitySpec, *, progress: Callable[[int, int], None] | None = None
) -> SensitivityResult:
    """Sample, simulate, analyse; the parameters ranked, most influential first."""
    check_spec(spec)
    try:
        from SALib.analyze import morris as morris_analyze
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample
    except ImportError:
        raise model.BackendUnavailable(SALIB_MISSING) from None
    names = spec.names
    problem = _problem(names)
    if spec.method == "sobol":
        x = sobol_sample.sample(problem, spec.n, calc_second_order=False, seed=spec.seed)
    else:
        x = morris_sample.sample(problem, spec.n, num_levels=MORRIS_LEVELS, seed=spec.seed)
    base = np.array(list(model.parameters(spec.phenotype).values()))
    matrix = np.tile(base, (len(x), 1))
    matrix[:, [list(model.PARAMETERS).index(n) for n in names]] = x
    y = _outputs(spec, matrix, progress)
    bad = int(np.count_nonzero(~np.isfinite(y)))
    if bad:
        raise ArithmeticError(
            f"{bad} of {len(y)} runs gave no finite {spec.observable}; try a smaller "
            "--step-days or fewer parameters"
        )
    if spec.method == "sobol":
        found = sobol_analyze.analyze(
            problem, y, calc_second_order=False, print_to_console=False, seed=spec.seed
        )
        columns = ("ST", "ST_conf", "S1", "S1_conf")
    else:
        found = morris_analyze.analyze(
            problem, x, y, num_levels=MORRIS_LEVELS, print_to_console=False, seed=spec.seed
        )
        columns = ("mu_star", "mu_star_conf", "sigma", "mu")
    rows = [
        Ranked(
            parameter=name,
            low=model.PARAMETERS[name].low,
            high=model.PARAMETERS[name].high,
            indices={c: float(np.asarray(found[c])[i]) for c in columns},
        )
        for i, name in enumerate(names)
    ]
    rows.sort(key=lambda r: -np.nan_to_num(r.indices[columns[0]], nan=-np.inf))
    return SensitivityResult(
        spec=spec,
        runs=len(y),
        mean=float(np.mean(y)),
        sd=float(np.std(y)),
        rows=tuple(rows),
        columns=columns,
    )
