"""Patient search and the duplicate check at the size of a busy registry: 100,000
patients, then requests per second and p50/p99 latency of

- ``patient_search``: ``GET /api/v1/patients?q=…`` with what people type: a family name
  or its beginning, given and family name, a name in Cyrillic for a patient written in
  Latin letters (and the other way round), an umlaut spelt out ("Mueller"), a part of
  a record number, and a misspelt name (one in twenty: nothing contains it, so the
  fuzzy search answers);
- ``duplicate_check``: ``GET /api/v1/patients/duplicate-candidates`` with the name,
  birth date, email and phone of a person being registered (half of them registered
  already, spelt another way),

from a second process on loopback with 32 concurrent keep-alive clients (bench/loadgen.py),
against ``respira serve`` with the given number of workers. The target (issue 14) is a
p99 under 50 ms for both on both databases. The single-patient read
(``GET /api/v1/patients/{id}``, one row by its key) runs first under the same load: the
cheapest request of the API, whose p99 is the floor this machine sets for any request.

Before the load, what each request costs, which the load of a shared machine distorts
far less than latency (``--cost N``, 2,000 by default; 0 leaves it out): the service
calls in this process (CPU time per call, ``time.process_time``, and p50/p99 of one
call after another), then one client against a server with one worker (the server's
CPU time per request, and the single-patient read as the yardstick).

Results are printed and written to ``bench/out/search-<backend>.json`` with the
machine's load average.

    .venv/bin/python bench/search.py                    # SQLite, then PostgreSQL
    .venv/bin/python bench/search.py --backend sqlite --patients 100000 --requests 4000
    .venv/bin/python bench/search.py --requests 0       # the costs only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import OUT, PASSWORD, make_database, token  # bench/api.py: database and token
from common import (  # bench/common.py: command line, server, load, CPU time
    backends,
    load,
    load_parser,
    percentiles_ms,
    sequential_cost,
    served,
)

# Given names (female, male) and family names (masculine form) of the clinic's
# countries; Russian family names take -a for a woman. Cyrillic and Latin spellings
# are both in use, as in a real registry of an international clinic.
PEOPLE = {
    "DE": (
        ["Anna", "Sophie", "Marie", "Lena", "Hannah", "Lea", "Katharina", "Julia", "Jürgen"],
        ["Lukas", "Jonas", "Felix", "Paul", "Maximilian", "Leon", "Stefan", "Jörg"],
        ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Schulz",
         "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder",
         "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann"],
    ),
    "RU": (
        ["Olga", "Irina", "Natalia", "Elena", "Мария", "Анна", "Татьяна", "Юлия", "Светлана"],
        ["Dmitri", "Sergei", "Alexei", "Иван", "Андрей", "Михаил", "Николай", "Pyotr"],
        ["Ivanov", "Smirnov", "Kuznetsov", "Popov", "Sokolov", "Volkov", "Иванов", "Смирнов",
         "Кузнецов", "Попов", "Лебедев", "Козлов", "Новиков", "Морозов", "Петров", "Волков",
         "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов", "Голубев", "Виноградов"],
    ),
    "GB": (
        ["Amelia", "Isla", "Emily", "Olivia", "Ava", "Grace", "Charlotte"],
        ["Oliver", "George", "Harry", "Jack", "Noah", "Charlie", "Thomas"],
        ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Davies",
         "Thomas", "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White"],
    ),
    "US": (
        ["Olivia", "Emma", "Ava", "Sophia", "Isabella", "Mia"],
        ["James", "Michael", "David", "Daniel", "William", "Joseph"],
        ["Johnson", "Miller", "Davis", "Garcia", "Martinez", "Anderson", "Rodriguez",
         "Hernandez", "Lopez", "Gonzalez", "Moore", "Jackson", "Martin", "Lee"],
    ),
    "KZ": (
        ["Aigerim", "Dana", "Madina", "Айгерим", "Динара"],
        ["Nursultan", "Arman", "Yerlan", "Ерлан", "Нурлан"],
        ["Akhmetov", "Nurlanov", "Seitkali", "Bekov", "Omarov", "Ахметов", "Садыков"],
    ),
    "AE": (
        ["Fatima", "Aisha", "Mariam", "Noura"],
        ["Omar", "Khalid", "Yousef", "Ahmed"],
        ["Al Mansouri", "Al Hashimi", "Haddad", "Nasser", "Saleh", "Al Zaabi"],
    ),
    "FR": (
        ["Camille", "Léa", "Chloé", "Manon"],
        ["Louis", "Gabriel", "Hugo", "Jérôme"],
        ["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard"],
    ),
    "PL": (
        ["Zofia", "Małgorzata", "Agnieszka"],
        ["Jakub", "Łukasz", "Piotr"],
        ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski"],
    ),
}  # fmt: skip
CODES = {"DE": "49", "RU": "7", "GB": "44", "US": "1", "KZ": "7", "AE": "971", "FR": "33",
         "PL": "48"}  # fmt: skip
FEMININE = ("ov", "ev", "in", "ов", "ев", "ин", "ёв")


def family_name(masculine: str, female: bool) -> str:
    if female and masculine.endswith(FEMININE):
        return masculine + ("а" if masculine[-1] in "вн" else "a")
    return masculine


def seed(url: str, patients: int) -> list[dict[str, Any]]:
    """Bulk-load the registry (through the ORM's insert, so that the database's own
    index machinery, the SQLite triggers included, does its work) and two accounts."""
    from sqlalchemy import insert

    from respira.accounts import service as auth_service
    from respira.app import migrate as db
    from respira.kit.actors import Actor
    from respira.kit.db import Database
    from respira.patients import matching
    from respira.patients.models import Patient
    from respira.patients.service import new_record_number, search_key

    db.upgrade(url)
    database = Database(url)
    rng = random.Random(42)
    now = dt.datetime.now(dt.UTC)
    rows: list[dict[str, Any]] = []
    mrns: set[str] = set()
    started = time.perf_counter()
    countries = list(PEOPLE)
    for i in range(patients):
        country = rng.choice(countries)
        females, males, lasts = PEOPLE[country]
        female = rng.random() < 0.5
        first = rng.choice(females if female else males)
        last = family_name(rng.choice(lasts), female)
        mrn = new_record_number()
        while mrn in mrns:
            mrn = new_record_number()
        mrns.add(mrn)
        rows.append(
            {
                "medical_record_number": mrn,
                "first_name": first,
                "last_name": last,
                "search_key": search_key(first, last, mrn),
                "name_key": matching.name_key(first, last),
                "date_of_birth": dt.date(
                    1930 + rng.randint(0, 75), rng.randint(1, 12), rng.randint(1, 28)
                ),
                "sex_at_birth": "female" if female else "male",
                "country": country,
                "preferred_language": "en",
                "email": f"p{i}@mail.example",
                "phone": f"+{CODES[country]}{rng.randint(100, 999)}{i:07d}",
                "height_cm": 150 + rng.random() * 45,
                "weight_kg": 50 + rng.random() * 50,
                "smoking_pack_years": 0.0,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    for start in range(0, len(rows), 10_000):
        with database.transaction() as s:
            s.execute(insert(Patient), rows[start : start + 10_000])
    with database.transaction() as s:
        for email, name, role in [
            ("bench@clinic.example.org", "Bench Coordinator", "coordinator"),
        ]:
            auth_service.create_user(
                s, Actor.system("bench"), email=email, name=name, role=role, password=PASSWORD
            )
    # The steady state of a registry that grew over years, not the minute after a bulk
    # load: PostgreSQL's autovacuum has moved the trigram indexes' pending entries into
    # the index and gathered statistics; SQLite's FTS5 has merged its segments.
    if not database.is_sqlite:
        with database.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE patients"
            )
    else:
        with database.write_engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO patient_search (patient_search) VALUES ('optimize')")
            conn.exec_driver_sql("ANALYZE")
    database.dispose()
    print(f"  seeded {patients} patients in {time.perf_counter() - started:.1f} s", flush=True)
    return rows


def _translit(text: str) -> str:
    from respira.patients.matching import fold_latin

    return fold_latin(text).title()


def search_paths(rows: list[dict[str, Any]], n: int, rng: random.Random) -> list[str]:
    from respira.patients.matching import fold_latin

    queries = []
    for k in range(n):
        p = rng.choice(rows)
        first, last = p["first_name"], p["last_name"]
        kind = k % 20
        if kind < 6:
            q = last
        elif kind < 10:
            q = last[: max(4, len(last) // 2)]
        elif kind < 14:
            q = f"{first} {last[:4]}"
        elif kind < 16:  # the other alphabet, or the umlaut spelt out
            latin = fold_latin(last)
            q = _translit(last) if latin != last.casefold() else last.replace("ü", "ue")
        elif kind < 19:
            q = p["medical_record_number"][4:11]
        else:  # misspelt: a letter dropped from a Latin family name
            latin = _translit(last)
            i = rng.randint(1, len(latin) - 2)
            q = latin[:i] + latin[i + 1 :]
        page = 1 if k % 4 else 2
        queries.append(f"/api/v1/patients?q={urllib.parse.quote_plus(q)}&page={page}")
    return queries


def duplicate_paths(rows: list[dict[str, Any]], n: int, rng: random.Random) -> list[str]:
    paths = []
    for k in range(n):
        p = rng.choice(rows)
        if k % 2:  # a registered person, spelt another way
            params = {
                "first_name": _translit(p["first_name"]),
                "last_name": _translit(p["last_name"]),
                "date_of_birth": p["date_of_birth"].isoformat(),
                "email": p["email"].upper() if k % 4 == 1 else f"new{k}@mail.example",
                "phone": p["phone"] if k % 4 == 3 else f"+4930{k:07d}",
                "country": p["country"],
            }
        else:  # someone new
            params = {
                "first_name": p["first_name"],
                "last_name": p["last_name"] + "berg",
                "date_of_birth": dt.date(1990, 1 + k % 12, 1 + k % 28).isoformat(),
                "email": f"new{k}@mail.example",
                "phone": f"+4930{k:07d}",
                "country": "DE",
            }
        paths.append("/api/v1/patients/duplicate-candidates?" + urllib.parse.urlencode(params))
    return paths


def _query(path: str) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(path).query).items()}


def in_process_cost(url: str, search: list[str], duplicates: list[str]) -> dict[str, Any]:
    """The service calls of the two routes in this process, one after the other, each in
    a session of its own (as a request has), their answers serialised as the route
    serialises them: the CPU time per call (``time.process_time``, which the machine's
    load distorts far less than latency) and the p50/p99 of the calls' wall time."""
    from respira.kit.actors import Actor, Role
    from respira.kit.db import Database
    from respira.patients import service

    database = Database(url)
    actor = Actor(user_id=1, role=Role.COORDINATOR, name="bench")

    def search_call(params: dict[str, str]) -> None:
        with database.session() as s:
            service.search_patients(
                s, actor, params["q"], int(params["page"]), 20
            ).model_dump_json()

    def duplicate_call(params: dict[str, str]) -> None:
        with database.session() as s:
            found = service.find_duplicates(
                s,
                actor,
                first_name=params["first_name"],
                last_name=params["last_name"],
                date_of_birth=dt.date.fromisoformat(params["date_of_birth"]),
                email=params.get("email"),
                phone=params.get("phone"),
                country=params.get("country"),
            )
            for c in found:
                c.out().model_dump_json()

    results: dict[str, Any] = {}
    for name, call, paths in [
        ("patient_search", search_call, search),
        ("duplicate_check", duplicate_call, duplicates),
    ]:
        calls = [_query(p) for p in paths]
        for params in calls[:50]:  # warm-up: connections, statement caches
            call(params)
        walls = []
        cpu_started = time.process_time()
        for params in calls:
            started = time.perf_counter()
            call(params)
            walls.append(time.perf_counter() - started)
        cpu = time.process_time() - cpu_started
        results[name] = {
            "calls": len(calls),
            "cpu_ms_per_call": round(cpu / len(calls) * 1000, 2),
            **percentiles_ms(walls),
        }
    database.dispose()
    return results


