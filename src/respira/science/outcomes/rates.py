"""Exacerbation rates before and after treatment: crude annualised rates and the rate
ratio from a negative binomial (NB2) model, with the Poisson model alongside.

The model (clinical.md §6, "Exacerbation rate": negative binomial regression with offset
log(exposure)) has two rows per patient: period 0 (the 12 months before treatment) and
period 1 (the time after), ``log E[y] = b0 + b1 * period + log(exposure_years)``. The rate
ratio is ``exp(b1)`` with a Wald 95 % interval from the observed information.

* Poisson: with one indicator the maximum-likelihood fit is closed form: the fitted rate
  of each period is its crude rate, ``exp(b1) = (E1/T1) / (E0/T0)``, and
  ``var(b1) = 1/E0 + 1/E1`` (the same as the GLM's IRLS result).
* NB2 (variance ``mu + alpha mu**2``; Cameron AC, Trivedi PK. Regression Analysis of
  Count Data, 2nd ed. Cambridge 2013, §3.3): joint maximum likelihood of (b0, b1,
  log alpha) by Newton's method with analytic score and Hessian, as statsmodels'
  ``NegativeBinomial(loglike_method="nb2")`` defines the likelihood.
* Overdispersion: likelihood-ratio test NB2 against Poisson. alpha = 0 lies on the
  boundary of the parameter space, so the statistic's null distribution is the 50:50
  mixture of a point mass at 0 and chi2(1): p = chi2.sf(LR, 1) / 2 (Self SG, Liang KY.
  J Am Stat Assoc 1987;82:605–10; Cameron & Trivedi 2013, §3.4). When the score for
  alpha at the Poisson fit is not positive (no overdispersion), the NB2 likelihood is
  maximised at alpha = 0, NB2 is the Poisson model, and ``model`` says "poisson".

Limitation (the report states it): the two periods of a patient are treated as
independent observations; the within-patient correlation of before and after counts is
not modelled, which makes the interval conservative when the correlation is positive and
ignores the pairing. Events are assumed counted as separate when >= 7 days apart
(Reddel 2009, clinical.md §6) by whoever counted them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import stats

from ._common import Z95, Interval, OutcomeInputError, Values, as_float_array, interval, same_length

__all__ = ["PoissonFit", "RateRatio", "rate_ratio"]

_MAX_ITERATIONS: Final = 100
#: Largest event count accepted for one patient and period.
_MAX_COUNT: Final = 1_000_000
#: Dispersion below which the NB2 fit is taken to have reached the boundary alpha = 0.
_ALPHA_BOUNDARY: Final = 1e-8

Float = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PoissonFit:
    """The Poisson GLM's rate ratio and Wald 95 % interval; ``pearson_chi2_per_df`` is
    its Pearson chi-square over the residual degrees of freedom (2n - 2; NaN when
    n = 1), about 1 when the counts are Poisson and above 1 when overdispersed."""

    rate_ratio: float
    ci95: Interval
    pearson_chi2_per_df: float


@dataclass(frozen=True)
class RateRatio:
    """Exacerbations after treatment against the 12 months before."""

    n: int
    events_before: int
    exposure_before_years: float
    events_after: int
    exposure_after_years: float
    rate_before: float
    rate_after: float
    rate_ratio: float | None
    ci95: Interval | None
    model: str
    alpha: float | None
    overdispersion_lr_p: float | None
    poisson: PoissonFit | None
    note: str


@dataclass(frozen=True)
class _Group:
    """One period's counts ``y`` and exposures ``t``, with what the likelihood needs of
    the counts alone: ``above[k]`` = number of patients with more than ``k`` events, so
    that for NB2 ``sum_i lgamma(y_i + r) - lgamma(r) = sum_k above[k] log(r + k)`` (and
    likewise the digamma and trigamma differences) is exact and costs one pass over
    0..max(y) instead of special functions on every patient."""

    y: Float
    t: Float
    above: Float
    k: Float
    events: float
    exposure: float
    y_log_t: float

    @classmethod
    def of(cls, y: Float, t: Float) -> _Group:
        top = int(y.max()) if y.size else 0
        histogram = np.bincount(y.astype(np.int64), minlength=top + 1)
        above = (y.size - np.cumsum(histogram))[:top].astype(np.float64)
        return cls(
            y=y,
            t=t,
            above=above,
            k=np.arange(top, dtype=np.float64),
            events=float(y.sum()),
            exposure=float(t.sum()),
            y_log_t=float(np.dot(y, np.log(t))),
        )


@dataclass(frozen=True)
class _NegativeBinomial:
    log_rates: Float  # (gamma0, gamma1): log rate of each period
    alpha: float
    loglike: float
    var_log_ratio: float


def _counts(values: Values, field: str) -> Float:
    array = as_float_array(values, field)
    known = np.isfinite(array)
    if np.any(array[known] < 0):
        raise OutcomeInputError("event counts cannot be negative", field=field)
    if np.any(array[known] != np.round(array[known])):
        raise OutcomeInputError("event counts must be whole numbers", field=field)
    if np.any(array[known] > _MAX_COUNT):
        raise OutcomeInputError(
            f"an event count above {_MAX_COUNT:,} for one patient is not plausible", field=field
        )
    return array


def _exposures(values: Values, field: str) -> Float:
    array = as_float_array(values, field)
    if np.any(array[np.isfinite(array)] < 0) or np.any(np.isposinf(array)):
        raise OutcomeInputError("exposure must be a finite number of years >= 0", field=field)
    return array


def _poisson_loglike(groups: tuple[_Group, _Group], log_rates: Float) -> float:
    """Poisson log-likelihood without the constant -sum(log y!) (as in the NB2 one)."""
    total = 0.0
    for group, log_rate in zip(groups, log_rates, strict=True):
        rate = float(log_rate)
        total += group.events * rate + group.y_log_t - group.exposure * math.exp(rate)
    return total


def _nb_terms(
    group: _Group, log_rate: float, alpha: float, second: bool
) -> tuple[float, float, float, float, float, float]:
    """NB2 log-likelihood of one period (without -sum(log y!)) and its derivatives in
    (log rate, alpha): (ll, d_gamma, d_alpha, d2_gamma, d2_gamma_alpha, d2_alpha)."""
    y, t = group.y, group.t
    r = 1.0 / alpha
    r_k = r + group.k
    mu = t * math.exp(log_rate)
    a_mu = alpha * mu
    one_a_mu = 1.0 + a_mu
    log1p_a_mu = np.log1p(a_mu)
    sum_log1p = float(log1p_a_mu.sum())
    residual_over = (y - mu) / one_a_mu
    # sum_i lgamma(y_i + r) - lgamma(r), and digamma(y_i + r) - digamma(r), summed.
    log_pochhammer = float(np.dot(group.above, np.log(r_k)))
    digamma_gap = float(np.dot(group.above, 1.0 / r_k))
    ll = (
        log_pochhammer
        + group.events * (math.log(alpha) + log_rate)
        + group.y_log_t
        - float(np.dot(y + r, log1p_a_mu))
    )
    d_gamma = float(residual_over.sum())
    score_gap = sum_log1p - digamma_gap
    d_alpha = r * r * score_gap + d_gamma / alpha
    if not second:
        return ll, d_gamma, d_alpha, 0.0, 0.0, 0.0
    mu_over = mu / one_a_mu
    d2_gamma = -float(np.dot(mu_over / one_a_mu, 1.0 + alpha * y))
    d2_gamma_alpha = -float(np.dot(residual_over, mu_over))
    trigamma_gap = -float(np.dot(group.above, 1.0 / (r_k * r_k)))
    d2_alpha = (
        -2.0 * r**3 * score_gap
        + r * r * (r * r * trigamma_gap + float(mu_over.sum()))
        - float(np.dot(residual_over, (1.0 + 2.0 * a_mu) / one_a_mu)) / (alpha * alpha)
    )
    return ll, d_gamma, d_alpha, d2_gamma, d2_gamma_alpha, d2_alpha


def _nb_derivatives(
    groups: tuple[_Group, _Group], params: Float, second: bool = True
) -> tuple[float, Float, Float]:
    """Log-likelihood, score and Hessian in (gamma0, gamma1, log alpha)."""
    alpha = math.exp(params[2])
    ll = 0.0
    score = np.zeros(3)
    hessian = np.zeros((3, 3))
    d_alpha = d2_alpha = 0.0
    for index, group in enumerate(groups):
        terms = _nb_terms(group, float(params[index]), alpha, second)
        ll += terms[0]
        score[index] = terms[1]
        d_alpha += terms[2]
        hessian[index, index] = terms[3]
        hessian[index, 2] = hessian[2, index] = alpha * terms[4]
        d2_alpha += terms[5]
    score[2] = alpha * d_alpha
    hessian[2, 2] = alpha * alpha * d2_alpha + alpha * d_alpha
    return ll, score, hessian


class _NoFit(Exception):
    """The NB2 fit has no interior maximum: ``boundary`` (alpha -> 0, the Poisson model)
    or ``failed`` (no convergence)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _newton_step(score: Float, hessian: Float) -> Float:
    """Newton step, with the Hessian shifted until negative definite (Levenberg)."""
    if not (np.all(np.isfinite(score)) and np.all(np.isfinite(hessian))):
        raise _NoFit("failed")
    scale = float(np.max(np.abs(np.diag(hessian)))) + 1e-12
    damping = 0.0
    for _ in range(60):
        shifted = hessian - damping * np.eye(3)
        try:
            np.linalg.cholesky(-shifted)
        except np.linalg.LinAlgError:
            damping = max(2.0 * damping, 1e-6 * scale)
            continue
        return np.asarray(np.linalg.solve(shifted, -score), dtype=np.float64)
    raise _NoFit("failed")


