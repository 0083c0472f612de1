"""Virtual cohorts to Parquet: ``respira model simulate``.

Patients are drawn as spec §7 says (each parameter times exp(0.25·z), clipped to its
range). Patient ``i``'s parameters depend only on the seed and ``i``: they are drawn in
fixed chunks of :data:`CHUNK` patients, chunk ``c`` from the seed sequence ``(seed, c)``,
so the file is the same whatever the block size and whether the blocks run here or
on a Ray cluster.

The cohort is simulated in blocks (``block_size`` patients) and each block is written
to the Parquet file as soon as it is done, in block order, so memory stays bounded by a
few blocks whatever the number of patients. On a Ray cluster (``ray_address``) the
blocks are remote tasks, at most a few per CPU of the cluster in flight, their results
written in block order as they arrive. The file is written under a temporary name and
renamed when complete: a file with the asked-for name is always whole.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from respira.mechanism.runs import check_run, scenario_of
from respira.mechanism.schemas import DEFAULT_BLOCK, ModelInputError, Problem
from respira.science import model

#: Patients drawn from one seed of the seed sequence (block-size independence).
CHUNK = 1024
#: Blocks in flight per CPU of a Ray cluster (bounds the driver's memory).
RAY_BLOCKS_PER_CPU = 2
METADATA_KEY = b"respira.model"
LABEL_KEY = b"respira.label"

RAY_MISSING = (
    "Ray is not installed here; install it with: pip install 'ray>=2.30' "
    "(or the model extras: pip install 'respira[model]')"
)
PYARROW_MISSING = (
    "pyarrow is not installed here; install it with: pip install 'pyarrow>=15' "
    "(or the model extras: pip install 'respira[model]')"
)


class ClusterUnavailable(RuntimeError):
    """Ray is missing, or its cluster cannot be reached (the message says which)."""


@dataclass(frozen=True)
class CohortSpec:
    """What to simulate (picklable: Ray ships it to the workers)."""

    patients: int
    days: float
    seed: int
    doses: tuple[tuple[float, float], ...] = ()
    route: str = "iv"
    phenotype: str = "t2-high"
    exposure: str = "perennial"
    comparison: str | None = None
    output_days: tuple[float, ...] = (0.0, 30.0, 90.0, 180.0, 365.0)
    backend: str = "numba"
    method: str = "rk4"
    step_days: float = 0.25
    device: str = "cpu"
    dtype: str = "float64"
    start: str = "default"
    trajectories: bool = False
    block_size: int = DEFAULT_BLOCK

    def blocks(self) -> list[tuple[int, int]]:
        """(first patient, count) of every block, in order."""
        return [
            (first, min(self.block_size, self.patients - first))
            for first in range(0, self.patients, self.block_size)
        ]

    def columns(self) -> tuple[str, ...]:
        values = model.STATES if self.trajectories else tuple(model.OBSERVABLES)
        return ("patient", "day", *values)


def check_spec(spec: CohortSpec) -> None:
    if spec.patients < 1 or spec.block_size < 1:
        raise ModelInputError(
            {"--patients": Problem("simulate at least one patient, in blocks of at least one")}
        )
    check_run(days=spec.days, doses=spec.doses, output_days=spec.output_days)


def _chunk_seed(seed: int, chunk: int) -> int:
    state = np.random.SeedSequence([seed, chunk]).generate_state(2, dtype=np.uint32)
    return int(state[0]) << 32 | int(state[1])


def cohort_parameters(seed: int, first: int, count: int, phenotype: str) -> np.ndarray:
    """Patients ``first`` … ``first + count − 1`` of the cohort of ``seed``: ``(count, 76)``."""
    if count <= 0:
        return np.empty((0, len(model.PARAMETERS)))
    chunks = range(first // CHUNK, (first + count - 1) // CHUNK + 1)
    drawn = np.concatenate(
        [model.sample_cohort(CHUNK, seed=_chunk_seed(seed, c), phenotype=phenotype) for c in chunks]
    )
    offset = first - chunks[0] * CHUNK
    return drawn[offset : offset + count]


def start_states(start: str) -> np.ndarray | None:
    """The default initial state of spec §1, or None: the engine then starts each patient
    at their own chronic state (10 years of perennial exposure, spec §7)."""
    return None if start == "chronic" else np.asarray(model.DEFAULT_INITIAL)


def simulate_block(spec: CohortSpec, first: int, count: int) -> dict[str, np.ndarray]:
    """One block's rows: patient, day and the observables (or every state)."""
    params = cohort_parameters(spec.seed, first, count, spec.phenotype)
    scenario = scenario_of(
        exposure=spec.exposure, doses=spec.doses, route=spec.route, comparison=spec.comparison
    )
    states = model.simulate_cohort(
        params,
        scenario,
        days=spec.days,
        output_days=spec.output_days,
        backend=spec.backend,
        method=spec.method,
        step_days=spec.step_days,
        device=spec.device,
        dtype=spec.dtype,
        y0=start_states(spec.start),
    )
    days = np.asarray(sorted(set(spec.output_days)), dtype=np.float64)
    out: dict[str, np.ndarray] = {
        "patient": np.repeat(np.arange(first, first + count, dtype=np.int64), days.size),
        "day": np.tile(days, count),
    }
    if spec.trajectories:
        for i, name in enumerate(model.STATES):
            out[name] = states[:, :, i].reshape(-1)
    else:
        for name, values in model.observables(states, params).items():
            out[name] = np.asarray(values).reshape(-1)
    return out


