"""The generated equations against the specification written out by hand (spec §3-§6),
and the rule that every engine runs the one definition."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from pathlib import Path

import numpy as np
import pytest

from respira.science import model
from respira.science.model import definition, engine_numba, namespaces


def h(x, k):
    return x / (k + x)


def spec_rates(y, p, t, q):
    """Spec §3 and §5 typed in from the document, independently of ``definition``."""
    A, D, T2, R, I, P, E, F, Eb, Ea, m, W, Sp, Sc = y  # noqa: E741 - the spec's names
    g = p.get
    u = g("u0") * (1 + g("u_seas") * math.sin(2 * math.pi * t / 365))
    il10 = g("c_R10") * R + g("c_m10") * m
    s10 = 1 / (1 + g("r_10") * il10)
    il4 = (g("a_T4") * T2 + g("a_I4") * I) * s10
    il5 = (g("b_T5") * T2 + g("b_I5") * I) * s10
    h4, h5 = h(il4, g("K_4")), h(il5, g("K_5"))
    phi = h(q, g("Q50")) * (1 + g("lic") * h4)
    mediators = g("h_max") * F * h(A, g("K_H")) / (1 + g("th_H") * phi)
    alarmins = W + h(A, g("K_A"))
    mu = Ea + mediators + il4
    hmu = mu**2 / (g("mu50") ** 2 + mu**2)
    hd = h(D, g("K_D"))
    j = g("k_mig") * Eb * (1 + g("a_13") * h4) / (1 + g("th_E") * phi)
    lcp = g("l_cp0") + g("l_cp1") * hmu
    return [
        u - g("k_A") * A,
        g("k_D") * h(A, g("K_A")) * (1 + g("a_DW") * alarmins) / (1 + g("th_D") * phi)
        - g("d_D") * D,
        (g("s_T") * D * (g("e_T") + h4) + g("pi_T") * hd * T2)
        / (1 + R / g("K_R") + g("th_T") * phi)
        - g("d_T") * T2,
        g("s_R") * (1 + g("eta_Q") * phi + g("eta_m") * m) + g("pi_R") * hd * R - g("d_R") * R,
        g("s_I") * (1 + g("a_I") * alarmins) / (1 + g("th_I") * phi + 0.5 * R) - g("d_I") * I,
        g("k_P") * hd * h(T2, g("K_T")) * h4 / (1 + g("th_P") * phi) + g("s_P") - g("d_P") * P,
        g("p_E") * P - g("k_E") * E,
        g("k_on") * E * (1 - F) - g("k_off") * F,
        g("s_E") * (1 + g("a_5") * h5) - j - g("d_Eb") * Eb,
        j - g("d_Ea") * Ea / (1 + g("a_s") * h5),
        g("k_m1") * (g("b_m") + g("eta_mQ") * phi) * (1 - m) - g("k_m2") * (1 + g("a_mW") * W) * m,
        g("k_W") * (mediators + g("b_EW") * Ea + g("b_AW") * h(A, g("K_A")))
        - g("r_W") * (1 + g("rho_WQ") * phi + g("rho_Wm") * m) * W,
        g("l_p1") * hmu * Sp * (1 - (Sp + Sc) / g("S_max"))
        - g("l_pc") * Sp
        + lcp * Sc
        - g("l_a") * Sp,
        g("l_pc") * Sp - lcp * Sc - g("l_a") * Sc + g("l_a"),
    ]


def spec_q(tau, dose, f_trap, k_m, k_q):
    """Spec §4 in 40-digit decimal arithmetic (no cancellation near k_Q = k_M)."""
    if tau <= 0:
        return 0.0
    with localcontext() as ctx:
        ctx.prec = 40
        tau, dose, f, km, kq = (Decimal(x) for x in (tau, dose, f_trap, k_m, k_q))
        if kq == km:
            return float(f * dose * km * tau * (-km * tau).exp())
        return float(f * dose * km / (kq - km) * ((-km * tau).exp() - (-kq * tau).exp()))


def test_generated_right_hand_side_matches_the_specification_written_out():
    fn = namespaces.scalar_functions()
    rng = np.random.default_rng(3)
    for matrix in (
        model.sample_cohort(20, seed=5),
        model.sample_cohort(20, seed=6, phenotype="severe"),
    ):
        for values in matrix:
            params = dict(zip(model.PARAMETERS, values.tolist(), strict=True))
            y = rng.uniform(0.0, 3.0, 14).tolist()
            t, q = float(rng.uniform(0, 365)), float(rng.uniform(0, 5))
            u = fn["allergen"](values.tolist(), fn["season"](t))
            got = fn["rates"](y, values.tolist(), u, q)
            np.testing.assert_allclose(got, spec_rates(y, params, t, q), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("k_q", [0.14, 0.69, 0.69 * (1 + 1e-9), 1.3])
def test_msc_level_is_the_closed_form_of_spec_section_4_including_k_q_equal_k_m(k_q):
    fn = namespaces.scalar_functions()
    p = model.parameters(k_M=0.69, k_Q=k_q, f_trap=0.8)
    values = [p[name] for name in model.PARAMETERS]
    days, amounts = [3.0, 10.0], [2.0, 1.0]
    for t in (0.0, 3.0, 3.5, 9.0, 12.0, 60.0, 2000.0):  # no overflow in long runs
        got = fn["msc_level"](t, values, days, amounts, [0, 1])
        expected = spec_q(t - 3.0, 2.0, 0.8, 0.69, k_q) + spec_q(t - 10.0, 1.0, 1.0, 0.69, k_q)
        assert got == pytest.approx(expected, rel=1e-13, abs=1e-300)
    assert fn["msc_level"](2.9, values, days, amounts, [0, 1]) == 0.0  # nothing before a dose


def test_observables_are_the_heuristic_maps_of_spec_section_6():
    params = model.parameters()
    y = np.array(model.DEFAULT_INITIAL) + 0.5
    got = model.observables(y[None, :], params)
    g = params.get
    il10 = g("c_R10") * y[3] + g("c_m10") * y[10]
    il4 = (g("a_T4") * y[2] + g("a_I4") * y[4]) / (1 + g("r_10") * il10)
    h4 = h(il4, g("K_4"))
    s = y[12] + y[13]
    phi = min(max(1 - 0.08 * h4 - 0.10 * (s - 1), 0.4), 1.0)
    expected = {
        "feno_ppb": 10 + 50 * h4,
        "blood_eos_per_ul": 800 * y[8],
        "ige_iu_ml": 100 * y[6],
        "sputum_eos_pct": 100 * y[9] / (y[9] + 15),
        "asm_mass_rel": s,
        "airway_resistance_rel": 1 / phi**4,
        "fev1_pct_pred": 100 * phi**2,
    }
    for name, value in expected.items():
        assert got[name] == pytest.approx([value], rel=1e-12), name
    heavy = np.array(model.DEFAULT_INITIAL)
    heavy[13] = 9.0  # lumen fraction clipped at 0.4
    assert model.observables(heavy, params)["fev1_pct_pred"] == pytest.approx(16.0)


def test_observables_take_one_parameter_row_per_patient():
    matrix = model.sample_cohort(4, seed=1)
    states = np.broadcast_to(model.DEFAULT_INITIAL + 1.0, (4, 3, 14))
    got = model.observables(states, matrix)
    assert got["feno_ppb"].shape == (4, 3)
    one = model.observables(states[2], matrix[2])
    np.testing.assert_allclose(got["feno_ppb"][2], one["feno_ppb"])


def test_every_engine_runs_code_generated_from_the_one_definition():
    source = definition.python_source()
    # Numba compiles a module whose text is the definition's source plus the kernels.
    assert source in engine_numba.source()
    module = engine_numba.kernels()
    assert source in Path(module.__file__).read_text(encoding="utf-8")
    assert "k_A * A" not in engine_numba.source().replace(source, "")
    # NumPy and the SciPy right-hand side compile the same text.
    tag = definition.fingerprint()
    for functions in (namespaces.scalar_functions(), namespaces.numpy_functions()):
        assert tag in functions["rates"].__code__.co_filename
    from respira.science.model import engine_jax

    assert tag in engine_jax._batched().fn["rates"].__code__.co_filename
    # The SBML export writes the same expression lists.
    text = model.to_antimony(model.parameters(), model.Scenario(), y0=model.DEFAULT_INITIAL)
    for state, expression in definition.RATES:
        assert f"  {state}' = {definition.antimony_expression(expression)};" in text
