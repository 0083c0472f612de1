"""The machine's floor for the latency targets: a bare FastAPI application (one route,
``GET /floor``, answering a constant JSON object with no database, no middleware and
no authentication) served by Uvicorn in two worker processes on one ``SO_REUSEPORT``
socket as ``respira serve --workers 2`` serves Respira, loaded by the same generator
(``bench/loadgen.py``, 32 keep-alive connections) as ``bench/search.py`` and
``bench/api.py``.

No request of Respira's can be faster than this one on the same machine: its p99 at 32
connections is the lowest p99 any target there can have.

    .venv/bin/python bench/floor.py [--workers 2] [--requests 10000] [--concurrency 32]

The result is printed and written to ``bench/out/floor.json`` with the load average.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api import free_port  # bench/api.py
from common import load

OUT = Path(__file__).resolve().parent / "out"


def app():  # type: ignore[no-untyped-def]
    from fastapi import FastAPI

    bare = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @bare.get("/floor")
    def floor() -> dict[str, object]:
        return {"id": 1, "name": "floor", "items": [1, 2, 3]}

    return bare


def _worker(port: int) -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(
        app, factory=True, host="127.0.0.1", port=port, access_log=False, log_level="warning"
    )
    uvicorn.Server(config).run(sockets=[sock])


def _wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the bare server did not answer on port {port}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--concurrency", type=int, default=32)
    args = ap.parse_args()
    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_worker, args=(port,)) for _ in range(args.workers)]
    for w in workers:
        w.start()
    try:
        _wait_for(port)
        time.sleep(1.0)  # every worker listening
        res = load(port, ["/floor"], "", args.requests, args.concurrency)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.join(timeout=10)
    res.update(workers=args.workers, cpus=os.cpu_count(), target_p99_ms=50)
    print(
        f"[floor] bare FastAPI, {args.workers} workers, {args.concurrency} connections: "
        f"{res['requests_per_s']} req/s, p50 {res['p50_ms']} ms, p99 {res['p99_ms']} ms, "
        f"load average {res['load_average_before'][0]} → {res['load_average_after'][0]}",
        flush=True,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "floor.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