def _fit_negative_binomial(
    groups: tuple[_Group, _Group], poisson_log_rates: Float, alpha_start: float
) -> _NegativeBinomial:
    """Joint ML of NB2 in (gamma0, gamma1, log alpha) by Newton's method. Far from the
    optimum a step is halved until the likelihood rises; once the Newton decrement is
    below 1e-8 (inside the region of quadratic convergence, and below what a comparison
    of log-likelihoods of a few hundred units can resolve) full steps are taken until
    no parameter moves by more than 1e-10."""
    params = np.array([*poisson_log_rates, math.log(alpha_start)])
    ll, score, hessian = _nb_derivatives(groups, params)
    boundary = math.log(_ALPHA_BOUNDARY)
    for _ in range(_MAX_ITERATIONS):
        step = _newton_step(score, hessian)
        if float(score @ step) > 1e-8:
            size = 1.0
            while True:
                trial_ll = _nb_derivatives(groups, params + size * step, second=False)[0]
                if math.isfinite(trial_ll) and trial_ll >= ll:
                    break
                size /= 2.0
                if size < 1e-12:
                    raise _NoFit("failed")
            step = size * step
        params = params + step
        ll, score, hessian = _nb_derivatives(groups, params)
        if params[2] < boundary:
            raise _NoFit("boundary")
        if float(np.max(np.abs(step))) < 1e-10:
            break
    else:
        raise _NoFit("failed")
    if params[2] < boundary:
        raise _NoFit("boundary")
    if not (np.all(np.isfinite(params)) and np.all(np.isfinite(hessian))):
        raise _NoFit("failed")
    # The score must be zero relative to the information (it is at an interior optimum).
    try:
        np.linalg.cholesky(-hessian)
    except np.linalg.LinAlgError:
        raise _NoFit("failed") from None
    covariance = np.linalg.inv(-hessian)
    if float(score @ covariance @ score) > 1e-8:
        raise _NoFit("failed")
    contrast = np.array([-1.0, 1.0, 0.0])
    return _NegativeBinomial(
        log_rates=params[:2],
        alpha=math.exp(params[2]),
        loglike=ll,
        var_log_ratio=float(contrast @ covariance @ contrast),
    )


