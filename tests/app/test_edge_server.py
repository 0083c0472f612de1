"""The server at its edge: a large body to a protected route is answered before it is
read (and does not hold up other requests), ``serve`` refuses a port another instance
listens on, and an SQLite database is private to its owner."""

from __future__ import annotations

import http.client
import os
import socket
import stat
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from respira.app import migrate, server
from respira.kit.config import get_settings
from respira.kit.db import Database
from tests.conftest import api_token, free_port

FIFTY_MB = 50 * 1024 * 1024


def _port(url: str) -> int:
    return int(urlsplit(url).port or 80)


def _post_headers(port: int, extra: str = "") -> bytes:
    return (
        "POST /api/v1/patients HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {FIFTY_MB}\r\n{extra}\r\n"
    ).encode()


def _status_before_the_body(port: int, extra: str = "") -> int:
    """Send the headers of a 50 MB POST and none of its body: the status of the answer
    (the server must answer without waiting for the body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(_post_headers(port, extra))
        line = s.recv(1024).split(b"\r\n")[0]
    return int(line.split()[1])


def test_an_anonymous_50_mb_body_is_answered_before_it_is_sent(live_server):
    assert _status_before_the_body(_port(live_server)) == 401


def test_a_signed_in_50_mb_body_is_answered_413_before_it_is_sent(app, live_server, make_account):
    with TestClient(app) as c:
        token = api_token(c, make_account("admin"))
    extra = f"Authorization: Bearer {token}\r\n"
    assert _status_before_the_body(_port(live_server), extra) == 413


def _send_50_mb(port: int) -> tuple[float, int]:
    """POST 50 MB of JSON without credentials; seconds until the answer, its status."""
    answered: dict[str, Any] = {}
    s = socket.create_connection(("127.0.0.1", port), timeout=30)

    def read() -> None:
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        answered["at"] = time.perf_counter()
        answered["status"] = int(data.split()[1]) if data else 0

    started = time.perf_counter()
    reader = threading.Thread(target=read)
    reader.start()
    try:
        s.sendall(_post_headers(port) + b'{"first_name": "')
        chunk = b"x" * (1024 * 1024)
        for _ in range(49):
            s.sendall(chunk)
    except OSError:  # the server answered and closed the connection: what we want
        pass
    reader.join(30)
    s.close()
    return answered["at"] - started, answered["status"]


@pytest.mark.slow
def test_a_50_mb_body_does_not_hold_up_other_requests(live_server, backend):
    port = _port(live_server)
    latencies: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        while not stop.is_set():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            started = time.perf_counter()
            c.request("GET", "/healthz")
            c.getresponse().read()
            latencies.append(time.perf_counter() - started)
            c.close()
            time.sleep(0.02)

    prober = threading.Thread(target=probe)
    prober.start()
    time.sleep(0.3)
    elapsed, status = _send_50_mb(port)
    time.sleep(0.3)
    stop.set()
    prober.join()
    print(
        f"\n50 MB anonymous body ({backend}): {status} after {elapsed * 1000:.0f} ms; "
        f"/healthz meanwhile: median {statistics.median(latencies) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms over {len(latencies)} requests"
    )
    assert status == 401
    assert elapsed < 1.0
    assert max(latencies) < 0.5


# --- serve refuses a port that is taken ------------------------------------------------


@pytest.fixture
def listening() -> Any:
    """A socket listening as a Respira worker does (SO_REUSEPORT), on a free port."""
    port = free_port()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", port))
    s.listen()
    yield port
    s.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_refuses_a_port_another_instance_listens_on(listening, workers):
    with pytest.raises(server.CannotServe) as refused:
        server.run("127.0.0.1", listening, workers)
    assert f"127.0.0.1:{listening}" in refused.value.message
    assert "already listening" in refused.value.message
    assert refused.value.code == refused.value.message  # printed, exit status 1


def test_a_free_port_passes_the_probe():
    port = free_port()
    server.ensure_port_free("127.0.0.1", port)
    server.ensure_port_free("127.0.0.1", port)  # the probe leaves nothing behind


def test_the_serve_command_exits_with_a_message(listening, tmp_path):
    env = {
        **os.environ,
        "RESPIRA_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
        "RESPIRA_SECRET_FILE": str(tmp_path / "secret"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "respira.app.cli", "serve", "--port", str(listening)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "already listening" in done.stderr


def test_plain_http_is_refused_beyond_the_loopback_interface(monkeypatch):
    monkeypatch.setenv("RESPIRA_INSECURE_HTTP_LOCALHOST", "true")
    get_settings.cache_clear()
    try:
        with pytest.raises(server.CannotServe, match="plain HTTP"):
            server.run("0.0.0.0", free_port(), 1)  # noqa: S104 (refused, not bound)
        server.ensure_transport_allowed("127.0.0.1")
    finally:
        get_settings.cache_clear()


# --- SQLite files are private --------------------------------------------------------


def _modes(path: Path) -> dict[str, int]:
    return {
        p.name: stat.S_IMODE(p.stat().st_mode)
        for p in path.parent.iterdir()
        if p.name.startswith(path.name)
    }


@pytest.fixture
def loose_umask() -> Any:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_sqlite_database_and_its_wal_files_are_created_0600(tmp_path, loose_umask):
    path = tmp_path / "clinic.db"
    migrate.upgrade(f"sqlite:///{path}")  # the migrations create the file
    database = Database(f"sqlite:///{path}")
    with database.transaction() as session:
        session.execute(text("CREATE TABLE probe (x INTEGER)"))
        session.execute(text("INSERT INTO probe VALUES (1)"))
    modes = _modes(path)
    assert {"clinic.db", "clinic.db-wal", "clinic.db-shm"} <= set(modes)
    assert set(modes.values()) == {0o600}, modes
    database.dispose()


def test_an_existing_database_readable_by_others_is_tightened(tmp_path, loose_umask):
    path = tmp_path / "old.db"
    Database(f"sqlite:///{path}").ping()
    path.chmod(0o644)
    database = Database(f"sqlite:///{path}")
    database.ping()
    assert set(_modes(path).values()) == {0o600}
    database.dispose()