def bench(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"[{backend}] seeding …", flush=True)
    url = make_database(backend, "bench_search")
    rows = seed(url, args.patients)
    results: dict[str, Any] = {
        "backend": backend,
        "workers": args.workers,
        "patients": args.patients,
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
        "date": dt.date.today().isoformat(),
        "target_p99_ms": 50,
    }
    rng = random.Random(7)
    paths = {
        "patient_search": search_paths(rows, 4000, rng),
        "duplicate_check": duplicate_paths(rows, 4000, rng),
        "patient_read": [f"/api/v1/patients/{rng.randint(1, len(rows))}" for _ in range(4000)],
    }
    if args.cost:
        n = args.cost
        cost = in_process_cost(url, paths["patient_search"][:n], paths["duplicate_check"][:n])
        for name, res in cost.items():
            print(
                f"[{backend}] {name} in process: {res['cpu_ms_per_call']} ms CPU per call, "
                f"p50 {res['p50_ms']} ms, p99 {res['p99_ms']} ms ({res['calls']} calls)",
                flush=True,
            )
        # One worker and one client: the server's CPU time per request, the single
        # patient read (GET /api/v1/patients/{id}) as the yardstick of what every
        # request costs besides its own work.
        with served(url, 1) as (port, pid):
            tok = token(port)
            for name, some in paths.items():
                res = sequential_cost(port, pid, some[:n], tok, url)
                cost[name] = {**cost.get(name, {}), "http_single_client": res}
                print(
                    f"[{backend}] {name} over HTTP, one client: "
                    f"{res['server_cpu_ms_per_request']} ms server CPU per request"
                    + (
                        f" (+ {res['database_cpu_ms_per_request']} ms PostgreSQL), "
                        if backend == "postgres"
                        else ", "
                    )
                    + f"p50 {res['p50_ms']} ms, p99 {res['p99_ms']} ms",
                    flush=True,
                )
        results["cost"] = cost
    if args.requests:
        # The single-patient read first, under the same load: the cheapest request of
        # the API (one row by its key), so its p99 is what this machine allows any
        # request at this concurrency, whatever the search costs.
        with served(url, args.workers) as (port, _pid):
            tok = token(port)
            for name in ("patient_read", "patient_search", "duplicate_check"):
                res = load(port, paths[name], tok, args.requests, args.concurrency)
                results[name] = res
                print(
                    f"[{backend}] {name}: {res['requests_per_s']} req/s, p50 {res['p50_ms']} "
                    f"ms, p99 {res['p99_ms']} ms, statuses {res['statuses']}, load average "
                    f"{res['load_average_before'][0]} → {res['load_average_after'][0]}",
                    flush=True,
                )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"search-{backend}.json").write_text(json.dumps(results, indent=2))
    return results


def main() -> None:
    ap = load_parser(__doc__, requests=8_000, patients=100_000)
    ap.add_argument(
        "--cost",
        type=int,
        default=2_000,
        help="calls of each kind for the in-process and one-client CPU cost (0: none)",
    )
    args = ap.parse_args()
    for backend in backends(args):
        bench(backend, args)


if __name__ == "__main__":
    main()
