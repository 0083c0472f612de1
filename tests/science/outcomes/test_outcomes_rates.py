"""Exacerbation rate ratios against statsmodels: the negative binomial (NB2) model with
offset (rate ratio, Wald interval, alpha), the Poisson GLM with offset (rate ratio,
interval, Pearson chi-square/df), the overdispersion likelihood-ratio test, and the
edge cases (no overdispersion, no events after or before, one patient, missing values)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from respira.science.outcomes import OutcomeInputError, rate_ratio


def _cohort(
    seed: int, n: int, alpha: float, ratio: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t0 = rng.uniform(0.6, 1.0, n)
    t1 = rng.uniform(0.1, 1.5, n)
    if alpha > 0:
        frailty0 = rng.gamma(1 / alpha, alpha, n)
        frailty1 = rng.gamma(1 / alpha, alpha, n)
    else:
        frailty0 = frailty1 = np.ones(n)
    y0 = rng.poisson(1.8 * frailty0 * t0)
    y1 = rng.poisson(1.8 * ratio * frailty1 * t1)
    return y0.astype(float), t0, y1.astype(float), t1


def _design(
    y0: np.ndarray, t0: np.ndarray, y1: np.ndarray, t1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(y0)
    y = np.concatenate([y0, y1])
    x = np.column_stack([np.ones(2 * n), np.repeat([0.0, 1.0], n)])
    return y, x, np.log(np.concatenate([t0, t1]))


def _statsmodels_nb(y: np.ndarray, x: np.ndarray, offset: np.ndarray):  # type: ignore[no-untyped-def]
    """statsmodels' NB2 fit, run to its optimum: Nelder–Mead from statsmodels' own start
    (its Newton from that start can step into NaN), polished by its Newton."""
    model = sm.NegativeBinomial(y, x, offset=offset, loglike_method="nb2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rough = model.fit(method="nm", maxiter=5000, disp=0)
        fit = model.fit(start_params=rough.params, method="newton", maxiter=100, disp=0)
    assert np.all(np.isfinite(fit.params))
    assert np.max(np.abs(model.score(fit.params))) < 1e-6
    return fit


@pytest.mark.parametrize(
    ("seed", "n", "alpha", "ratio"),
    [(1, 60, 0.8, 0.5), (2, 400, 0.3, 0.7), (3, 1500, 1.5, 1.1), (4, 25, 2.5, 0.4)],
)
def test_negative_binomial_matches_statsmodels(
    seed: int, n: int, alpha: float, ratio: float
) -> None:
    y0, t0, y1, t1 = _cohort(seed, n, alpha, ratio)
    result = rate_ratio(y0, t0, y1, t1)
    assert result is not None
    y, x, offset = _design(y0, t0, y1, t1)
    nb = _statsmodels_nb(y, x, offset)
    assert result.model == "negative_binomial"
    assert result.rate_ratio == pytest.approx(math.exp(nb.params[1]), rel=1e-6)
    assert result.ci95 == pytest.approx(tuple(np.exp(nb.conf_int()[1])), rel=1e-6)
    assert result.alpha == pytest.approx(nb.params[2], rel=1e-6)

    poisson = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit()
    assert result.poisson is not None
    assert result.poisson.rate_ratio == pytest.approx(math.exp(poisson.params[1]), rel=1e-6)
    assert result.poisson.ci95 == pytest.approx(tuple(np.exp(poisson.conf_int()[1])), rel=1e-6)
    assert result.poisson.pearson_chi2_per_df == pytest.approx(
        poisson.pearson_chi2 / poisson.df_resid, rel=1e-6
    )
    lr = 2 * (nb.llf - poisson.llf)
    assert result.overdispersion_lr_p == pytest.approx(0.5 * stats.chi2.sf(lr, 1), rel=1e-6)
    assert "Negative binomial" in result.note

    assert (result.n, result.events_before, result.events_after) == (n, y0.sum(), y1.sum())
    assert result.exposure_before_years == pytest.approx(t0.sum())
    assert result.rate_before == pytest.approx(y0.sum() / t0.sum())
    assert result.rate_after == pytest.approx(y1.sum() / t1.sum())


def test_underdispersed_counts_use_poisson() -> None:
    # Every patient has the same count per unit exposure: variance below the mean.
    n = 50
    t0 = np.ones(n)
    t1 = np.full(n, 0.5)
    y0 = np.full(n, 2.0)
    y1 = np.ones(n)
    y1[::2] = 0.0
    y1[1::2] = 2.0
    result = rate_ratio(y0, t0, y1, t1)
    assert result is not None
    assert result.model == "poisson"
    assert result.alpha == 0.0 and result.overdispersion_lr_p == 1.0
    y, x, offset = _design(y0, t0, y1, t1)
    poisson = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit()
    assert result.rate_ratio == pytest.approx(math.exp(poisson.params[1]), rel=1e-6)
    assert result.ci95 == pytest.approx(tuple(np.exp(poisson.conf_int()[1])), rel=1e-6)
    assert result.poisson is not None and result.poisson.ci95 == result.ci95
    assert "Poisson" in result.note and "no overdispersion" in result.note


def test_equidispersed_poisson_data_close_to_poisson() -> None:
    y0, t0, y1, t1 = _cohort(11, 800, 0.0, 0.6)
    result = rate_ratio(y0, t0, y1, t1)
    assert result is not None and result.poisson is not None
    # Whichever model decided, the estimates agree with the Poisson fit closely.
    assert result.rate_ratio == pytest.approx(result.poisson.rate_ratio, rel=1e-2)
    assert result.poisson.pearson_chi2_per_df == pytest.approx(1.0, abs=0.15)
    assert result.overdispersion_lr_p is not None and result.overdispersion_lr_p > 0.01


def test_no_events_after_treatment() -> None:
    result = rate_ratio([2, 1, 3], [1, 1, 1], [0, 0, 0], [0.5, 1.0, 0.25])
    assert result is not None
    assert result.rate_ratio == 0.0 and result.ci95 is None
    assert result.rate_after == 0.0 and result.rate_before == 2.0
    assert result.poisson is None and "No exacerbations after" in result.note


def test_no_events_before_treatment() -> None:
    result = rate_ratio([0, 0], [1, 1], [1, 0], [1, 1])
    assert result is not None
    assert result.rate_ratio is None and result.ci95 is None
    assert "before" in result.note


def test_no_usable_patient_is_none() -> None:
    assert rate_ratio([], [], [], []) is None
    assert rate_ratio([1, 2], [1, 0], [1, None], [0, 1]) is None


def test_one_patient_gets_the_poisson_interval() -> None:
    result = rate_ratio([4], [1.0], [2], [0.5])
    assert result is not None and result.model == "poisson"
    assert result.rate_ratio == pytest.approx(1.0)
    half = stats.norm.ppf(0.975) * math.sqrt(1 / 4 + 1 / 2)
    assert result.ci95 == pytest.approx((math.exp(-half), math.exp(half)))
    assert result.poisson is not None and math.isnan(result.poisson.pearson_chi2_per_df)


def test_patients_without_exposure_in_both_periods_or_with_missing_counts_are_left_out() -> None:
    y0, t0, y1, t1 = _cohort(5, 200, 0.8, 0.5)
    full = rate_ratio(y0, t0, y1, t1)
    extra_y0 = np.concatenate([y0, [3, 5, np.nan, 2]])
    extra_t0 = np.concatenate([t0, [1.0, 0.0, 1.0, np.nan]])
    extra_y1 = np.concatenate([y1, [1, 1, 1, 1]])
    extra_t1 = np.concatenate([t1, [0.0, 1.0, 1.0, 1.0]])
    padded = rate_ratio(extra_y0, extra_t0, extra_y1, extra_t1)
    assert full is not None and padded is not None
    assert padded.n == full.n == 200
    assert padded.rate_ratio == pytest.approx(full.rate_ratio, rel=1e-12)
    assert padded.ci95 == pytest.approx(full.ci95, rel=1e-12)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (([1, -1], [1, 1], [1, 1], [1, 1]), "events_before"),
        (([1, 1], [1, 1], [1, 0.5], [1, 1]), "events_after"),
        (([1, 1], [1, -1], [1, 1], [1, 1]), "exposure_before_years"),
        (([1, 1], [1, 1], [1, 1], [1, float("inf")]), "exposure_after_years"),
        (([1, 1], [1, 1], [1, 1], [1]), "exposure_after_years"),
        ((["x"], [1], [1], [1]), "events_before"),
    ],
)
def test_bad_input_names_the_argument(arguments: tuple[object, ...], field: str) -> None:
    with pytest.raises(OutcomeInputError) as raised:
        rate_ratio(*arguments)  # type: ignore[arg-type]
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("reason", "alpha", "lr_p", "words"),
    [("boundary", 0.0, 1.0, "estimate is 0"), ("failed", None, None, "did not converge")],
)
def test_when_the_negative_binomial_fit_has_no_interior_optimum_poisson_is_reported(
    monkeypatch: pytest.MonkeyPatch,
    reason: str,
    alpha: float | None,
    lr_p: float | None,
    words: str,
) -> None:
    from respira.science.outcomes import rates

    def no_fit(*_: object) -> None:
        raise rates._NoFit(reason)

    monkeypatch.setattr(rates, "_fit_negative_binomial", no_fit)
    y0, t0, y1, t1 = _cohort(6, 300, 1.0, 0.5)
    result = rate_ratio(y0, t0, y1, t1)
    assert result is not None and result.poisson is not None
    assert result.model == "poisson"
    assert (result.alpha, result.overdispersion_lr_p) == (alpha, lr_p)
    assert result.rate_ratio == result.poisson.rate_ratio
    assert result.ci95 == result.poisson.ci95
    assert words in result.note
