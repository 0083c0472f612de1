"""The ``respira`` command."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from respira.accounts.models import User
from tests.kit.test_audit import run_cli

COMMANDS = [
    [],
    ["serve"],
    ["db"],
    ["db", "upgrade"],
    ["db", "downgrade"],
    ["db", "current"],
    ["users"],
    ["users", "create"],
    ["users", "list"],
    ["users", "deactivate"],
    ["users", "activate"],
    ["audit"],
    ["audit", "verify"],
    ["demo"],
    ["demo", "seed"],
    ["spirometry"],
    ["spirometry", "interpret"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "respira")
def test_every_command_explains_itself_with_help(command):
    r = subprocess.run(
        [sys.executable, "-m", "respira.app.cli", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert r.returncode == 0, r.stderr
    assert "Usage:" in r.stdout
    assert len(r.stdout.splitlines()) > 4


def test_users_create_reads_the_password_from_stdin_and_never_an_argument(db):
    r = run_cli(
        db,
        "users",
        "create",
        "--email",
        "doc@clinic.example.org",
        "--role",
        "physician",
        "--name",
        "Dr Doc",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert r.returncode == 0, r.stderr
    assert "a long enough password" not in r.stdout + r.stderr
    r = run_cli(
        db,
        "users",
        "create",
        "--email",
        "x@clinic.example.org",
        "--role",
        "physician",
        "--name",
        "X",
        "--password",
        "secret",
    )
    assert r.returncode != 0  # there is no --password option
    listing = run_cli(db, "users", "list")
    assert "doc@clinic.example.org" in listing.stdout and "physician" in listing.stdout


def test_users_create_prompts_twice_and_refuses_a_mismatch(db):
    ok = run_cli(
        db,
        "users",
        "create",
        "--email",
        "c@clinic.example.org",
        "--role",
        "coordinator",
        "--name",
        "C",
        stdin="first password one\nfirst password one\n",
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = run_cli(
        db,
        "users",
        "create",
        "--email",
        "d@clinic.example.org",
        "--role",
        "coordinator",
        "--name",
        "D",
        stdin="first password one\nanother password\n\n\n",
    )
    assert bad.returncode != 0
    with db.transaction() as s:
        emails = set(s.scalars(select(User.email)))
    assert "c@clinic.example.org" in emails and "d@clinic.example.org" not in emails


def test_users_create_reports_each_invalid_field(db):
    r = run_cli(
        db,
        "users",
        "create",
        "--email",
        "nope",
        "--role",
        "wizard",
        "--name",
        "N",
        "--password-stdin",
        stdin="short\n",
    )
    assert r.returncode == 2
    for field in ["email", "role", "password"]:
        assert f"error: {field}:" in r.stderr


def test_db_upgrade_downgrade_and_current_through_the_command(make_database_url):
    url = make_database_url("sqlite")

    class _Db:
        pass

    target = _Db()
    target.url = url
    assert run_cli(target, "db", "upgrade").returncode == 0
    head = run_cli(target, "db", "current").stdout
    assert "current: base" not in head
    r = run_cli(target, "db", "downgrade", "base")
    assert r.returncode == 0 and "revision base" in r.stdout
    assert "current: base" in run_cli(target, "db", "current").stdout
    assert run_cli(target, "db", "upgrade").returncode == 0


def test_demo_seed_creates_one_account_per_role_and_fifty_patients_once(make_database_url):
    url = make_database_url("sqlite")

    class _Db:
        pass

    target = _Db()
    target.url = url
    first = run_cli(target, "demo", "seed")
    assert first.returncode == 0, first.stderr
    for role in ["admin", "physician", "coordinator", "lab", "patient"]:
        assert f"{role}@demo.respira.example" in first.stdout
    assert "synthetic patients" in first.stdout
    second = run_cli(target, "demo", "seed")
    assert second.returncode == 0 and "already seeded" in second.stdout
    verify = run_cli(target, "audit", "verify")
    assert verify.returncode == 0


def test_serve_with_two_workers_answers_and_stops_cleanly_on_sigterm(db):
    import signal
    import time
    import urllib.request

    from tests.conftest import free_port

    port = free_port()
    env = {**os.environ, "RESPIRA_DATABASE_URL": db.url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "respira.app.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        for _ in range(20):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                assert r.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_a_deactivated_account_loses_its_sessions_at_once_and_can_be_activated(
    db, client, make_account
):
    from tests.conftest import api_token

    acc = make_account("physician")
    token = api_token(client, acc)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/patients", headers=headers).status_code == 200
    r = run_cli(db, "users", "deactivate", acc.email)
    assert r.returncode != 0  # a reason is required
    r = run_cli(db, "users", "deactivate", acc.email, "--reason", "left the clinic")
    assert r.returncode == 0, r.stderr
    assert client.get("/api/v1/patients", headers=headers).status_code == 401
    assert "inactive" in run_cli(db, "users", "list").stdout
    r = run_cli(db, "users", "activate", acc.email, "--reason", "came back")
    assert r.returncode == 0
    assert client.get("/api/v1/patients", headers=headers).status_code == 401  # old token
    assert (
        client.get(
            "/api/v1/patients", headers={"Authorization": f"Bearer {api_token(client, acc)}"}
        ).status_code
        == 200
    )
    from respira.kit import audit

    with db.transaction() as s:
        actions = [r.action for r in audit.history(s, "user", acc.id)]
    # the account's sign-ins are in its trail too
    assert [a for a in actions if a not in {"sign_in", "sign_out"}] == [
        "create",
        "deactivate",
        "activate",
    ]
    assert (
        run_cli(db, "users", "deactivate", "nobody@clinic.example.org", "--reason", "x").returncode
        == 2
    )
