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
p99 under 50 ms for both on both databases. Results are printed and written to
``bench/out/search-<backend>.json`` with the machine's load average.

    .venv/bin/python bench/search.py                    # SQLite, then PostgreSQL
    .venv/bin/python bench/search.py --backend sqlite --patients 100000 --requests 4000
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
from api import (  # bench/api.py: the server and load helpers
    OUT,
    PASSWORD,
    free_port,
    load,
    make_database,
    start_server,
    token,
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
    port = free_port()
    server = start_server(url, port, args.workers)
    try:
        tok = token(port)
        rng = random.Random(7)
        for name, paths in [
            ("patient_search", search_paths(rows, 4000, rng)),
            ("duplicate_check", duplicate_paths(rows, 4000, rng)),
        ]:
            load_before = os.getloadavg()
            res = load(port, paths, tok, args.requests, args.concurrency)
            res["load_average_before"] = [round(x, 2) for x in load_before]
            res["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
            results[name] = res
            print(
                f"[{backend}] {name}: {res['requests_per_s']} req/s, p50 {res['p50_ms']} ms, "
                f"p99 {res['p99_ms']} ms, statuses {res['statuses']}, load average "
                f"{res['load_average_before'][0]} → {res['load_average_after'][0]}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"search-{backend}.json").write_text(json.dumps(results, indent=2))
    return results


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--requests", type=int, default=8_000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--patients", type=int, default=100_000)
    args = ap.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        bench(backend, args)


if __name__ == "__main__":
    main()
