"""The mechanistic model of the allergic cascade and of how MSCs are thought to act
(``reference/mechanistic_model.md``): an uncalibrated hypothesis, never a prediction for
a person — every result carries :data:`HEURISTIC_LABEL`.

- :mod:`~respira.science.model.spec`: states, the 76 parameters, phenotypes, observables.
- :mod:`~respira.science.model.definition`: the equations, written once; every engine
  runs code generated from them.
- :mod:`~respira.science.model.scenario`: exposure, doses, challenge, comparisons,
  cohorts, the schedule every engine follows.
- :mod:`~respira.science.model.single`: one patient with SciPy (``run``,
  ``chronic_state``, ``observables``).
- :mod:`~respira.science.model.cohort`: many patients with NumPy, Numba or JAX.
- :mod:`~respira.science.model.sbml`: Antimony and SBML export.
"""

from respira.science.model.cohort import (
    BACKENDS,
    METHODS,
    STATE_CEILING,
    UnknownBackend,
    out_of_range,
    simulate_cohort,
)
from respira.science.model.sbml import to_antimony, to_sbml
from respira.science.model.scenario import (
    COMPARISON_MEANINGS,
    COMPARISONS,
    EXPOSURES,
    ROUTES,
    Dose,
    Scenario,
    ScenarioError,
    parameters,
    sample_cohort,
)
from respira.science.model.single import Trajectory, chronic_state, observables, run
from respira.science.model.spec import (
    DEFAULT_INITIAL,
    HEURISTIC_LABEL,
    OBSERVABLES,
    PARAMETERS,
    PHENOTYPES,
    STATE_MEANINGS,
    STATES,
    BackendUnavailable,
    Observable,
    Parameter,
    UnknownParameter,
)

__all__ = [
    "BACKENDS",
    "COMPARISONS",
    "COMPARISON_MEANINGS",
    "DEFAULT_INITIAL",
    "EXPOSURES",
    "HEURISTIC_LABEL",
    "METHODS",
    "OBSERVABLES",
    "PARAMETERS",
    "PHENOTYPES",
    "ROUTES",
    "STATES",
    "STATE_CEILING",
    "STATE_MEANINGS",
    "BackendUnavailable",
    "Dose",
    "Observable",
    "Parameter",
    "Scenario",
    "ScenarioError",
    "Trajectory",
    "UnknownBackend",
    "UnknownParameter",
    "chronic_state",
    "observables",
    "out_of_range",
    "parameters",
    "run",
    "sample_cohort",
    "simulate_cohort",
    "to_antimony",
    "to_sbml",
]
