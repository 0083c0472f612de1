"""A small HTTP/1.1 load generator: C concurrent keep-alive connections send a fixed
number of GET requests in total and record each request's latency.

It runs as its own process (the benchmark starts it with ``python bench/loadgen.py``)
so that the server and the client do not share an interpreter. Standard library only;
uses uvloop when installed. Output: one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time


async def _client(
    host: str,
    port: int,
    paths: list[str],
    headers: bytes,
    counter: list[int],
    total: int,
    latencies: list[float],
    statuses: dict[int, int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while True:
            if counter[0] >= total:
                return
            counter[0] += 1
            path = paths[counter[0] % len(paths)]
            request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\n").encode() + headers + b"\r\n"
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            length = 0
            chunked = False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                lname = name.strip().lower()
                if lname == b"content-length":
                    length = int(value.strip())
                elif lname == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            if chunked:
                while True:
                    size = int((await reader.readline()).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            elif length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def run(
    host: str,
    port: int,
    paths: list[str],
    token: str | None,
    concurrency: int,
    total: int,
    warmup: int,
) -> dict[str, object]:
    headers = b"Connection: keep-alive\r\n"
    if token:
        headers += f"Authorization: Bearer {token}\r\n".encode()
    if warmup:
        await asyncio.gather(
            *[
                _client(host, port, paths, headers, [0], warmup // concurrency, [], {})
                for _ in range(concurrency)
            ]
        )
    counter = [0]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    await asyncio.gather(
        *[
            _client(host, port, paths, headers, counter, total, latencies, statuses)
            for _ in range(concurrency)
        ]
    )
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "concurrency": concurrency,
        "seconds": round(elapsed, 3),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(pct(50), 2),
        "p90_ms": round(pct(90), 2),
        "p99_ms": round(pct(99), 2),
        "max_ms": round(latencies[-1] * 1000, 2),
        "statuses": statuses,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--paths-file", required=True, help="one request path per line")
    ap.add_argument("--token-file", help="a file holding the bearer token")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--warmup", type=int, default=2_000)
    args = ap.parse_args()
    with open(args.paths_file) as fh:
        paths = [line.strip() for line in fh if line.strip()]
    random.Random(1).shuffle(paths)
    token = None
    if args.token_file:
        with open(args.token_file) as fh:
            token = fh.read().strip()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(
        run(args.host, args.port, paths, token, args.concurrency, args.requests, args.warmup)
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
