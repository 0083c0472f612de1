"""SBML export: libRoadRunner (CVODE at tight tolerances) simulates the exported model to
the same trajectories as SciPy LSODA, observables included."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from respira.science import model

roadrunner = pytest.importorskip("roadrunner")


def _simulate(sbml: str, days: list[float]) -> np.ndarray:
    runner = roadrunner.RoadRunner(sbml)
    runner.integrator.relative_tolerance = 1e-12
    runner.integrator.absolute_tolerance = 1e-14
    runner.integrator.maximum_num_steps = 200000
    runner.timeCourseSelections = ["time", *model.STATES, *model.OBSERVABLES]
    return np.array(runner.simulate(times=days))


@pytest.mark.parametrize(
    "params",
    [model.parameters(), model.parameters("severe", k_M=0.5, k_Q=0.5)],
    ids=["nominal", "k_Q equal to k_M"],
)
def test_roadrunner_runs_the_exported_model_to_the_same_trajectories(params):
    scenario = model.Scenario(
        exposure="seasonal",
        doses=(model.Dose(3.5, 2.0), model.Dose(30.0, 10.0, "inhaled")),
        challenge_day=12.3,
        comparison="anti-il5",
    )
    days = [0.0, 1.0, 7.0, 14.0, 60.0, 200.0]
    expected = model.run(params, scenario, days=200, output_days=days)
    got = _simulate(model.to_sbml(params, scenario), days)
    np.testing.assert_allclose(got[:, 0], days)
    np.testing.assert_allclose(got[:, 1:15], expected.states, rtol=1e-6)
    for k, name in enumerate(model.OBSERVABLES):
        np.testing.assert_allclose(got[:, 15 + k], expected.observables[name], rtol=1e-6)


def test_the_export_says_it_is_a_hypothesis_and_is_valid_sbml():
    sbml = model.to_sbml(model.parameters(), model.Scenario(), y0=model.DEFAULT_INITIAL)
    assert sbml.startswith("<?xml") and "<sbml" in sbml
    text = model.to_antimony(model.parameters(), model.Scenario())
    assert model.HEURISTIC_LABEL in text
    assert sbml.count("<rateRule ") == 14  # one per state
    assert sbml.count("<parameter ") >= 76 + 14
    runner = roadrunner.RoadRunner(sbml)
    assert set(model.STATES) <= set(runner.model.getGlobalParameterIds())


def test_sbml_export_without_antimony_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "antimony", None)
    with pytest.raises(model.BackendUnavailable, match="pip install antimony"):
        model.to_sbml(model.parameters(), model.Scenario(), y0=model.DEFAULT_INITIAL)
