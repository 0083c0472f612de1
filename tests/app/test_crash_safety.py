"""Crash safety: the real server, killed with SIGKILL in the middle of ~1,000 concurrent
creates, loses no write it acknowledged, and its audit trail (the keyed chain, the
anchor and the rows) verifies after the restart; on every database backend."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from respira.app import migrate as dbmod
from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.config import get_settings
from respira.kit.db import Database
from tests.conftest import BACKENDS, PASSWORD, free_port, patient_data

CREATES = 1000
KILL_AFTER = 400  # acknowledged creates before the SIGKILL


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    # A session of its own, so that the kill reaches the server and its jobs process.
    proc = subprocess.Popen(
        [sys.executable, "-m", "respira.app.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}")
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("the server did not answer /healthz within 60 s")


def _kill(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    proc.wait(timeout=30)


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_acknowledged_write_is_lost_when_the_server_is_killed(
    backend: str,
    make_database_url: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from respira.accounts import service

    url = make_database_url(backend)
    anchor = tmp_path / "audit-anchor"
    monkeypatch.setenv("RESPIRA_AUDIT_ANCHOR_FILE", str(anchor))
    get_settings.cache_clear()
    dbmod.upgrade(url)
    db = Database(url)
    with db.transaction() as s:
        service.create_user(
            s,
            Actor.system("test"),
            email="coord@clinic.example.org",
            name="Coordinator",
            role="coordinator",
            password=PASSWORD,
        )
    env = {**os.environ, "RESPIRA_DATABASE_URL": url, "RESPIRA_AUDIT_ANCHOR_FILE": str(anchor)}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(env, port)
    try:
        token = requests.post(
            f"{base}/api/v1/auth/token",
            data={"username": "coord@clinic.example.org", "password": PASSWORD},
            timeout=30,
        ).json()["access_token"]
        acknowledged: dict[int, str] = {}
        statuses: list[int] = []
        lock = threading.Lock()
        killed = threading.Event()
        local = threading.local()

        def client() -> requests.Session:
            if not hasattr(local, "session"):
                local.session = requests.Session()
                local.session.headers["Authorization"] = f"Bearer {token}"
            return local.session

        def create(i: int) -> None:
            if killed.is_set():
                return
            name = f"Crash{i}"
            try:
                r = client().post(
                    f"{base}/api/v1/patients",
                    json=patient_data(
                        first_name=name,
                        last_name=f"Lindqvist{i}",
                        email=None,
                        phone=f"+46 8 {1000000 + i}",
                        date_of_birth=f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}",
                    ),
                    timeout=30,
                )
            except requests.RequestException:
                return  # not acknowledged: the server died under it
            statuses.append(r.status_code)
            if r.status_code // 100 == 2:
                with lock:
                    acknowledged[r.json()["id"]] = name
                    if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                        killed.set()
                        os.killpg(proc.pid, signal.SIGKILL)

        started = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(create, range(CREATES)))
        assert killed.is_set(), (
            f"only {len(acknowledged)} creates acknowledged: {sorted(set(statuses))}"
        )
        proc.wait(timeout=30)
        proc = _start(env, port)  # the restart (recovers the WAL / PostgreSQL's log)
        from respira.patients.models import Patient

        with db.session() as s:
            stored = dict(s.execute(select(Patient.id, Patient.first_name)).tuples().all())
            lost = {i: n for i, n in acknowledged.items() if stored.get(i) != n}
            verdict = audit.verify(s, records=True)
        print(
            f"\n{backend}: {len(acknowledged)} acknowledged before SIGKILL, "
            f"{len(stored)} stored, {len(lost)} lost; audit {verdict.chain.checked} records; "
            f"{time.monotonic() - started:.1f} s"
        )
        assert not lost, f"{len(lost)} acknowledged creates lost"
        assert verdict.ok, verdict.problems
        assert verdict.chain.checked >= len(stored)  # every stored patient was audited
        assert verdict.rows is not None and "patients" not in verdict.rows.unhashed
    finally:
        _kill(proc, signal.SIGTERM)
        db.dispose()
        monkeypatch.undo()
        get_settings.cache_clear()
