"""Sign-in under load, against a real server (uvicorn on 127.0.0.1) with the real
argon2 cost (RFC 9106's second recommended option, the production default; the rest of
the suite hashes cheaply): anonymous clients failing to sign in, in parallel, must not
stall a staff member's write. Before the fix each failure hashed inside a write
transaction and so held SQLite's single write lock: a patient create took seconds.

The per-address throttle is raised out of the way here (every client is 127.0.0.1);
``test_sign_in_hardening.py`` tests it. Set ``RESPIRA_TEST_REPORT_FIGURES=1`` to print
the measured figures.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import statistics
import threading
import time
from collections.abc import Callable, Iterator

import httpx2 as httpx
import pytest

from respira.accounts import passwords
from respira.kit.config import Settings, get_settings
from tests.conftest import Account, patient_data

REAL_COST = {
    "RESPIRA_ARGON2_TIME_COST": "3",
    "RESPIRA_ARGON2_MEMORY_COST_KIB": "65536",
    "RESPIRA_ARGON2_PARALLELISM": "4",
    "RESPIRA_LOGIN_RATE_LIMIT": "1000000",
}
STAFF_WRITES = 20
P95_BOUND_S = 0.5


def _clear_caches() -> None:
    get_settings.cache_clear()
    passwords.hasher.cache_clear()
    passwords._dummy_hash.cache_clear()
    passwords._hashing.cache_clear()


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The suite's settings with the production argon2 cost (this module only)."""
    for name, value in REAL_COST.items():
        monkeypatch.setenv(name, value)
    _clear_caches()
    yield get_settings()
    _clear_caches()


def _report(line: str) -> None:
    if os.environ.get("RESPIRA_TEST_REPORT_FIGURES") == "1":
        print(f"\nFIGURES {line}")


def _token(base: str, account: Account) -> str:
    r = httpx.post(
        f"{base}/api/v1/auth/token",
        data={"username": account.email, "password": account.password},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


FIRST_NAMES = ("Astrid", "Bruno", "Chiara", "Dmitri", "Elif", "Farid", "Greta", "Hugo")


def _distinct_patient(n: int) -> dict[str, object]:
    """A patient nobody would take for another (the registry asks about look-alikes)."""
    return patient_data(
        first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
        last_name=f"Q{secrets.token_hex(6)}",
        date_of_birth=(dt.date(1940, 1, 1) + dt.timedelta(days=701 * n)).isoformat(),
        email=f"load{n}-{secrets.token_hex(3)}@mail.example",
        phone=f"+46 8 {secrets.randbelow(9_000_000) + 1_000_000}",
    )


def _attack(base: str, stop: threading.Event, n: int, answers: list[int]) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        i = 0
        while not stop.is_set():
            i += 1
            r = client.post(
                "/api/v1/auth/token",
                data={"username": f"nobody{n}-{i}@attack.example", "password": "wrong guess 123"},
            )
            answers.append(r.status_code)


@pytest.mark.parametrize("attackers", [8, 16])
def test_failing_anonymous_sign_ins_do_not_stall_a_staff_write(
    live_server: str, make_account: Callable[..., Account], backend: str, attackers: int
) -> None:
    admin = make_account("admin")
    headers = {"Authorization": f"Bearer {_token(live_server, admin)}"}
    stop = threading.Event()
    answers: list[int] = []
    threads = [
        threading.Thread(target=_attack, args=(live_server, stop, n, answers), daemon=True)
        for n in range(attackers)
    ]
    for t in threads:
        t.start()
    timings: list[float] = []
    try:
        time.sleep(1.0)  # every attacker has a sign-in in flight
        with httpx.Client(base_url=live_server, headers=headers, timeout=60) as staff:
            for n in range(STAFF_WRITES):
                started = time.perf_counter()
                r = staff.post("/api/v1/patients", json=_distinct_patient(n))
                timings.append(time.perf_counter() - started)
                assert r.status_code == 201, r.text
                time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert answers and set(answers) <= {401, 429}, "the attackers' sign-ins all failed"
    p95 = statistics.quantiles(timings, n=20)[-1]
    _report(
        f"starvation {backend} attackers={attackers}: staff write median "
        f"{statistics.median(timings) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {max(timings) * 1000:.0f} ms; {len(answers)} failed sign-ins meanwhile"
    )
    assert p95 < P95_BOUND_S, f"p95 of a staff write {p95:.3f} s under {attackers} attackers"
