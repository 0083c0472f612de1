"""The mechanism step's user-facing timings (issue 15): the model's page for a one-year
single-patient run, and the start of ``respira model simulate`` when its compiled
kernels are already on disk.

    .venv/bin/python bench/model_page.py [--views 20] [--runs 3] [--patients 10000]

1. **The page** (``GET /model``, the whole request through the app: the run, the seven
   SVG charts, the table, the template), on a fresh process:
   - the first view (the phenotype's 10-year burn-in, the untreated year, the treated
     year; each is kept afterwards);
   - a view with a dose that was never asked for before (one year of one patient is
     integrated: the usual case);
   - a view asked for before (answered from the kept runs).
   The target: under one second for a one-year run.
2. **The command line**: ``respira model simulate`` run ``--runs`` times in fresh
   processes (the first may compile the Numba kernels and cache them on disk; the
   following load them), each with 10 patients (the start-up: imports, loading the
   kernels, the Parquet writer) and with ``--patients`` (the throughput). Also
   ``respira model --help`` (the cost of the command itself). The target: a second run
   starts in under two seconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
RESPIRA = Path(sys.executable).with_name("respira")


def _page_timings(views: int) -> dict[str, float | list[float]]:
    os.environ.setdefault("RESPIRA_SECRET_KEY", "bench-secret-" + "x" * 40)
    os.environ.setdefault("RESPIRA_LOG_LEVEL", "WARNING")
    folder = Path(tempfile.mkdtemp(prefix="respira-model-bench-"))
    os.environ["RESPIRA_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    from fastapi.testclient import TestClient

    from respira.app import migrate
    from respira.app.factory import create_app
    from respira.kit.config import get_settings

    migrate.upgrade(os.environ["RESPIRA_DATABASE_URL"])
    get_settings.cache_clear()
    app = create_app(get_settings())

    def timed(client: TestClient, query: str) -> float:
        start = time.perf_counter()
        response = client.get(f"/model?{query}")
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.text[:500]
        return elapsed

    with TestClient(app) as client:
        first = timed(client, "amount=2&dose_days=0")
        new = [timed(client, f"amount={1 + i / 10:.1f}&dose_days=0,{7 + i}") for i in range(views)]
        again = [timed(client, "amount=2&dose_days=0") for _ in range(views)]
    return {"first": first, "new": new, "again": again}


def _command(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([str(RESPIRA), *args], check=True, capture_output=True)
    return time.perf_counter() - start


def _simulate(patients: int, out: Path) -> float:
    return _command(
        "model", "simulate", "--patients", str(patients), "--days", "365", "--dose", "0:2",
        "--backend", "numba", "--seed", "1", "--out", str(out), "--no-progress",
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=20, help="page views of each kind")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per command")
    parser.add_argument("--patients", type=int, default=10_000, help="cohort of the throughput")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    print(f"# model page and CLI, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}")  # fmt: skip

    page = _page_timings(args.views)
    new, again = page["new"], page["again"]
    assert isinstance(new, list) and isinstance(again, list)
    print("## GET /model, one patient-year, through the app (ms)")
    print(f"first view (burn-in + untreated + treated year): {1000 * float(page['first']):.0f}")
    print(
        f"new dose scenario (one year integrated): median {1000 * statistics.median(new):.0f}, "
        f"max {1000 * max(new):.0f} (n={len(new)})"
    )
    print(
        f"scenario asked before: median {1000 * statistics.median(again):.0f}, "
        f"max {1000 * max(again):.0f}"
    )

    print("## respira model (s, fresh processes)")
    helps = [_command("model", "--help") for _ in range(args.runs)]
    print(f"respira model --help: {', '.join(f'{t:.2f}' for t in helps)}")
    small = [_simulate(10, OUT / "model_small.parquet") for _ in range(args.runs)]
    print(f"simulate 10 patients × 365 d: {', '.join(f'{t:.2f}' for t in small)} (run 1, 2, …)")
    big = [_simulate(args.patients, OUT / "model_big.parquet") for _ in range(args.runs)]
    rates = ", ".join(f"{t:.2f} s = {args.patients / t:,.0f}/s" for t in big)
    print(f"simulate {args.patients} patients × 365 d, end to end: {rates}")


if __name__ == "__main__":
    main()