def _local(spec: CohortSpec, blocks: Sequence[tuple[int, int]]) -> Iterator[dict[str, np.ndarray]]:
    for first, count in blocks:
        yield simulate_block(spec, first, count)


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast on a cluster address nobody answers at (``ray.init`` would retry for
    minutes); ``auto`` and ``local`` are left to Ray."""
    if address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ClusterUnavailable(f"the Ray address {address!r} is not HOST:PORT or auto")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            pass
    except OSError as exc:
        raise ClusterUnavailable(
            f"cannot reach the Ray cluster at {address!r}: {exc.strerror or exc}"
        ) from None


def _ray(
    spec: CohortSpec, blocks: Sequence[tuple[int, int]], address: str
) -> Iterator[dict[str, np.ndarray]]:
    try:
        import ray
    except ImportError:
        raise ClusterUnavailable(RAY_MISSING) from None
    started = False
    if not ray.is_initialized():
        check_reachable(address)
        try:
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ClusterUnavailable(
                f"cannot reach the Ray cluster at {address!r}: {exc}"
            ) from None
        started = True
    try:
        # One CPU per block, the engine single-threaded in it (Ray runs as many blocks at
        # once as the cluster has CPUs; Numba's own threads would oversubscribe them), and
        # one GPU per block for a GPU run.
        remote = ray.remote(simulate_block).options(
            num_cpus=1,
            num_gpus=1 if spec.device == "gpu" else 0,
            runtime_env={"env_vars": {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}},
        )
        cpus = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
        window = max(2, RAY_BLOCKS_PER_CPU * cpus)
        pending: deque[Any] = deque()
        todo = iter(blocks)
        for first, count in todo:
            pending.append(remote.remote(spec, first, count))
            if len(pending) >= window:
                break
        while pending:
            result = ray.get(pending.popleft())
            following = next(todo, None)
            if following is not None:
                pending.append(remote.remote(spec, *following))
            yield result
    finally:
        if started:
            ray.shutdown()


@dataclass(frozen=True)
class CohortSummary:
    path: Path
    patients: int
    rows: int
    columns: tuple[str, ...]
    blocks: int


def file_metadata(spec: CohortSpec) -> dict[bytes, bytes]:
    run = {**asdict(spec), "columns": list(spec.columns()), "units": _units(spec)}
    run.pop("block_size")  # the file does not depend on it
    return {LABEL_KEY: model.HEURISTIC_LABEL.encode(), METADATA_KEY: json.dumps(run).encode()}


def _units(spec: CohortSpec) -> dict[str, str]:
    if spec.trajectories:
        return {name: "dimensionless (model state)" for name in model.STATES}
    return {name: o.unit for name, o in model.OBSERVABLES.items()}


def write_cohort(
    spec: CohortSpec,
    out: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    ray_address: str | None = None,
) -> CohortSummary:
    """Simulate the cohort block by block and stream it to the Parquet file ``out``."""
    check_spec(spec)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise model.BackendUnavailable(PYARROW_MISSING) from None
    value_dtype = np.float32 if spec.dtype == "float32" else np.float64
    dtypes: dict[str, Any] = {"patient": np.int64, "day": np.float64}
    dtypes.update({name: value_dtype for name in spec.columns()[2:]})
    arrow_types = {np.int64: pa.int64(), np.float64: pa.float64(), np.float32: pa.float32()}
    schema = pa.schema(
        [pa.field(name, arrow_types[dt]) for name, dt in dtypes.items()],
        metadata=file_metadata(spec),
    )

    def batch(columns: dict[str, np.ndarray]) -> Any:
        # Arrow arrays straight from the NumPy buffers: ``pa.array`` would import pandas
        # (half a second of the command's start) only to ask whether these are pandas.
        arrays = []
        for name, dt in dtypes.items():
            data = np.ascontiguousarray(columns[name], dtype=dt)
            arrays.append(
                pa.Array.from_buffers(arrow_types[dt], len(data), [None, pa.py_buffer(data)])
            )
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    blocks = spec.blocks()
    results = _ray(spec, blocks, ray_address) if ray_address else _local(spec, blocks)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    done = rows = 0
    try:
        with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
            for (_first, count), columns in zip(blocks, results, strict=True):
                writer.write_batch(batch(columns))
                done += count
                rows += len(columns["patient"])
                if progress is not None:
                    progress(done, spec.patients)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return CohortSummary(out, spec.patients, rows, spec.columns(), len(blocks))
