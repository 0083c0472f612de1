"""Possible duplicate patients on the coordinator's worklist at the size of a busy
registry (issue 14): 100,000 patients, the registry of ``bench/search.py``'s ``seed``.

- **first look**: what a process's first look costs (``worklist.duplicate_pairs`` with
  nothing known: the registry's matching columns read once and each patient compared
  with those who share a birth date, email or phone), repeated ``--repeat`` times, each
  as a process that has not looked yet;
- **later look**: after ``--register`` patients are registered through the service
  (half of them people registered already, spelt another way, born the same day), the
  look that brings the pairs up to date from the audit trail; and a look with nothing
  changed since.

Wall time and the process's CPU time (``time.process_time``) of each, printed and
written to ``bench/out/duplicate-pairs-<backend>.json`` with the machine's load average.

    .venv/bin/python bench/duplicate_pairs.py --backend sqlite
    .venv/bin/python bench/duplicate_pairs.py --backend both --patients 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import OUT, make_database  # bench/api.py: a fresh database
from common import backends  # bench/common.py: the databases asked for
from search import _translit, seed  # bench/search.py: the registry of 100,000


def _timed(call: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def bench(backend: str, args: argparse.Namespace) -> None:
    from respira.kit.actors import Actor
    from respira.kit.db import Database
    from respira.patients import service, worklist
    from respira.patients.schemas import PatientIn

    url = make_database(backend, "duplicates")
    rows = seed(url, args.patients)
    db = Database(url)
    coordinator = Actor(user_id=1, role="coordinator", name="Bench Coordinator")

    def look() -> int:
        with db.session() as s:
            return len(worklist.duplicate_pairs(s, coordinator) or ())

    results: dict[str, Any] = {"backend": backend, "patients": args.patients}
    first = []
    for _ in range(args.repeat):
        worklist._known = weakref.WeakKeyDictionary()  # a process that has not looked yet
        wall, cpu, pairs = _timed(look)
        first.append((wall, cpu))
        print(f"  first look: {wall:.2f} s (CPU {cpu:.2f} s), {pairs} pairs", flush=True)
    results["first_look"] = {
        "wall_s": [round(w, 3) for w, _ in first],
        "cpu_s": [round(c, 3) for _, c in first],
        "pairs": pairs,
    }
    rng = random.Random(14)
    later = []
    for _ in range(args.repeat):
        with db.transaction() as s:
            for n in range(args.register):
                row = rng.choice(rows)
                again = n % 2 == 0  # registered already, spelt in the other alphabet
                data = {
                    "first_name": _translit(row["first_name"]) if again else "Bench",
                    "last_name": _translit(row["last_name"]) if again else f"Newcomer {n}",
                    "date_of_birth": row["date_of_birth"] if again else "1999-12-31",
                    "sex_at_birth": row["sex_at_birth"],
                    "country": row["country"],
                }
                service.add_patient(s, Actor.system("bench"), PatientIn.model_validate(data))
        wall, cpu, pairs = _timed(look)
        unchanged, unchanged_cpu, _ = _timed(look)
        later.append((wall, cpu, unchanged, unchanged_cpu))
        print(
            f"  after {args.register} registrations: {wall * 1000:.0f} ms "
            f"(CPU {cpu * 1000:.0f} ms), {pairs} pairs; "
            f"nothing changed: {unchanged * 1000:.1f} ms",
            flush=True,
        )
    results["later_look"] = {
        "registered": args.register,
        "wall_ms_median": round(statistics.median(w for w, *_ in later) * 1000, 1),
        "cpu_ms_median": round(statistics.median(c for _, c, *_ in later) * 1000, 1),
        "unchanged_wall_ms_median": round(statistics.median(u for *_, u, _ in later) * 1000, 2),
    }
    results["load_average"] = os.getloadavg()
    db.dispose()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"duplicate-pairs-{backend}.json").write_text(json.dumps(results, indent=2))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    for option, default, what in [
        ("--patients", 100_000, "patients in the registry"),
        ("--repeat", 3, "first looks, and later looks"),
        ("--register", 20, "registrations before each later look"),
    ]:
        ap.add_argument(option, type=int, default=default, help=what)
    args = ap.parse_args()
    for backend in backends(args):
        print(f"{backend}: {args.patients} patients", flush=True)
        bench(backend, args)


if __name__ == "__main__":
    main()
