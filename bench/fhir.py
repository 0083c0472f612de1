"""FHIR benchmarks: ``Patient/{id}/$everything`` on the demo clinic's fullest patient
(target under 100 ms), and the bulk export of a synthetic registry of 10,000 patients
(target under 60 s, memory flat in the number of patients: peak RSS at 1,000 and at
10,000 patients).

    .venv/bin/python bench/fhir.py                        # both, SQLite
    .venv/bin/python bench/fhir.py --only everything --requests 500
    .venv/bin/python bench/fhir.py --only export --patients 10000 --small 1000 --workers 2
    .venv/bin/python bench/fhir.py --only export --backend postgres

``$everything``: the demo clinic (``respira.app.demo.seed``, 50 patients) is seeded into
a fresh SQLite file under ``bench/out/``; its fullest patient (the most resources in
``$everything``) is read by a physician with a bearer token through the app's ASGI
interface (Starlette's test client: routing, access check, every step's service, the
bundle, JSON; no sockets), one request at a time after a warm-up.

The registry: patients bulk-inserted through the models' tables (Core inserts), each
with a diagnostic visit holding what a work-up records — pre/post-bronchodilator
spirometry interpreted by ``respira.science.spirometry`` (GLI Global), a marker panel
classified by ``respira.science.phenotype``, an ACT scored by ``respira.science.control``
and a treatment history — so that every patient exports a Patient, a Condition, 14
Observations and 2–5 MedicationStatements. The export (``respira.fhir.service.export``,
what ``respira fhir export`` runs) runs in a fresh process per size, which reports its
wall time, the CPU time of itself and its workers, its peak resident set size and its
largest worker's, and the resident set after the first and the last page; the load
average before and after goes with them (other work on the machine moves the wall time).
PostgreSQL: a database of its own, ``respira_bench_fhir``. Results are printed and
written to ``bench/out/fhir-<backend>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
PASSWORD = "benchmark password 1"  # noqa: S105 (a throw-away benchmark account)
PHYSICIAN = {
    "email": "bench-physician@clinic.example.org",
    "name": "Bench Physician",
    "role": "physician",
    "password": PASSWORD,
}
EVERYTHING_TARGET_MS = 100.0
EXPORT_TARGET_S = 60.0


def fresh_sqlite(name: str) -> str:
    """The URL of a new SQLite file under bench/out (any earlier one removed)."""
    for leftover in OUT.glob(f"{name}*"):
        leftover.unlink()
    return f"sqlite:///{OUT / name}"


# --- $everything on the demo clinic -------------------------------------------------------


def _fullest_patients(database: Any) -> dict[str, int]:
    """The demo patient with the most resources, and the one with the largest bundle
    (a signed summary's PDF travels in it)."""
    from respira.fhir import record
    from respira.kit.actors import Actor
    from respira.patients import service as patients_service

    actor = Actor.system("bench")
    with database.session() as s:
        page = patients_service.search_patients(s, actor, None, 1, 100)
        found = {p.id: record.everything(s, actor, p.id) for p in page.items}
    weights = {pid: (len(r), len(json.dumps(r))) for pid, r in found.items()}
    return {
        "most_resources": max(weights, key=lambda k: (weights[k][0], -k)),
        "largest_bundle": max(weights, key=lambda k: (weights[k][1], -k)),
    }


def _timed_everything(client: Any, pid: int, requests: int) -> dict[str, Any]:
    from ward import _summary

    path = f"/fhir/Patient/{pid}/$everything"
    first = client.get(path)
    kinds: dict[str, int] = {}
    for entry in first.json()["entry"]:
        kind = entry["resource"]["resourceType"]
        kinds[kind] = kinds.get(kind, 0) + 1
    for _ in range(min(50, requests)):
        client.get(path)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    for _ in range(requests):
        t0 = time.perf_counter()
        status = client.get(path).status_code
        latencies.append((time.perf_counter() - t0) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "patient_id": pid,
        "resources": sum(kinds.values()),
        "by_type": kinds,
        "bytes": len(first.content),
        **_summary(latencies, statuses),
    }


def bench_everything(requests: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from respira.accounts import service as accounts_service
    from respira.app import demo
    from respira.app import migrate as dbmod
    from respira.app.factory import create_app
    from respira.kit.actors import Actor
    from respira.kit.config import get_settings
    from respira.kit.db import Database

    started = time.perf_counter()
    url = fresh_sqlite("fhir-demo.db")
    dbmod.upgrade(url)
    database = Database(url)
    demo.seed(database)
    with database.transaction() as s:
        accounts_service.create_user(s, Actor.system("bench"), **PHYSICIAN)
    results: dict[str, Any] = {"seed_s": round(time.perf_counter() - started, 1)}
    patients = _fullest_patients(database)
    get_settings.cache_clear()
    app = create_app(get_settings(), db=database)
    with TestClient(app) as client:
        r = client.post(
            "/api/v1/auth/token", data={"username": PHYSICIAN["email"], "password": PASSWORD}
        )
        r.raise_for_status()
        client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        for name, pid in patients.items():
            results[name] = _timed_everything(client, pid, requests)
    database.dispose()
    return results


# --- the synthetic registry -------------------------------------------------------------------

FIRST = ["Anna", "Lukas", "Maria", "Ivan", "Sofia", "Jonas", "Olga", "Emil", "Lea", "Omar"]
LAST = ["Berg", "Novak", "Keller", "Sokolov", "Haas", "Marin", "Brandt", "Orlov", "Vogel"]
# The tables whose ids the registry gives (PostgreSQL's sequences are moved past them).
REGISTRY_TABLES = (
    "patients",
    "diagnostic_visits",
    "spirometry_sessions",
    "marker_panels",
    "questionnaire_responses",
    "treatment_histories",
)
BIOLOGICS = ["none", "none", "none", "mepolizumab", "omalizumab", "dupilumab", "benralizumab"]


def _patient_row(rng: random.Random, i: int, now: dt.datetime, mrns: set[str]) -> dict[str, Any]:
    from respira.patients.service import new_record_number, search_key

    mrn = new_record_number()
    while mrn in mrns:
        mrn = new_record_number()
    mrns.add(mrn)
    first, last = FIRST[i % len(FIRST)], f"{LAST[(i // 7) % len(LAST)]}-{i}"
    sex = "female" if rng.random() < 0.6 else "male"
    return {
        "id": i,
        "medical_record_number": mrn,
        "first_name": first,
        "last_name": last,
        "search_key": search_key(first, last, mrn),
        "date_of_birth": dt.date(1950 + rng.randint(0, 55), rng.randint(1, 12), rng.randint(1, 28)),
        "sex_at_birth": sex,
        "country": rng.choice(["DE", "AT", "CH", "KZ", "AE"]),
        "preferred_language": rng.choice(["de", "en", "ru"]),
        "email": f"registry{i}@mail.example",
        "phone": None,
        "height_cm": round(rng.gauss(172 if sex == "male" else 163, 7), 1),
        "weight_kg": round(rng.gauss(78, 12), 1),
        "smoking_pack_years": 0.0,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def _work_up(
    rng: random.Random, i: int, patient: dict[str, Any], now: dt.datetime
) -> dict[str, list[dict[str, Any]]]:
    """One visit with the four records a work-up makes, interpreted as diagnostics does."""
    from respira.kit.validation import decimal_age
    from respira.science.control import score_questionnaire
    from respira.science.phenotype import classify_phenotype
    from respira.science.spirometry import interpret_session, sex_code

    day = (now - dt.timedelta(days=rng.randint(30, 700))).date()
    stamp = {"recorded_at": now, "recorded_by_id": None, "recorded_by_name": "Registry import"}
    age = decimal_age(patient["date_of_birth"], day)
    sex = sex_code(patient["sex_at_birth"])
    fvc = round(rng.uniform(2.4, 4.8), 2)
    fev1 = round(fvc * rng.uniform(0.5, 0.82), 2)
    measured = {
        "fev1_pre_l": fev1,
        "fvc_pre_l": fvc,
        "fev1_post_l": round(fev1 * rng.uniform(1.02, 1.2), 2),
        "fvc_post_l": round(fvc * rng.uniform(1.0, 1.06), 2),
        "fef2575_pre_l_s": None,
    }
    spiro = interpret_session(
        "gli-global", sex=sex, age=age, height_cm=patient["height_cm"], ethnicity=None, **measured
    )
    markers = {
        "blood_eosinophils_per_ul": float(rng.choice([120, 180, 260, 340, 520])),
        "feno_ppb": float(rng.randint(10, 80)),
        "total_ige_iu_ml": float(rng.randint(20, 900)),
    }
    phenotype = classify_phenotype(age_years=age, **markers)
    answers = [rng.randint(1, 5) for _ in range(5)]
    act = score_questionnaire("act", answers)
    ocs = rng.random() < 0.2
    return {
        "diagnostic_visits": [{"id": i, "patient_id": i, "visit_date": day, **stamp}],
        "spirometry_sessions": [
            {
                "id": i,
                "visit_id": i,
                **measured,
                "bronchodilator": "salbutamol",
                "bronchodilator_dose_ug": 400.0,
                "equations": "gli-global",
                "ethnicity": None,
                "sex": sex,
                "age_years": age,
                "height_cm": patient["height_cm"],
                "equations_version": spiro.equations_version,
                "pattern": spiro.pattern,
                "severity": spiro.severity,
                "bdr": spiro.bdr,
                "bdr_fev1_pct_pred_change": spiro.bdr_fev1_pct_pred_change,
                "bdr_fvc_pct_pred_change": spiro.bdr_fvc_pct_pred_change,
                "bdr_2005": spiro.bdr_2005,
                "notes": list(spiro.notes),
                **stamp,
            }
        ],
        "spirometry_results": [
            {"session_id": i, "key": key, **asdict(r)} for key, r in spiro.results.items()
        ],
        "marker_panels": [
            {
                "id": i,
                "visit_id": i,
                **markers,
                "on_maintenance_ocs": ocs,
                "on_biologic": False,
                "age_years": age,
                "phenotype": phenotype.label,
                "phenotype_detail": phenotype.as_dict(),
                "phenotype_version": phenotype.version,
                **stamp,
            }
        ],
        "questionnaire_responses": [
            {
                "id": i,
                "visit_id": i,
                "instrument": "act",
                "answers": answers,
                "score": act.score,
                "band": act.band,
                "algorithm_version": act.algorithm_version,
                "respondent": "self",
                "mode": "paper",
                **stamp,
            }
        ],
        "treatment_histories": [
            {
                "id": i,
                "visit_id": i,
                "ics_dose_level": rng.choice(["medium", "high", "high"]),
                "laba": True,
                "lama": rng.random() < 0.4,
                "maintenance_ocs": ocs,
                "ocs_dose_mg_per_day": 5.0 if ocs else None,
                "biologic": rng.choice(BIOLOGICS),
                "gina_step": rng.choice([4, 5, 5]),
                "gina_track": None,
                "severe_exacerbations_12m": 2,
                "hospitalisations_12m": 0,
                "last_exacerbation_date": None,
                "last_systemic_cs_date": None,
                "rescue_puffs_per_week": float(rng.randint(2, 40)),
                "adherence_confirmed": "yes",
                "inhaler_technique_confirmed": "yes",
                **stamp,
            }
        ],
    }


def make_registry(url: str, patients: int, seed: int = 12) -> float:
    """A migrated database with ``patients`` worked-up patients; seconds taken."""
    from sqlalchemy import insert

    from respira.app import migrate as dbmod
    from respira.app.steps import load
    from respira.kit.db import Database

    started = time.perf_counter()
    dbmod.upgrade(url)
    tables = load().metadata.tables
    database = Database(url)
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    mrns: set[str] = set()
    for start in range(1, patients + 1, 2000):
        rows: dict[str, list[dict[str, Any]]] = {"patients": []}
        for i in range(start, min(start + 2000, patients + 1)):
            patient = _patient_row(rng, i, now, mrns)
            rows["patients"].append(patient)
            for table, found in _work_up(rng, i, patient, now).items():
                rows.setdefault(table, []).extend(found)
        with database.write_engine.begin() as conn:
            for table, found in rows.items():
                conn.execute(insert(tables[table]), found)
    if not database.is_sqlite:  # the inserts gave ids: move the sequences past them
        with database.write_engine.begin() as conn:
            for table in REGISTRY_TABLES:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
    database.dispose()
    return time.perf_counter() - started


def export_in_fresh_process(url: str, workers: int) -> dict[str, Any]:
    """Run the export in a new Python process (so its peak RSS is the export's alone)."""
    with tempfile.TemporaryDirectory(dir=OUT) as out:
        done = subprocess.run(
            [sys.executable, __file__, "--run-export", url, out, str(workers)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "RESPIRA_LOG_LEVEL": "WARNING"},
        )
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _status_mib(field: str, pid: int | str = "self") -> float | None:
    """A size from ``/proc/<pid>/status`` in MiB (``VmRSS``: resident now; ``VmHWM``: its
    peak since the process started its program), None when the process is gone.
    ``getrusage``'s ``ru_maxrss`` is not used: Linux carries it over ``exec`` from the
    process that forked, so a fresh process would report the bench's own peak (the
    registry it generated), and a worker its exporter's."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _workers() -> list[int]:
    """The ids of this process's children (the export's worker processes)."""
    found: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        found += [int(pid) for pid in (task / "children").read_text().split()]
    return found


def _run_export(url: str, out: str, workers: int) -> None:
    """The child's part: export, then print the time, the CPU time and the memory: the
    peak resident set (its own; its workers', the largest), and the resident set after
    the first and the last page of patients (its own alone, the largest worker's with
    workers: flat when memory does not grow with patients)."""
    from respira.fhir import service
    from respira.kit.db import Database

    samples: list[float] = []
    worker_peak = 0.0

    def measure(done: int, total: int) -> None:
        nonlocal worker_peak
        if workers <= 1:
            samples.append(_status_mib("VmRSS") or 0.0)
            return
        sizes = [(_status_mib("VmRSS", pid), _status_mib("VmHWM", pid)) for pid in _workers()]
        samples.append(max((now or 0.0 for now, _ in sizes), default=0.0))
        worker_peak = max([worker_peak, *(peak or 0.0 for _, peak in sizes)])

    database = Database(url)
    started = time.perf_counter()
    result = service.export(database, Path(out), workers=workers, progress=measure)
    seconds = time.perf_counter() - started
    database.dispose()
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    sizes = {p.name: p.stat().st_size for p in Path(out).glob("*.ndjson")}
    print(
        json.dumps(
            {
                "patients": result.patients,
                "seconds": round(seconds, 2),
                "patients_per_s": round(result.patients / seconds),
                "cpu_s": round(sum(u.ru_utime + u.ru_stime for u in (own, children)), 1),
                "resources": sum(result.counts.values()),
                "counts": result.counts,
                "mb_written": round(sum(sizes.values()) / 2**20, 1),
                "peak_rss_mib": round(_status_mib("VmHWM") or 0.0, 1),
                "worker_peak_rss_mib": round(worker_peak, 1) if workers > 1 else None,
                "rss_after_first_page_mib": round(samples[0], 1) if samples else None,
                "rss_after_last_page_mib": round(samples[-1], 1) if samples else None,
                "workers": workers,
            }
        )
    )


def fresh_postgres() -> str:
    """The URL of a new PostgreSQL database of its own (``respira_bench_fhir``, any
    earlier one dropped; bench/api.py's database is left alone)."""
    from sqlalchemy import create_engine, text

    from api import PG_ADMIN

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "respira_bench_fhir" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "respira_bench_fhir"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/respira_bench_fhir"


def bench_export(backend: str, patients: int, small: int, workers: int) -> dict[str, Any]:
    results: dict[str, Any] = {"backend": backend, "cpus": os.cpu_count()}
    for n in (small, patients):
        url = fresh_sqlite("fhir-registry.db") if backend == "sqlite" else fresh_postgres()
        seeded = make_registry(url, n)
        load = os.getloadavg()[0]  # other work on the machine: the figures depend on it
        run = export_in_fresh_process(url, workers)
        results[str(n)] = {
            "seed_s": round(seeded, 1),
            **run,
            "load_before": round(load, 1),
            "load_after": round(os.getloadavg()[0], 1),
        }
    return results


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--run-export":
        _run_export(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["everything", "export"])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    os.environ.setdefault("RESPIRA_LOG_LEVEL", "WARNING")
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    if args.only in (None, "everything"):
        found = results["everything"] = bench_everything(args.requests)
        for name in ("most_resources", "largest_bundle"):
            r = found[name]
            verdict = "ok" if r["p99_ms"] < EVERYTHING_TARGET_MS else "MISSED"
            print(
                f"$everything, {name.replace('_', ' ')}: patient {r['patient_id']} "
                f"({r['resources']} resources, {r['bytes']} bytes): p50 {r['p50_ms']} ms, "
                f"p99 {r['p99_ms']} ms, max {r['max_ms']} ms; target < "
                f"{EVERYTHING_TARGET_MS} ms: {verdict}"
            )
    if args.only in (None, "export"):
        r = results["export"] = bench_export(args.backend, args.patients, args.small, args.workers)
        for n in (args.small, args.patients):
            e = r[str(n)]
            verdict = "ok" if e["seconds"] < EXPORT_TARGET_S else "MISSED"
            whose = "the largest worker" if e["workers"] > 1 else "the exporter"
            print(
                f"export of {n} patients ({args.backend}, {e['workers']} worker(s)): "
                f"{e['seconds']} s wall, {e['cpu_s']} s CPU ({e['patients_per_s']}/s), "
                f"{e['resources']} resources, {e['mb_written']} MB; peak RSS "
                f"{e['peak_rss_mib']} MiB (largest worker {e['worker_peak_rss_mib']} MiB), "
                f"RSS after the first/last page {e['rss_after_first_page_mib']}/"
                f"{e['rss_after_last_page_mib']} MiB ({whose}); "
                f"load average {e['load_before']} → "
                f"{e['load_after']}; target < {EXPORT_TARGET_S} s: {verdict}"
            )
    (OUT / f"fhir-{args.backend}.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
