"""The reference scenarios' qualitative behaviour (spec §7) and the scenario API: MSC
doses against the same patient untreated, the non-MSC comparisons, exposure, the
allergen challenge and the phenotypes."""

from __future__ import annotations

import numpy as np
import pytest

from respira.science import model

DAYS = np.arange(0.0, 366.0, 1.0)


@pytest.fixture(scope="module")
def untreated() -> model.Trajectory:
    return model.run(model.parameters(), model.Scenario(), days=365, output_days=DAYS)


def _dosed(amount: float, route: str = "iv") -> model.Trajectory:
    scenario = model.Scenario(doses=(model.Dose(0.0, amount, route),))
    return model.run(model.parameters(), scenario, days=365, output_days=DAYS)


def _change(treated: model.Trajectory, untreated: model.Trajectory, state: str) -> np.ndarray:
    return treated.state(state) / untreated.state(state) - 1.0


@pytest.mark.parametrize("amount", [1.0, 2.0])
def test_a_dose_lowers_airway_eosinophils_within_weeks_and_raises_tregs(amount, untreated):
    treated = _dosed(amount)
    airway = _change(treated, untreated, "Ea")
    assert -0.8 < airway.min() < -0.5 and 14 <= airway.argmin() <= 28 + 7
    assert _change(treated, untreated, "R").max() > 0.3


@pytest.mark.parametrize("amount", [1.0, 2.0, 10.0, 40.0])
def test_ige_falls_later_than_the_cells(amount, untreated):
    treated = _dosed(amount)
    ige_low = _change(treated, untreated, "E").argmin()
    for cells in ("Ea", "T2"):
        assert ige_low >= _change(treated, untreated, cells).argmin() + 7, cells


def test_blood_eosinophils_rise_transiently_after_a_dose(untreated):
    """Recruitment into the airway is blocked first, so blood eosinophils pile up."""
    treated = _dosed(2.0)
    blood = treated.observables["blood_eos_per_ul"] / untreated.observables["blood_eos_per_ul"]
    assert blood[1:5].max() > 1.05
    assert blood[28] < 1.0  # and then fall with the Th2 drive


IMMUNE = ("feno_ppb", "blood_eos_per_ul", "ige_iu_ml", "sputum_eos_pct")
REMODELLING = ("asm_mass_rel", "airway_resistance_rel", "fev1_pct_pred")


@pytest.mark.parametrize("amount", [1.0, 2.0])
def test_effects_wash_out_within_six_months(amount, untreated):
    """The inflammation is back to the untreated level within six months. The smooth
    muscle (turnover l_a = 0.005/d) recovers more slowly: its effect peaks after about
    four months and is still a few per cent at one year (spec §7 says "every effect";
    in the nominal model this holds for the inflammation, not for remodelling)."""
    treated = _dosed(amount)

    def change(name: str, days: slice) -> float:
        ratio = treated.observables[name][days] / untreated.observables[name][days]
        return float(np.abs(ratio - 1).max())

    for name in IMMUNE:
        assert change(name, slice(182, None)) < min(0.05, change(name, slice(0, 90)) / 2), name
        assert change(name, slice(300, None)) < 0.005, name
    for name in REMODELLING:
        assert change(name, slice(330, None)) < change(name, slice(0, 182)) / 2, name


def test_an_inhaled_dose_acts_as_a_larger_iv_dose():
    """Inhaled: f_trap = 1 instead of 0.8 (spec §4)."""
    inhaled, iv, iv_equivalent = _dosed(1.0, "inhaled"), _dosed(1.0), _dosed(1.25)
    np.testing.assert_allclose(inhaled.states, iv_equivalent.states, rtol=1e-7)
    assert inhaled.state("Ea")[20] < iv.state("Ea")[20]


def test_repeated_doses_on_any_days_add_up(untreated):
    scenario = model.Scenario(doses=tuple(model.Dose(day, 1.0) for day in (0, 90, 180, 270)))
    course = model.run(model.parameters(), scenario, days=365, output_days=DAYS)
    once = _dosed(1.0)
    assert course.state("Ea")[300] < 0.8 * untreated.state("Ea")[300]
    assert once.state("Ea")[300] > 0.95 * untreated.state("Ea")[300]


