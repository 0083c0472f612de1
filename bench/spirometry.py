"""Spirometry benchmarks: the vectorised GLI function and the CSV batch command.

    .venv/bin/python bench/spirometry.py [--records 1000000] [--repeat 5]

1. ``reference_values`` on N records, all five parameters, GLI-2012, mixed sexes and
   all five ethnic groups, with measured values (so pred, LLN, ULN, z and % predicted
   are all computed): once as five independent calls, once sharing the demographic
   work through ``prepare_reference``. Best of ``--repeat`` runs.
2. ``respira spirometry interpret`` (``python -m respira.batch.cli``) on an N-row
   CSV with every input column, GLI-2012, end to end in a fresh process (start-up,
   reading, computing, writing). Best of ``--csv-repeat`` runs.

Everything runs on one thread and one core: BLAS/OpenMP pools are pinned to 1 before
NumPy loads and the process is bound to a single CPU. A calibration line times
``np.exp`` and ``np.log`` on 1M doubles, because the machine's speed drifts (it is a
shared VM) and the LMS method needs 8 of them per record and parameter.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from respira.science.spirometry import (  # noqa: E402
    ETHNICITIES,
    PARAMETERS,
    prepare_reference,
    reference,
    reference_values,
)

OUT = Path(__file__).resolve().parent / "out"


def _pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"cpu {cpu}"
    return "not pinned (no sched_setaffinity)"


def _best(function: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def _population(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    fvc = rng.uniform(1.5, 5.5, n)
    return {
        "sex": np.where(rng.random(n) < 0.5, "M", "F"),
        "ethnicity": np.array(ETHNICITIES)[rng.integers(0, 5, n)],
        "age": rng.uniform(5.0, 90.0, n),
        "height_cm": rng.uniform(110.0, 195.0, n),
        "fev1": fvc * rng.uniform(0.55, 0.95, n),
        "fvc": fvc,
        "fev1fvc": rng.uniform(0.55, 0.95, n),
        "fef2575": rng.uniform(0.5, 5.0, n),
        "fef75": rng.uniform(0.2, 2.0, n),
    }


def bench_function(n: int, repeat: int) -> dict[str, float]:
    people = _population(n)
    demographics = {k: people[k] for k in ("sex", "age", "height_cm", "ethnicity")}

    def independent() -> None:
        for parameter in PARAMETERS:
            reference_values("gli-2012", parameter, **demographics, measured=people[parameter])

    def shared() -> None:
        prepared = prepare_reference("gli-2012", **demographics)
        for parameter in PARAMETERS:
            prepared.values(parameter, people[parameter])

    shared()  # load the tables, warm the allocator
    prepared = prepare_reference("gli-2012", **demographics)
    results = {
        "independent_s": _best(independent, repeat),
        "shared_s": _best(shared, repeat),
        "prepare_s": _best(lambda: prepare_reference("gli-2012", **demographics), repeat),
    }
    for parameter in PARAMETERS:
        results[f"{parameter}_s"] = _best(lambda p=parameter: prepared.values(p, people[p]), repeat)
    x = np.random.default_rng(2).uniform(-1.0, 1.0, 1_000_000)
    out = np.empty_like(x)
    results["exp_1m_s"] = _best(lambda: np.exp(x, out=out), 20)
    results["log_1m_s"] = _best(lambda: np.log(x + 2.0, out=out), 20)
    return results


def write_csv(path: Path, n: int) -> None:
    people = _population(n, seed=7)
    rng = np.random.default_rng(8)
    fev1 = np.round(people["fev1"], 2)
    fvc = np.round(people["fvc"], 2)
    fev1_post = np.round(fev1 * rng.uniform(1.0, 1.2, n), 2)
    fvc_post = np.round(np.maximum(fvc * rng.uniform(1.0, 1.1, n), fev1_post), 2)
    columns = [
        [f"P{i}" for i in range(n)],
        people["sex"].tolist(),
        np.round(people["age"], 4).tolist(),
        np.round(people["height_cm"], 1).tolist(),
        people["ethnicity"].tolist(),
        fev1.tolist(),
        fvc.tolist(),
        fev1_post.tolist(),
        fvc_post.tolist(),
        np.round(people["fef2575"], 2).tolist(),
        np.round(people["fef75"], 2).tolist(),
    ]
    with path.open("w") as f:
        f.write("id,sex,age,height_cm,ethnicity,fev1,fvc,fev1_post,fvc_post,fef2575,fef75\n")
        f.writelines(",".join(map(str, row)) + "\n" for row in zip(*columns, strict=True))


def bench_csv(n: int, repeat: int) -> dict[str, float]:
    OUT.mkdir(exist_ok=True)
    source = OUT / f"spirometry_{n}.csv"
    target = OUT / f"spirometry_{n}_out.csv"
    if not source.exists():
        write_csv(source, n)
    command = [
        sys.executable,
        "-m",
        "respira.batch.cli",
        "interpret",
        str(source),
        "-o",
        str(target),
        "--equations",
        "gli-2012",
        "--no-progress",
    ]

    def run() -> None:
        target.unlink(missing_ok=True)  # a fresh file, as for a new export
        subprocess.run(command, check=True, capture_output=True)

    best = _best(run, repeat)
    return {
        "csv_s": best,
        "csv_in_mb": source.stat().st_size / 1e6,
        "csv_out_mb": target.stat().st_size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--csv-repeat", type=int, default=3)
    parser.add_argument("--skip-csv", action="store_true")
    args = parser.parse_args()
    pinned = _pin_to_one_core()
    n = args.records
    print(
        f"# spirometry benchmark, {dt.date.today()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {pinned}, NumPy {np.__version__}, Python "
        f"{platform.python_version()}"
    )
    kernels = ["numpy"]
    if reference._lms is not None and reference._cpu_has_avx2_fma():
        kernels.insert(0, "c")
    for kernel in kernels:
        with reference.use_backend(kernel):
            r = bench_function(n, args.repeat)
        if kernel == kernels[0]:
            floor = 25 * r["exp_1m_s"] + 15 * r["log_1m_s"]
            print(
                f"calibration: np.exp {r['exp_1m_s'] * 1e3:.2f} ms, np.log "
                f"{r['log_1m_s'] * 1e3:.2f} ms per 1M doubles; 5 parameters need 25 exp + "
                f"15 log per record: {floor * n / 1e6 * 1e3:.0f} ms for {n:,} records with NumPy"
            )
        print(f"## kernel: {kernel}" + ("  (the default here)" if kernel == kernels[0] else ""))
        for label, key in (
            ("five independent calls", "independent_s"),
            ("prepare once + five parameters", "shared_s"),
        ):
            t = r[key]
            print(
                f"reference_values, {n:,} records x 5 parameters, {label}: {t * 1e3:.0f} ms = "
                f"{n / t / 1e6:.2f} M records/s = {5 * n / t / 1e6:.1f} M record-parameters/s"
            )
        print(
            f"  prepare_reference (sex, ethnicity, logs, spline index): "
            f"{r['prepare_s'] * 1e3:.0f} ms"
        )
        for parameter in PARAMETERS:
            t = r[f"{parameter}_s"]
            print(f"  {parameter:8s} values(): {t * 1e3:.0f} ms = {n / t / 1e6:.1f} M records/s")
    if not args.skip_csv:
        c = bench_csv(n, args.csv_repeat)
        print(
            f"respira spirometry interpret, {n:,} rows ({c['csv_in_mb']:.0f} MB in, "
            f"{c['csv_out_mb']:.0f} MB out), GLI-2012, end to end: {c['csv_s']:.2f} s "
            f"= {n / c['csv_s'] / 1e3:.0f} k rows/s"
        )


if __name__ == "__main__":
    main()
