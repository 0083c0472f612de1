"""API benchmark: 10,000 patients and 1,000,000 audit records, then requests per second
and p50/p99 latency of the single-patient read and of the paged search, from a second
process on loopback with 32 concurrent keep-alive clients for a fixed number of
requests; and the time of ``respira audit verify`` over the million records.

    .venv/bin/python bench/api.py                       # SQLite, then PostgreSQL if reachable
    .venv/bin/python bench/api.py --backend sqlite --workers 2 --requests 20000

The server is ``respira serve`` (Uvicorn) with the given number of worker processes and
production settings (argon2 defaults, access log on at INFO level is replaced by our own
route-template log, which the benchmark keeps at WARNING). Results are printed as a
table and written to ``bench/out/api-<backend>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))
PG_ADMIN = os.environ.get(
    "RESPIRA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "benchmark password 1"  # noqa: S105 (a throw-away benchmark account)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_database(backend: str, name: str = "bench") -> str:
    """A fresh database (``name``: another benchmark's own, so that two can run at once)."""
    from sqlalchemy import create_engine, text

    if backend == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "respira_{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "respira_{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/respira_{name}"


def seed(url: str, patients: int, audit_records: int) -> tuple[list[int], list[str]]:
    """Bulk-load patients and a valid, hash-chained audit trail."""
    from sqlalchemy import insert

    from respira.app import migrate as db
    from respira.kit import audit
    from respira.kit.db import Database
    from respira.patients.models import Patient
    from respira.patients.service import new_record_number, search_key

    db.upgrade(url)
    database = Database(url)
    rng = random.Random(42)
    firsts = [
        "Anna",
        "Lukas",
        "Olga",
        "Dmitri",
        "Oliver",
        "Amelia",
        "Fatima",
        "Omar",
        "Sophie",
        "Jonas",
        "Irina",
        "James",
        "Emma",
        "Arman",
        "Mariam",
        "Paul",
    ]
    lasts = [
        "Müller",
        "Schmidt",
        "Ivanov",
        "Smirnova",
        "Smith",
        "Jones",
        "Garcia",
        "Haddad",
        "Weber",
        "Popova",
        "Taylor",
        "Akhmetov",
        "Nasser",
        "Fischer",
        "Brown",
        "Evans",
    ]
    now = dt.datetime.now(dt.UTC)
    rows = []
    mrns: set[str] = set()
    for i in range(patients):
        mrn = new_record_number()
        while mrn in mrns:
            mrn = new_record_number()
        mrns.add(mrn)
        first, last = rng.choice(firsts), f"{rng.choice(lasts)}{i % 97}"
        rows.append(
            {
                "medical_record_number": mrn,
                "first_name": first,
                "last_name": last,
                "search_key": search_key(first, last, mrn),
                "date_of_birth": dt.date(
                    1940 + rng.randint(0, 65), rng.randint(1, 12), rng.randint(1, 28)
                ),
                "sex_at_birth": rng.choice(["female", "male"]),
                "country": "DE",
                "preferred_language": "de",
                "email": f"p{i}@mail.example",
                "phone": f"+49301{i:07d}",
                "height_cm": 150 + rng.random() * 45,
                "weight_kg": 50 + rng.random() * 50,
                "smoking_pack_years": 0.0,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    with database.transaction() as s:
        s.execute(insert(Patient), rows)
    with database.transaction() as s:
        from sqlalchemy import select

        ids = list(s.scalars(select(Patient.id).order_by(Patient.id)))
    # The audit trail: one create per patient, then updates, chained.
    started = time.perf_counter()
    prev = audit.GENESIS_HASH
    key = audit.audit_key()  # keyed chains (migration 0022)
    batch: list[dict[str, Any]] = []
    engine = database.write_engine
    table = audit.AuditRecord.__table__
    t0 = now - dt.timedelta(days=365)
    for seq in range(1, audit_records + 1):
        at = t0 + dt.timedelta(seconds=seq * 30)
        pid = ids[(seq - 1) % len(ids)] if seq <= len(ids) else rng.choice(ids)
        action = "create" if seq <= len(ids) else "update"
        before = None if action == "create" else f'{{"weight_kg":{60 + seq % 40}.0}}'
        after = f'{{"weight_kg":{61 + seq % 40}.0}}'
        content = (1, "coordinator", "Bench Coordinator", "patient", str(pid), action, before,
                   after, None)  # fmt: skip
        h = audit._record_hash(
            key, audit._record_payload(seq, audit._timestamp(at), content, None, None, prev)
        )
        batch.append(
            {
                "seq": seq,
                "at": at,
                "actor_id": 1,
                "actor_role": "coordinator",
                "actor_name": "Bench Coordinator",
                "entity_type": "patient",
                "entity_id": str(pid),
                "action": action,
                "before": before,
                "after": after,
                "reason": None,
                "prev_hash": prev,
                "hash": h,
            }
        )
        prev = h
        if len(batch) == 50_000:
            with engine.begin() as conn:
                conn.execute(insert(table), batch)
            batch.clear()
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(table), batch)
    print(
        f"  seeded {patients} patients and {audit_records} audit records "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    from respira.accounts import service as auth_service
    from respira.kit.actors import Actor

    with database.transaction() as s:
        for email, name, role in [
            ("bench@clinic.example.org", "Bench Physician", "physician"),
            ("admin@clinic.example.org", "Bench Admin", "admin"),
        ]:
            auth_service.create_user(
                s, Actor.system("bench"), email=email, name=name, role=role, password=PASSWORD
            )
    database.dispose()
    names = [f"{rng.choice(lasts)[:4].lower()}" for _ in range(200)] + [
        f"{rng.choice(firsts).lower()} {rng.choice(lasts)[:3].lower()}" for _ in range(200)
    ]
    return ids, names


def start_server(
    url: str, port: int, workers: int, access_log: bool = True
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        # The benchmark switch of the access records (respira.audit_trail.access):
        # off only to measure what recording every staff read costs.
        "RESPIRA_ACCESS_LOG": "true" if access_log else "false",
        "RESPIRA_DATABASE_URL": url,
        "RESPIRA_LOG_LEVEL": "WARNING",
        "RESPIRA_SECRET_KEY": "bench-secret-" + "b" * 40,
    }
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "respira"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                time.sleep(1.0)
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def token(port: int, email: str = "bench@clinic.example.org") -> str:
    data = urllib.parse.urlencode({"username": email, "password": PASSWORD}).encode()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/auth/token", data) as r:
        return str(json.loads(r.read())["access_token"])


def load(port: int, paths: list[str], tok: str, requests: int, concurrency: int) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "paths.txt").write_text("\n".join(paths))
    (OUT / "token.txt").write_text(tok)
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "loadgen.py"),
            "--port",
            str(port),
            "--paths-file",
            str(OUT / "paths.txt"),
            "--token-file",
            str(OUT / "token.txt"),
            "--requests",
            str(requests),
            "--concurrency",
            str(concurrency),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(r.stdout))


def verify_time(url: str) -> tuple[float, str]:
    env = {**os.environ, "RESPIRA_DATABASE_URL": url}
    started = time.perf_counter()
    r = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "respira"), "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if r.returncode != 0:
        raise RuntimeError(f"verify failed: {r.stdout} {r.stderr}")
    return elapsed, r.stdout.strip()


