"""Ward benchmark: the ward board and the bedside check on the demo clinic, target
under 100 ms each (a nurse at the bedside waits for the answer).

    .venv/bin/python bench/ward.py                      # 500 requests of each
    .venv/bin/python bench/ward.py --requests 2000 --keep

The demo clinic (``respira.app.demo.seed``: 50 patients, today's stays on the ward) is
seeded into a fresh SQLite file under ``bench/out/``; the app is driven in-process
through its ASGI interface (Starlette's test client over httpx: routing, access check,
validation, the use case, JSON; no sockets), one request at a time, as a nurse with a
bearer token: ``GET /api/v1/ward`` (today's board) and ``POST /api/v1/bedside-checks``
(the waiting patient's wristband and unit, a GO, stored and audited each time). Results
are printed and written to ``bench/out/ward-sqlite.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))
PASSWORD = "benchmark password 1"  # noqa: S105 (a throw-away benchmark account)
TARGET_MS = 100.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def _summary(latencies: list[float], statuses: dict[int, int]) -> dict[str, Any]:
    return {
        "requests": len(latencies),
        "p50_ms": round(_percentile(latencies, 50), 2),
        "p99_ms": round(_percentile(latencies, 99), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "max_ms": round(max(latencies), 2),
        "statuses": statuses,
    }


def _seed(url: str) -> tuple[str, str]:
    """Seed the demo clinic and a nurse account; the waiting patient's wristband code
    and unit DIN (or the first admitted patient's and a DIN of today's infusion)."""
    from sqlalchemy import select

    from respira.accounts import service as accounts_service
    from respira.app import demo
    from respira.app import migrate as dbmod
    from respira.kit.actors import Actor
    from respira.kit.db import Database
    from respira.patients import service as patients_service
    from respira.products.models import Unit
    from respira.treatment.models import Administration, Admission

    dbmod.upgrade(url)
    database = Database(url)
    demo.seed(database)
    with database.transaction() as s:
        accounts_service.create_user(
            s,
            Actor.system("bench"),
            email="bench-nurse@clinic.example.org",
            name="Bench Nurse",
            role="nurse",
            password=PASSWORD,
        )
    with database.session() as s:
        given = set(s.scalars(select(Administration.patient_id)))
        admissions = s.scalars(select(Admission).order_by(Admission.id)).all()
        waiting = next((a for a in admissions if a.patient_id not in given), None)
        if waiting is None:
            raise SystemExit("the demo clinic has no patient waiting on the ward")
        patient = patients_service.find(s, waiting.patient_id)
        assert patient is not None
        code = patient.medical_record_number
        course_id = waiting.course_id
        unit = s.scalars(select(Unit).where(Unit.status == "thawed").order_by(Unit.id)).first()
        din = unit.din if unit is not None else None
    if din is None:  # the demo left no unit waiting: the lab prepares one here
        din = _prepare(database, course_id)
    database.dispose()
    return code, din


def _prepare(database: Any, course_id: int) -> str:
    """A released, available unit of the demo's lots, prepared (allocated and thawed)
    for the course's first infusion by the demo laboratory."""
    from sqlalchemy import select

    from respira.accounts import service as accounts_service
    from respira.kit.actors import Actor
    from respira.kit.db import utcnow
    from respira.products import service as products_service
    from respira.products.models import Lot
    from respira.products.schemas import DosePreparationIn
    from respira.protocols import service as protocols_service

    with database.transaction() as s:
        lab = next(u for u in accounts_service.list_users(s) if u.role == "lab")
        actor = Actor(lab.id, lab.role, lab.name)
        course = protocols_service.get_course(s, actor, course_id)
        lot_id = s.scalars(
            select(Lot.id)
            .where(Lot.status == "released", Lot.donor_id.is_not(None))
            .order_by(Lot.id)
        ).first()
        if lot_id is None:
            raise SystemExit("the demo clinic has no released donor lot")
        cells = round(course.infusions[0].cells_total / 1e6 / 0.92, 1)
        (unit,) = products_service.create_units(s, actor, lot_id, 1, cells_million=cells)
        din = unit.din
        products_service.prepare_dose(
            s,
            actor,
            course_id,
            DosePreparationIn(
                infusion_day=course.infusions[0].day,
                dins=[din],
                thawed_at=utcnow(),
                post_thaw_viability_pct=92.0,
            ),
        )
    return din


def run(requests: int, keep: bool) -> dict[str, Any]:
    os.environ.setdefault("RESPIRA_LOG_LEVEL", "WARNING")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "ward.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    os.environ["RESPIRA_DATABASE_URL"] = url
    started = time.perf_counter()
    code, din = _seed(url)
    seeded_s = time.perf_counter() - started

    from fastapi.testclient import TestClient

    from respira.app.factory import create_app
    from respira.kit.config import get_settings
    from respira.kit.db import Database

    get_settings.cache_clear()
    database = Database(url)
    app = create_app(get_settings(), db=database)
    results: dict[str, Any] = {"seed_s": round(seeded_s, 1), "patient_code": code, "din": din}
    with TestClient(app) as client:
        r = client.post(
            "/api/v1/auth/token",
            data={"username": "bench-nurse@clinic.example.org", "password": PASSWORD},
        )
        r.raise_for_status()
        client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        first = client.post("/api/v1/bedside-checks", json={"patient_code": code, "din": din})
        results["bedside_answer"] = {k: first.json()[k] for k in ("ok", "reasons")}
        board = client.get("/api/v1/ward").json()
        results["board_patients"] = len(board["patients"])
        for name, call in (
            ("ward_board", lambda: client.get("/api/v1/ward")),
            (
                "bedside_check",
                lambda: client.post(
                    "/api/v1/bedside-checks", json={"patient_code": code, "din": din}
                ),
            ),
        ):
            for _ in range(min(50, requests)):  # warm-up
                call()
            latencies: list[float] = []
            statuses: dict[int, int] = {}
            for _ in range(requests):
                t0 = time.perf_counter()
                resp = call()
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
            results[name] = _summary(latencies, statuses)
    database.dispose()
    if not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep bench/out/ward.db")
    args = parser.parse_args()
    results = run(args.requests, args.keep)
    (OUT / "ward-sqlite.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"demo clinic seeded in {results['seed_s']} s; board: {results['board_patients']} ")
    print(f"bedside answer: {results['bedside_answer']}")
    print(f"{'route':<16}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}   target p99 < {TARGET_MS} ms")
    for name in ("ward_board", "bedside_check"):
        r = results[name]
        verdict = "ok" if r["p99_ms"] < TARGET_MS else "MISSED"
        print(f"{name:<16}{r['p50_ms']:>10}{r['p99_ms']:>10}{r['max_ms']:>10}   {verdict}")


if __name__ == "__main__":
    main()
