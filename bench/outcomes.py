"""Outcome registry benchmark: the cohort loader and the full outcome report on a
synthetic registry of 100,000 patients (>= 2,000,000 observations), on SQLite and on
PostgreSQL.

    .venv/bin/python bench/outcomes.py [--patients 100000] [--repeat 5]
        [--backend sqlite|postgres|both] [--postgres-url URL]

For each backend a fresh database is made (SQLite: ``bench/out/outcomes.db``, replaced;
PostgreSQL: a new database ``respira_bench_outcomes_<pid>`` on the server of
``--postgres-url`` (default ``RESPIRA_BENCH_POSTGRES_URL`` or the local server), dropped
at the end), migrated, and filled by the synthetic registry generator (``respira demo
registry``'s code, seed 1, as of 2026-12-06). Then, best of ``--repeat`` after one warm-up:

1. ``load_cohort`` unfiltered (every course);
2. ``load_cohort`` filtered: women at GINA step 5 treated since 2023 (a cohort the size a
   medical director asks about, about a fifth of the registry);
3. the full report, unfiltered: ``load_cohort`` + ``report.build_report`` (every table,
   chart and interval of the outcome report);
4. the full report, filtered as in 2.

The timings run in a fresh process (spawned after the generator's): each line is the
best wall-clock time and, beside it, the best process CPU time. Memory: the peak of
Python allocations (tracemalloc, NumPy arrays included) during one full unfiltered
report, and the measuring process's peak resident set (``ru_maxrss``).
Targets (issue 8): full report < 2 s, filtered < 1 s, memory < 1 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import platform
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from respira.app import migrate
from respira.app.steps import load
from respira.kit.db import Database
from respira.outcomes import service
from respira.outcomes.registry import CohortFilter

TODAY = dt.date(2026, 12, 6)
SEED = 1
FILTERED = CohortFilter(sex="female", gina_step=5, treated_from=dt.date(2023, 1, 1))
OUT = Path(__file__).resolve().parent / "out"


def _report_builder() -> Callable[[Any], Any] | None:
    try:
        from respira.outcomes.report import build_report
    except ImportError:  # the report is not built yet: time the loader only
        return None
    return lambda cohort: build_report(cohort, min_cell=10)


@contextmanager
def sqlite_database() -> Iterator[str]:
    OUT.mkdir(exist_ok=True)
    path = OUT / "outcomes.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    yield f"sqlite:///{path}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    name = f"respira_bench_outcomes_{os.getpid()}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """The best wall-clock time and the best process CPU time of ``repeat`` runs after a
    warm-up (the database's pages in its cache, the statements compiled). On a shared
    machine the CPU time is the steadier figure; on SQLite it is all the work (the
    database runs in the process), on PostgreSQL the server's part is not in it."""
    fn()
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def fill(backend: str, url: str, patients: int) -> dict[str, Any]:
    """A fresh registry of ``patients`` synthetic patients, with statistics gathered."""
    migrate.upgrade(url)
    database = Database(url)
    started = time.perf_counter()
    with database.transaction() as session:
        made = service.generate(session, patients, SEED, today=TODAY)
    generated = time.perf_counter() - started
    if backend == "postgres":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with database.engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    database.dispose()
    return {
        "backend": backend,
        "patients": made.patients,
        "courses": made.courses,
        "windows": made.windows,
        "observations": made.observations,
        "generate_s": generated,
    }


def measure(url: str, repeat: int) -> dict[str, Any]:
    """The timings, in a fresh process (its peak resident set is the report's)."""
    load()
    database = Database(url)
    build = _report_builder()
    figures: dict[str, Any] = {}
    with database.session() as session:

        def cohort(filters: CohortFilter) -> Any:
            return service.load_cohort(session, filters, TODAY)

        figures["n_filtered"] = cohort(FILTERED).n_treated
        figures["load"] = best(lambda: cohort(CohortFilter()), repeat)
        figures["load_filtered"] = best(lambda: cohort(FILTERED), repeat)
        if build is not None:
            figures["report"] = best(lambda: build(cohort(CohortFilter())), repeat)
            figures["report_filtered"] = best(lambda: build(cohort(FILTERED)), repeat)
        tracemalloc.start()
        if build is not None:
            build(cohort(CohortFilter()))
        else:
            cohort(CohortFilter())
        figures["peak_python_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    database.dispose()
    figures["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def _ms(pair: tuple[float, float]) -> str:
    return f"{pair[0] * 1000:6.0f} ms (CPU {pair[1] * 1000:5.0f} ms)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "RESPIRA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args(argv)
    load()
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    spawn = multiprocessing.get_context("spawn")
    for backend in backends:
        maker = sqlite_database() if backend == "sqlite" else postgres_database(args.postgres_url)
        with maker as url:
            f = fill(backend, url, args.patients)
            with spawn.Pool(1) as pool:
                f.update(pool.apply(measure, (url, args.repeat)))
        print(
            f"{backend}: {f['patients']:,} patients, {f['courses']:,} courses, "
            f"{f['windows']:,} windows, {f['observations']:,} observations, "
            f"generated in {f['generate_s']:.1f} s"
        )
        print(f"  load_cohort, all courses:          {_ms(f['load'])}")
        print(f"  load_cohort, filtered ({f['n_filtered']:,}):  {_ms(f['load_filtered'])}")
        if "report" in f:
            print(f"  full report, all courses:          {_ms(f['report'])}  target < 2000 ms")
            print(
                f"  full report, filtered:             {_ms(f['report_filtered'])}"
                "  target < 1000 ms"
            )
        print(f"  peak Python allocations, a report: {f['peak_python_mb']:6.0f} MiB")
        print(f"  peak resident set, the measuring process: {f['rss_mb']:6.0f} MiB  (< 1024)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