def bench(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"[{backend}] seeding …", flush=True)
    url = make_database(backend)
    ids, names = seed(url, args.patients, args.audit_records)
    results: dict[str, Any] = {
        "backend": backend,
        "workers": args.workers,
        "patients": args.patients,
        "audit_records": args.audit_records,
        "cpus": os.cpu_count(),
        "date": dt.date.today().isoformat(),
    }
    if args.only != "read":
        seconds, out = verify_time(url)
        results["audit_verify_s"] = round(seconds, 2)
        print(f"[{backend}] respira audit verify: {seconds:.1f} s ({out})", flush=True)
    port = free_port()
    server = start_server(url, port, args.workers)
    try:
        tok = token(port)
        rng = random.Random(7)
        read_paths = [f"/api/v1/patients/{rng.choice(ids)}" for _ in range(5000)]
        search_paths = [
            f"/api/v1/patients?q={urllib.parse.quote_plus(n)}&page={rng.randint(1, 3)}&page_size=20"
            for n in names
        ]
        audit_paths = [
            f"/api/v1/audit?entity_type=patient&entity_id={rng.choice(ids)}" for _ in range(2000)
        ]
        loads = [
            ("patient_read", read_paths, args.requests),
            ("patient_search", search_paths, args.requests // 4),
        ]
        for name, paths, n in loads[:1] if args.only == "read" else loads:
            res = load(port, paths, tok, n, args.concurrency)
            results[name] = res
            print(
                f"[{backend}] {name}: {res['requests_per_s']} req/s, p50 {res['p50_ms']} ms, "
                f"p99 {res['p99_ms']} ms, statuses {res['statuses']}",
                flush=True,
            )
        if args.only != "read":
            res = load(
                port,
                audit_paths,
                token(port, "admin@clinic.example.org"),
                args.requests // 4,
                args.concurrency,
            )
            results["audit_trail_read"] = res
            print(
                f"[{backend}] audit_trail_read (admin): {res['requests_per_s']} req/s, "
                f"p50 {res['p50_ms']} ms, p99 {res['p99_ms']} ms",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    (OUT / f"api-{backend}.json").write_text(json.dumps(results, indent=2))
    return results


def _load_average() -> float:
    return round(os.getloadavg()[0], 1)


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children now running (the
    server and its workers; Linux ``/proc``). Less disturbed by a busy machine than
    requests per second: what the server spent, not how long it waited for a core."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def access_ab(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """The single-patient read with the access records on and off, interleaved (on, off,
    on, off, ...; the order inside a pair alternates), one database, a fresh server per
    run: on a shared machine whose speed drifts, a pair's ratio is measured under the
    same load, and the median of the ratios is the figure."""
    print(f"[{backend}] seeding …", flush=True)
    url = make_database(backend, "access_ab")
    ids, _names = seed(url, args.patients, args.audit_records)
    rng = random.Random(7)
    read_paths = [f"/api/v1/patients/{rng.choice(ids)}" for _ in range(5000)]
    pairs: list[dict[str, Any]] = []
    for i in range(args.ab):
        runs: dict[str, Any] = {}
        for on in (True, False) if i % 2 == 0 else (False, True):
            port = free_port()
            server = start_server(url, port, args.workers, access_log=on)
            try:
                before, cpu = _load_average(), _cpu_s(server.pid)
                res = load(port, read_paths, token(port), args.requests, args.concurrency)
                # Per request served: the loadgen's warm-up (62 per connection) included.
                served = args.requests + 62 * args.concurrency
                res["server_cpu_us_per_request"] = round((_cpu_s(server.pid) - cpu) / served * 1e6)
                res["load_average"] = [before, _load_average()]
                runs["on" if on else "off"] = res
            finally:
                server.terminate()
                server.wait(timeout=30)
        ratio = runs["on"]["requests_per_s"] / runs["off"]["requests_per_s"]
        cpu_ratio = (
            runs["on"]["server_cpu_us_per_request"] / runs["off"]["server_cpu_us_per_request"]
        )
        pairs.append({**runs, "ratio": round(ratio, 3), "cpu_ratio": round(cpu_ratio, 3)})
        print(
            f"[{backend}] pair {i + 1}: on {runs['on']['requests_per_s']} req/s "
            f"(p50 {runs['on']['p50_ms']} ms, {runs['on']['server_cpu_us_per_request']} µs "
            f"CPU/request), off {runs['off']['requests_per_s']} req/s (p50 "
            f"{runs['off']['p50_ms']} ms, {runs['off']['server_cpu_us_per_request']} µs), "
            f"ratio {ratio:.3f}, CPU ratio {cpu_ratio:.3f}, load "
            f"{runs['on']['load_average']} / {runs['off']['load_average']}",
            flush=True,
        )
    ratios = sorted(p["ratio"] for p in pairs)
    median = statistics.median(ratios)
    cpu_ratios = sorted(p["cpu_ratio"] for p in pairs)
    results = {
        "backend": backend,
        "workers": args.workers,
        "patients": args.patients,
        "audit_records": args.audit_records,
        "requests": args.requests,
        "date": dt.date.today().isoformat(),
        "pairs": pairs,
        "median_ratio": round(median, 3),
        "ratio_range": [ratios[0], ratios[-1]],
        "median_cpu_ratio": round(statistics.median(cpu_ratios), 3),
        "cpu_ratio_range": [cpu_ratios[0], cpu_ratios[-1]],
    }
    print(
        f"[{backend}] on/off requests/s: median ratio {median:.3f} "
        f"(range {ratios[0]:.3f}–{ratios[-1]:.3f}, {len(ratios)} pairs); server CPU per "
        f"request: median ratio {statistics.median(cpu_ratios):.3f} "
        f"(range {cpu_ratios[0]:.3f}–{cpu_ratios[-1]:.3f})",
        flush=True,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"api-access-ab-{backend}.json").write_text(json.dumps(results, indent=2))
    return results


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--audit-records", type=int, default=1_000_000)
    ap.add_argument(
        "--only",
        choices=["all", "read"],
        default="all",
        help="read: only the single-patient read (no verify, search or audit trail read)",
    )
    ap.add_argument(
        "--ab",
        type=int,
        default=0,
        metavar="PAIRS",
        help="instead: the single-patient read with the access records on and off "
        "(RESPIRA_ACCESS_LOG), PAIRS interleaved pairs, one database",
    )
    args = ap.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if args.ab:
            access_ab(backend, args)
        else:
            bench(backend, args)


if __name__ == "__main__":
    main()