def test_an_anti_il5_like_change_lowers_blood_eosinophils(untreated):
    treated = model.run(
        model.parameters(), model.Scenario(comparison="anti-il5"), days=365, output_days=DAYS
    )
    blood = treated.observables["blood_eos_per_ul"] / untreated.observables["blood_eos_per_ul"]
    assert blood[0] == pytest.approx(1.0) and blood[28] < 0.5 and blood[-1] < 0.5


def test_an_anti_ige_like_change_empties_the_mast_cell_receptors(untreated):
    treated = model.run(
        model.parameters(), model.Scenario(comparison="anti-ige"), days=365, output_days=DAYS
    )
    assert treated.state("F")[90] < 0.5 * untreated.state("F")[90]
    assert treated.observables["fev1_pct_pred"][-1] > untreated.observables["fev1_pct_pred"][-1]


def test_exposure_none_clears_the_allergen_and_seasonal_follows_the_year():
    params = model.parameters()
    gone = model.run(params, model.Scenario(exposure="none"), days=60, output_days=[0, 60])
    assert gone.state("A")[-1] < 1e-12
    seasonal = model.run(
        params, model.Scenario(exposure="seasonal"), days=365, output_days=[91.25, 273.75]
    )
    spring, autumn = seasonal.state("A")
    assert spring > 0.25 > autumn  # u0·(1 ± u_seas)/k_A around 0.25


def test_an_allergen_challenge_is_a_bolus_into_the_airway_on_its_day():
    params = model.parameters()
    scenario = model.Scenario(challenge_day=10.0, challenge_amount=2.0)
    run = model.run(params, scenario, days=30, output_days=[9.99, 10, 11, 30])
    before, at, after, _ = run.state("A")
    assert at == pytest.approx(before + 2.0, rel=1e-6)
    assert before < after < at
    calm = model.run(params, model.Scenario(), days=30, output_days=[12])
    challenged = model.run(params, scenario, days=30, output_days=[12])
    assert challenged.state("W")[0] > calm.state("W")[0]


def test_phenotypes_order_the_chronic_disease():
    values = {
        name: model.run(model.parameters(name), model.Scenario(), days=1, output_days=[0])
        for name in model.PHENOTYPES
    }
    for observable in ("feno_ppb", "blood_eos_per_ul", "ige_iu_ml", "sputum_eos_pct"):
        h, t, s = (values[name].observables[observable][0] for name in values)
        assert h < t < s, observable
    assert values["healthy"].observables["fev1_pct_pred"][0] > 95
    assert values["severe"].observables["fev1_pct_pred"][0] < 70


def test_a_trajectory_carries_the_label_units_and_scenario():
    run = model.run(
        model.parameters(),
        model.Scenario(doses=(model.Dose(1, 2.0),)),
        days=10,
        output_days=[10, 0, 5, 5],
    )
    assert list(run.days) == [0, 5, 10]
    assert run.label == model.HEURISTIC_LABEL == run.metadata["label"]
    assert run.metadata["units"]["blood_eos_per_ul"] == "cells/µL"
    assert run.metadata["doses"] == [(1, 2.0, "iv")]


def test_chronic_state_is_a_ten_year_perennial_run_from_the_default_state():
    params = model.parameters("severe")
    direct = model.run(
        params,
        model.Scenario(),
        days=3650,
        output_days=[3650],
        y0=model.DEFAULT_INITIAL,
    )
    np.testing.assert_allclose(model.chronic_state(params), direct.states[0], rtol=1e-12)
    one = model.chronic_state(params, years=1)
    assert not np.allclose(one, direct.states[0], rtol=1e-3)


def test_run_refuses_bad_initial_states_and_solvers():
    params = model.parameters()
    with pytest.raises(ValueError, match="shape"):
        model.run(params, model.Scenario(), days=1, output_days=[1], y0=[1.0, 2.0])
    with pytest.raises(ValueError, match="'Euler'"):
        model.run(params, model.Scenario(), days=1, output_days=[1], method="Euler")
    with pytest.raises(ValueError, match="more than 0 days"):
        model.run(params, model.Scenario(), days=0, output_days=[0])