def _wald(log_ratio: float, variance: float) -> tuple[float, Interval]:
    half = Z95 * math.sqrt(variance)
    return math.exp(log_ratio), interval(math.exp(log_ratio - half), math.exp(log_ratio + half))


def _format(value: float) -> str:
    return f"{value:.3g}"


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def rate_ratio(
    events_before: Values,
    exposure_before_years: Values,
    events_after: Values,
    exposure_after_years: Values,
) -> RateRatio | None:
    """Rate ratio after/before from per-patient event counts and exposures (years).

    Patients count when both exposures are > 0 and all four values are known. The
    NB2 model gives the rate ratio and its Wald 95 % interval; the Poisson GLM is
    reported alongside. The two periods of a patient are treated as independent (see
    the module's docstring). None when no patient has exposure in both periods.
    """
    y0 = _counts(events_before, "events_before")
    t0 = _exposures(exposure_before_years, "exposure_before_years")
    y1 = _counts(events_after, "events_after")
    t1 = _exposures(exposure_after_years, "exposure_after_years")
    same_length(
        {
            "events_before": y0,
            "exposure_before_years": t0,
            "events_after": y1,
            "exposure_after_years": t1,
        }
    )
    keep = np.isfinite(y0) & np.isfinite(y1) & (t0 > 0) & (t1 > 0)
    n = int(np.count_nonzero(keep))
    if n == 0:
        return None
    groups = (_Group.of(y0[keep], t0[keep]), _Group.of(y1[keep], t1[keep]))
    e0, e1 = groups[0].events, groups[1].events
    rate0, rate1 = e0 / groups[0].exposure, e1 / groups[1].exposure

    def result(
        ratio: float | None,
        ci: Interval | None,
        model: str,
        alpha: float | None,
        lr_p: float | None,
        poisson: PoissonFit | None,
        note: str,
    ) -> RateRatio:
        return RateRatio(
            n=n,
            events_before=int(e0),
            exposure_before_years=groups[0].exposure,
            events_after=int(e1),
            exposure_after_years=groups[1].exposure,
            rate_before=rate0,
            rate_after=rate1,
            rate_ratio=ratio,
            ci95=ci,
            model=model,
            alpha=alpha,
            overdispersion_lr_p=lr_p,
            poisson=poisson,
            note=note,
        )

    if e0 == 0:
        return result(
            None,
            None,
            "poisson",
            None,
            None,
            None,
            "No exacerbations in the 12 months before treatment, so no rate ratio exists.",
        )
    if e1 == 0:
        return result(
            0.0,
            None,
            "poisson",
            None,
            None,
            None,
            "No exacerbations after treatment: the rate ratio is 0 and no Wald interval exists.",
        )

    # Poisson GLM, closed form for the two-period design.
    log_rates = np.array([math.log(rate0), math.log(rate1)])
    poisson_ratio, poisson_ci = _wald(log_rates[1] - log_rates[0], 1.0 / e0 + 1.0 / e1)
    pearson = 0.0
    overdispersion_score = 0.0
    mu_squared = 0.0
    for group, rate in zip(groups, (rate0, rate1), strict=True):
        mu = group.t * rate
        squared = (group.y - mu) ** 2
        pearson += float(np.sum(squared / mu))
        overdispersion_score += float(np.sum(squared - group.y))
        mu_squared += float(np.sum(mu * mu))
    df = 2 * n - 2
    poisson = PoissonFit(poisson_ratio, poisson_ci, pearson / df if df > 0 else math.nan)

    fit: _NegativeBinomial | None = None
    at_zero = False  # the NB2 dispersion estimate is 0: NB2 is the Poisson model
    if n < 2:
        why = "one patient cannot show overdispersion"
    elif overdispersion_score <= 0:
        at_zero = True
        why = (
            "the counts show no overdispersion (the negative binomial dispersion estimate "
            "is 0), so the negative binomial model is the Poisson model"
        )
    else:
        try:
            # Moment estimate of alpha (Cameron & Trivedi 2013, §3.2) as the start.
            fit = _fit_negative_binomial(
                groups, log_rates, max(overdispersion_score / mu_squared, 1e-3)
            )
        except _NoFit as no_fit:
            at_zero = no_fit.reason == "boundary"
            why = (
                "the negative binomial dispersion estimate is 0, so the negative binomial "
                "model is the Poisson model"
                if at_zero
                else "the negative binomial fit did not converge; if the counts are "
                "overdispersed (Pearson chi-square/df = "
                f"{_format(poisson.pearson_chi2_per_df)}), this interval is too narrow"
            )
    if fit is None:
        return result(
            poisson_ratio,
            poisson_ci,
            "poisson",
            0.0 if at_zero else None,
            1.0 if at_zero else None,
            poisson,
            f"Poisson model: {why}.",
        )
    lr = max(0.0, 2.0 * (fit.loglike - _poisson_loglike(groups, log_rates)))
    lr_p = 0.5 * float(stats.chi2.sf(lr, 1)) if lr > 0 else 1.0
    ratio, ci = _wald(float(fit.log_rates[1] - fit.log_rates[0]), fit.var_log_ratio)
    note = (
        f"Negative binomial model (dispersion alpha = {_format(fit.alpha)}; "
        f"overdispersion against Poisson: likelihood-ratio {_p_text(lr_p)}, Pearson "
        f"chi-square/df = {_format(poisson.pearson_chi2_per_df)})."
    )
    return result(ratio, ci, "negative_binomial", fit.alpha, lr_p, poisson, note)
