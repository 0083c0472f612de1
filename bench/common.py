"""What the load benchmarks of bench/ share besides bench/api.py's helpers (the database,
the server's start, the token): their command line, a server that is always stopped, a
load run whose files are its own (two benchmarks may run at once on this machine), and
what a request costs the server in CPU time, which the machine's load distorts far less
than latency.

``bench/search.py`` uses it; ``bench/api.py`` still has its own copies of the command
line, the teardown and ``load`` (its ``load`` writes ``bench/out/paths.txt``, which a
second benchmark running at the same time overwrites).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.pool import NullPool

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import ROOT, free_port, start_server  # bench/api.py


def load_parser(
    description: str | None, *, requests: int, patients: int
) -> argparse.ArgumentParser:
    """The command line of a load benchmark: which database, how many server workers,
    requests, concurrent connections and patients (a benchmark adds its own options)."""
    ap = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--requests", type=int, default=requests)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--patients", type=int, default=patients)
    return ap


def backends(args: argparse.Namespace) -> list[str]:
    return ["sqlite", "postgres"] if args.backend == "both" else [args.backend]


@contextmanager
def served(url: str, workers: int) -> Iterator[tuple[int, int]]:
    """``respira serve`` on a free port for the block: (port, server pid); stopped (and
    killed if it does not stop) when the block ends, however it ends."""
    port = free_port()
    server = start_server(url, port, workers)
    try:
        yield port, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


def load(port: int, paths: list[str], tok: str, requests: int, concurrency: int) -> dict[str, Any]:
    """``bench/loadgen.py`` in a process of its own: ``requests`` GETs of ``paths`` over
    ``concurrency`` keep-alive connections; its JSON summary, with the load average of
    the machine before and after."""
    with tempfile.TemporaryDirectory(prefix="respira-bench-") as tmp:
        paths_file, token_file = Path(tmp, "paths.txt"), Path(tmp, "token.txt")
        paths_file.write_text("\n".join(paths))
        token_file.write_text(tok)
        before = os.getloadavg()
        run = subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "loadgen.py"),
                "--port", str(port),
                "--paths-file", str(paths_file),
                "--token-file", str(token_file),
                "--requests", str(requests),
                "--concurrency", str(concurrency),
            ],
            capture_output=True,
            text=True,
            check=True,
        )  # fmt: skip
    result = dict(json.loads(run.stdout))
    result["load_average_before"] = [round(x, 2) for x in before]
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def process_tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and its living
    descendants (a server's workers), from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    used: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        used[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    total, stack = 0.0, [pid]
    while stack:
        p = stack.pop()
        total += used.get(p, 0.0)
        stack.extend(children.get(p, []))
    return total


def database_cpu_s(url: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends connected to ``url``'s database
    (0 for SQLite, which runs in the server's own process): with the server's, what a
    request costs the machine. A backend that ended meanwhile is not counted."""
    if url.startswith("sqlite"):
        return 0.0
    from sqlalchemy import create_engine, text

    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        pids = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        ).scalars()
        total = sum(process_tree_cpu_s(pid) for pid in pids)
    engine.dispose()
    return total


def sequential_cost(
    port: int, pid: int, paths: list[str], tok: str, url: str | None = None
) -> dict[str, Any]:
    """One client sends ``paths`` one after the other on one keep-alive connection (after
    a warm-up of 50): the server's CPU time per request (and, given the database ``url``,
    PostgreSQL's) and the latency p50/p99 of a server that is never queued, to set
    against the latency under concurrent load."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {tok}"}

    def get(path: str) -> None:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")

    for path in paths[:50]:
        get(path)
    latencies = []
    cpu_before = process_tree_cpu_s(pid)
    db_before = database_cpu_s(url) if url else 0.0
    for path in paths:
        started = time.perf_counter()
        get(path)
        latencies.append(time.perf_counter() - started)
    cpu = process_tree_cpu_s(pid) - cpu_before
    db_cpu = database_cpu_s(url) - db_before if url else 0.0
    conn.close()
    return {
        "requests": len(paths),
        "server_cpu_ms_per_request": round(cpu / len(paths) * 1000, 2),
        "database_cpu_ms_per_request": round(db_cpu / len(paths) * 1000, 2),
        **percentiles_ms(latencies),
    }


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    n = len(ordered)
    return {
        "p50_ms": round(ordered[n // 2] * 1000, 2),
        "p99_ms": round(ordered[min(n - 1, int(n * 0.99))] * 1000, 2),
    }
