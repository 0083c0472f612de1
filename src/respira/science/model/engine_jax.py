"""JAX engine: the batch of patients as arrays (patients on the last axis), the steps of
:mod:`~respira.science.model.batched` under ``jax.jit`` — RK4 in a ``lax.scan`` over the
grid, Dormand–Prince 5(4) in a ``lax.while_loop`` per segment — on the CPU or a GPU, in
float32 or float64 (``jax.enable_x64`` for the run). The equations are the generated
functions of :mod:`~respira.science.model.definition` compiled against ``jax.numpy``.

Compilation happens once per (batch size, grid length, number of doses, dtype); the
batch is padded to a power of two up to :data:`PAD` patients, then to a multiple of it,
and the RK4 grid to a multiple of :data:`STEP_BUCKET` steps, so that similar runs share
one compilation.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from respira.science.model import definition
from respira.science.model.batched import AdaptiveFailed, Batched, stopped_short
from respira.science.model.scenario import Schedule, Stops
from respira.science.model.spec import BackendUnavailable
from respira.science.model.tableau import FIRST_STEP

INSTALL_HINT = "install it with: pip install jax (or pip install 'respira[model]')"
GPU_HINT = (
    "no GPU is visible to JAX here; on a machine with an NVIDIA GPU and a CUDA 12 driver "
    "install the GPU build with: pip install -U 'jax[cuda12]'"
)
PAD = 1024
STEP_BUCKET = 512


def _padded(walk: Stops) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The grid padded with steps of length 0 (RK4 leaves the state as it is) to a
    multiple of :data:`STEP_BUCKET` steps, so that runs of similar length share one
    compilation."""
    extra = -(walk.steps + 1) % STEP_BUCKET
    return (
        np.concatenate([walk.times, np.full(extra, walk.times[-1])]),
        np.concatenate([walk.output_index, np.full(extra, -1)]),
        np.concatenate([walk.bolus, np.zeros(extra)]),
    )


def _pad(n: int) -> int:
    if n <= PAD:
        return 1 << max(0, (n - 1).bit_length())
    return -(-n // PAD) * PAD


class JaxEngine:
    def __init__(self, jax: Any) -> None:
        self.jax = jax
        import jax.numpy as jnp

        self.jnp = jnp

    def device(self, name: str) -> Any:
        try:
            return self.jax.devices("gpu" if name == "gpu" else "cpu")[0]
        except RuntimeError as error:
            raise BackendUnavailable(GPU_HINT) from error

    def simulate(
        self, P: np.ndarray, Y0: np.ndarray, walk: Stops, plan: Schedule, job: Any
    ) -> np.ndarray:
        device = self.device(job.device)
        n = P.shape[0]
        size = _pad(n)
        rows = np.concatenate([np.arange(n), np.full(size - n, n - 1)])
        with self.jax.enable_x64(job.dtype == "float64"):
            dtype = np.dtype(job.dtype)
            put = functools.partial(self.jax.device_put, device=device)
            p = put(P[rows].T.astype(dtype))
            with np.errstate(over="ignore"):  # a run-away state becomes inf in float32
                y = put(Y0[rows].T.astype(dtype))
            doses = (
                put(plan.dose_days.astype(dtype)),
                put(plan.dose_amounts.astype(dtype)),
                put(plan.dose_routes.astype(np.int32)),
            )
            n_out = plan.output_days.size
            if job.adaptive:
                out = self._adaptive(p, y, walk, doses, n_out, job, dtype)
            else:
                times, output_index, bolus = _padded(walk)
                out = _rk4(
                    p,
                    y,
                    put(times.astype(dtype)),
                    put(output_index.astype(np.int32)),
                    put(bolus.astype(dtype)),
                    doses,
                    n_out,
                )
            result = np.asarray(out, dtype=np.float64)
        return np.ascontiguousarray(result.transpose(2, 0, 1)[:n])

    def _adaptive(
        self,
        p: Any,
        y: Any,
        walk: Stops,
        doses: Any,
        n_out: int,
        job: Any,
        dtype: np.dtype[Any],
    ) -> Any:
        jnp = self.jnp
        out = jnp.zeros((n_out, *y.shape), dtype=dtype)
        h = jnp.asarray(FIRST_STEP, dtype=dtype)
        for k, t in enumerate(walk.times.tolist()):
            if walk.bolus[k]:
                y = y.at[0].add(walk.bolus[k])
            if walk.output_index[k] >= 0:
                out = out.at[int(walk.output_index[k])].set(y)
            if k == walk.steps:
                break
            t1 = float(walk.times[k + 1])
            times = jnp.asarray([t, t1], dtype=dtype)
            reached, y, h = _segment(p, y, times, h, doses, job.rtol, job.atol)
            if stopped_short(float(reached), float(times[1]), dtype):
                raise AdaptiveFailed(float(reached))
        return out


@functools.cache
def _batched() -> Batched:
    import jax.numpy as jnp

    namespace = {
        "exp": jnp.exp,
        "expm1": jnp.expm1,
        "sin": jnp.sin,
        "pi": np.pi,
        "where": jnp.where,
        "maximum": jnp.maximum,
        "minimum": jnp.minimum,
        "clip": jnp.clip,
    }
    return Batched(definition.compile_functions(namespace), jnp)


def _rk4_impl(
    p: Any, y: Any, times: Any, out_index: Any, bolus: Any, doses: Any, n_out: int
) -> Any:
    import jax
    import jax.numpy as jnp

    batched = _batched()

    def record(out: Any, index: Any, state: Any) -> Any:
        return jax.lax.cond(index >= 0, lambda o: o.at[index].set(state), lambda o: o, out)

    def body(carry: Any, x: Any) -> Any:
        state, out = carry
        t, h, added, index = x
        state = state.at[0].add(added)
        out = record(out, index, state)
        return (batched.rk4_step(t, h, state, p, doses), out), None

    out = jnp.zeros((n_out, *y.shape), dtype=y.dtype)
    xs = (times[:-1], jnp.diff(times), bolus[:-1], out_index[:-1])
    (y, out), _ = jax.lax.scan(body, (y, out), xs)
    y = y.at[0].add(bolus[-1])
    return record(out, out_index[-1], y)


def _segment_impl(p: Any, y: Any, times: Any, h: Any, doses: Any, rtol: Any, atol: Any) -> Any:
    import jax

    batched = _batched()
    t0, t1 = times[0], times[1]
    cond, body = batched.adaptive_loop(p, doses, t1, rtol, atol)
    carry = (t0, y, batched.derivative(t0, y, p, doses), h, 0)
    t, y, _, h, _ = jax.lax.while_loop(cond, body, carry)
    return t, y, h


_rk4: Any = None
_segment: Any = None


def load() -> JaxEngine:
    global _rk4, _segment
    try:
        import jax
    except ImportError as error:
        raise BackendUnavailable(f"backend 'jax' is not installed: {INSTALL_HINT}") from error
    if _rk4 is None:
        _rk4 = jax.jit(_rk4_impl, static_argnums=(6,))
        _segment = jax.jit(_segment_impl)
    return JaxEngine(jax)
