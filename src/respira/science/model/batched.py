"""Integrators over a batch of patients held as arrays (``y``: (14, n), ``p``: (76, n)),
written once against an array module ``xp`` (NumPy or ``jax.numpy``): the classical RK4
step and a Dormand–Prince 5(4) attempt whose error norm is the worst patient's, so one
step size serves the whole batch. The NumPy engine drives them with Python loops, the
JAX engine with ``lax`` loops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from respira.science.model import tableau as tb

Array = Any
Doses = tuple[Array, Array, Array]
Carry = tuple[Array, Array, Array, Array, Array]

#: A state beyond this (or √max of float32) has run away: stop steering the step by it.
RUNAWAY = 1e100
#: A step shorter than this many ulps of the time cannot move the time on: give up.
MIN_STEP_ULPS = 64
MAX_STEPS = 2_000_000


class Batched:
    """The right-hand side and the steps, for one array module and one batch."""

    def __init__(self, functions: dict[str, Callable[..., Any]], xp: Any) -> None:
        self.fn = functions
        self.xp = xp

    def derivative(self, t: Array, y: Array, p: Array, doses: Doses) -> Array:
        fn = self.fn
        q = fn["msc_level"](t, p, *doses) if len(doses[0]) else 0.0
        u = fn["allergen"](p, fn["season"](t))
        return self.xp.stack(fn["rates"](y, p, u, q))

    def rk4_step(self, t: Array, h: Array, y: Array, p: Array, doses: Doses) -> Array:
        f = self.derivative
        half = 0.5 * h
        k1 = f(t, y, p, doses)
        k2 = f(t + half, y + half * k1, p, doses)
        k3 = f(t + half, y + half * k2, p, doses)
        k4 = f(t + h, y + h * k3, p, doses)
        return y + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)

    def dp5_attempt(
        self,
        t: Array,
        h: Array,
        y: Array,
        k1: Array,
        p: Array,
        doses: Doses,
        rtol: float,
        atol: float,
    ) -> tuple[Array, Array, Array]:
        """(y after the step, f there (first same as last), the batch's error norm)."""
        f = self.derivative
        k2 = f(t + tb.C2 * h, y + h * (tb.A21 * k1), p, doses)
        k3 = f(t + tb.C3 * h, y + h * (tb.A31 * k1 + tb.A32 * k2), p, doses)
        k4 = f(t + tb.C4 * h, y + h * (tb.A41 * k1 + tb.A42 * k2 + tb.A43 * k3), p, doses)
        k5 = f(
            t + tb.C5 * h,
            y + h * (tb.A51 * k1 + tb.A52 * k2 + tb.A53 * k3 + tb.A54 * k4),
            p,
            doses,
        )
        k6 = f(
            t + h,
            y + h * (tb.A61 * k1 + tb.A62 * k2 + tb.A63 * k3 + tb.A64 * k4 + tb.A65 * k5),
            p,
            doses,
        )
        y5 = y + h * (tb.B1 * k1 + tb.B3 * k3 + tb.B4 * k4 + tb.B5 * k5 + tb.B6 * k6)
        k7 = f(t + h, y5, p, doses)
        err = h * (tb.E1 * k1 + tb.E3 * k3 + tb.E4 * k4 + tb.E5 * k5 + tb.E6 * k6 + tb.E7 * k7)
        xp = self.xp
        scale = atol + rtol * xp.maximum(xp.abs(y), xp.abs(y5))
        per_patient = xp.sqrt(xp.mean((err / scale) ** 2, axis=0))
        per_patient = xp.where(xp.isfinite(per_patient), per_patient, 1e30)
        # A patient whose states have run away (the model lets Th2 grow without bound
        # for some parameter sets) no longer steers the step of the others.
        limit = min(RUNAWAY, float(np.finfo(y.dtype).max) ** 0.5)
        runaway = ~xp.all(xp.isfinite(y) & (xp.abs(y) < limit), axis=0)
        norm = xp.max(xp.where(runaway, 0.0, per_patient))
        return y5, k7, norm

    def step_factor(self, norm: Array) -> Array:
        """How much to grow or shrink the step after an attempt with this error norm."""
        xp = self.xp
        safe = xp.maximum(norm, 1e-10)
        return xp.clip(tb.SAFETY * safe**-tb.EXPONENT, tb.FAC_MIN, tb.FAC_MAX)

    def adaptive_loop(
        self, p: Array, doses: Doses, t1: Array, rtol: float, atol: float
    ) -> tuple[Callable[[Carry], Array], Callable[[Carry], Carry]]:
        """``(cond, body)`` of the loop that takes ``(t, y, k1, h, count)`` to ``t1`` with
        accepted Dormand–Prince steps (one step size for the batch). NumPy runs it with
        ``while cond(c): c = body(c)``, JAX with ``lax.while_loop``; afterwards ``t``
        short of ``t1`` means the step collapsed or :data:`MAX_STEPS` ran out."""
        xp = self.xp
        ulp = _ulps(p.dtype)
        eps = ulp * xp.maximum(1.0, xp.abs(t1))

        def cond(c: Carry) -> Array:
            t, _, _, h, count = c
            too_short = h <= ulp * xp.maximum(1.0, xp.abs(t))
            return (t1 - t > eps) & ~too_short & (count < MAX_STEPS)

        def body(c: Carry) -> Carry:
            t, y, k1, h, count = c
            hs = xp.minimum(h, t1 - t)
            y5, k7, norm = self.dp5_attempt(t, hs, y, k1, p, doses, rtol, atol)
            accept = norm <= 1.0
            reached = xp.where(t1 - (t + hs) <= eps, t1, t + hs)
            return (
                xp.where(accept, reached, t),
                xp.where(accept, y5, y),
                xp.where(accept, k7, k1),
                hs * self.step_factor(norm),
                count + 1,
            )

        return cond, body


def _ulps(dtype: Any) -> float:
    return float(np.finfo(dtype).eps) * MIN_STEP_ULPS


def stopped_short(t: float, t1: float, dtype: Any) -> bool:
    """Whether an adaptive loop that should have reached ``t1`` stopped before it."""
    return t1 - t > _ulps(dtype) * max(1.0, abs(t1))


class AdaptiveFailed(ArithmeticError):
    """The adaptive step collapsed: some patient's states blew up."""

    def __init__(self, t: float) -> None:
        super().__init__(f"the adaptive solver could not get past day {t:.4g}")
