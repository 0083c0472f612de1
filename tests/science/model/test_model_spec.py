"""The specification's tables (spec §1, §2, §6, §7) and the parameter API."""

from __future__ import annotations

import numpy as np
import pytest

from respira.science import model


def test_the_76_parameters_are_the_specs_in_its_order_with_nominal_inside_the_range():
    names = list(model.PARAMETERS)
    assert len(names) == 76 == len(set(names))
    assert names[:4] == ["u0", "u_seas", "k_A", "K_A"]
    assert names[-6:] == ["th_D", "th_T", "th_I", "th_P", "th_E", "th_H"]
    for p in model.PARAMETERS.values():
        assert p.low <= p.nominal <= p.high, p.name
        assert p.meaning
    assert model.PARAMETERS["k_E"].nominal == 0.29  # t1/2 2.4 d, Hayashi 2007
    assert (model.PARAMETERS["Q50"].low, model.PARAMETERS["Q50"].high) == (0.1, 2.0)


def test_states_and_default_initial_state_follow_spec_section_1():
    assert model.STATES == (
        "A", "D", "T2", "R", "I", "P", "E", "F", "Eb", "Ea", "m", "W", "Sp", "Sc",
    )  # fmt: skip
    expected = {"R": 1.0, "Eb": 0.5, "m": 0.3, "Sc": 1.0}
    for name, value in zip(model.STATES, model.DEFAULT_INITIAL, strict=True):
        assert value == expected.get(name, 0.0)
    with pytest.raises(ValueError):
        model.DEFAULT_INITIAL[0] = 1.0  # read-only: nobody changes everyone's start


def test_phenotypes_differ_only_in_the_th2_priming_susceptibility():
    assert {k: v["s_T"] for k, v in model.PHENOTYPES.items()} == {
        "healthy": 0.05,
        "t2-high": 0.5,
        "severe": 1.2,
    }
    healthy, severe = model.parameters("healthy"), model.parameters("severe")
    assert {k for k in healthy if healthy[k] != severe[k]} == {"s_T"}


def test_parameters_applies_overrides_and_refuses_unknown_names_naming_them():
    assert model.parameters("severe", k_E=0.3)["k_E"] == 0.3
    with pytest.raises(model.UnknownParameter, match="'k_X'") as caught:
        model.parameters(k_X=1.0)
    assert isinstance(caught.value, ValueError) and caught.value.name == "k_X"
    with pytest.raises(ValueError, match="'mild'"):
        model.parameters("mild")
    with pytest.raises(ValueError, match="'u0'"):
        model.parameters(u0=-1.0)


def test_every_observable_carries_the_heuristic_label_and_a_unit():
    assert set(model.OBSERVABLES) == {
        "feno_ppb", "blood_eos_per_ul", "ige_iu_ml", "sputum_eos_pct", "asm_mass_rel",
        "airway_resistance_rel", "fev1_pct_pred",
    }  # fmt: skip
    for observable in model.OBSERVABLES.values():
        assert observable.label == model.HEURISTIC_LABEL and observable.unit
    assert (
        "heuristic" in model.HEURISTIC_LABEL
        and "no output is a prediction" in model.HEURISTIC_LABEL
    )


def test_cohort_draws_are_exp_0_25_z_around_the_phenotype_clipped_to_the_range():
    matrix = model.sample_cohort(20000, seed=7, phenotype="severe")
    assert matrix.shape == (20000, 76)
    low = np.array([p.low for p in model.PARAMETERS.values()])
    high = np.array([p.high for p in model.PARAMETERS.values()])
    assert np.all((matrix >= low) & (matrix <= high))
    k_on = list(model.PARAMETERS).index("k_on")  # 0.05 in [0.01, 0.2]: rarely clipped
    log_ratio = np.log(matrix[:, k_on] / 0.05)
    assert abs(log_ratio.mean()) < 0.01 and abs(log_ratio.std() - 0.25) < 0.01
    s_t = list(model.PARAMETERS).index("s_T")
    assert abs(np.median(matrix[:, s_t]) - 1.2) < 0.02  # the severe phenotype's s_T
    np.testing.assert_array_equal(matrix[:5], model.sample_cohort(5, seed=7, phenotype="severe"))
    assert not np.array_equal(matrix[:5], model.sample_cohort(5, seed=8, phenotype="severe"))
