"""Test fixtures: a migrated database per backend, a clean slate per test, the app,
clients signed in as each role, and (for browser tests) a live server.

Every test that uses the database runs on SQLite and, when
``RESPIRA_TEST_POSTGRES_URL`` is set (as in CI), on PostgreSQL too: the ``database``
fixture is parametrised over the backends. PostgreSQL tests get a database of their
own, created at the start of the run and dropped at the end.

With ``RESPIRA_TEST_REQUIRE_ALL=1`` (set by ``.ci/run``) a skipped test fails the run,
so that CI can never pass by skipping the PostgreSQL or browser tests.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

# Settings for the whole run, before anything reads them: cheap argon2 (the hashing
# cost is a deployment setting, not behaviour under test), a fixed secret, quiet logs.
os.environ.setdefault("RESPIRA_ARGON2_TIME_COST", "1")
os.environ.setdefault("RESPIRA_ARGON2_MEMORY_COST_KIB", "8192")
os.environ.setdefault("RESPIRA_ARGON2_PARALLELISM", "1")
os.environ.setdefault("RESPIRA_SECRET_KEY", "test-secret-" + "x" * 40)
os.environ.setdefault("RESPIRA_AUDIT_KEY", "test-audit-key-" + "y" * 40)
# Anchors of the run's many throw-away chains go to a file of the run's own, not beside
# the working directory's secret file (each anchor names its chain).
os.environ.setdefault(
    "RESPIRA_AUDIT_ANCHOR_FILE",
    os.path.join(tempfile.mkdtemp(prefix="respira-test-"), "audit-anchor"),
)
os.environ.setdefault("RESPIRA_LOG_LEVEL", "WARNING")
# The tests speak plain HTTP to 127.0.0.1 and to the test client's "testserver".
os.environ.setdefault("RESPIRA_INSECURE_HTTP_LOCALHOST", "true")
os.environ.setdefault("RESPIRA_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.pop("RESPIRA_DATABASE_URL", None)

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from respira.app import migrate as dbmod
from respira.app.steps import load as load_steps
from respira.kit.actors import Actor, Role
from respira.kit.config import Settings, get_settings
from respira.kit.db import Database

metadata = load_steps().metadata

PG_URL = os.environ.get("RESPIRA_TEST_POSTGRES_URL")
BROWSER = os.environ.get("RESPIRA_TEST_BROWSER") == "1"
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])
PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_browser = pytest.mark.skip(reason="browser tests need RESPIRA_TEST_BROWSER=1")
    for item in items:
        if "browser" in item.keywords and not BROWSER:
            item.add_marker(skip_browser)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("RESPIRA_TEST_REQUIRE_ALL") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"RESPIRA_TEST_REQUIRE_ALL=1: {len(skipped)} test(s) were skipped; "
            "CI must run every test.",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- databases ----------------------------------------------------------------------


def _pg_admin_url() -> str:
    assert PG_URL
    return PG_URL


@pytest.fixture(scope="session")
def make_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Make an empty database of a backend and return its URL (dropped at the end)."""
    created: list[str] = []

    def make(backend: str) -> str:
        name = f"respira_test_{os.getpid()}_{secrets.token_hex(4)}"
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / name}.db"
        admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A test database need not survive a crash: commits do not wait for the
            # write-ahead log to reach the disk (several times faster on a busy machine).
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
        admin.dispose()
        created.append(name)
        base = _pg_admin_url().rsplit("/", 1)[0]
        return f"{base}/{name}"

    yield make
    if created:
        admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database(
    request: pytest.FixtureRequest, make_database_url: Callable[[str], str]
) -> Iterator[Database]:
    """A migrated database of one backend, shared by the tests of that backend."""
    url = make_database_url(request.param)
    dbmod.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


def _wipe(database: Database) -> None:
    # The access records the last test's reads queued are written first: their writer
    # thread must not be writing while the tables are emptied (on PostgreSQL its insert
    # and TRUNCATE's exclusive locks would deadlock).
    from respira.audit_trail import access

    access.flush(database)
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with database.engine.begin() as conn:
        if database.is_sqlite:
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))
        else:
            # Truncate only the tables the last test wrote to: one cheap query finds them,
            # and TRUNCATE costs per table (new files for each), most tables stay empty.
            probe = " UNION ALL ".join(
                f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables
            )
            dirty = [row[0] for row in conn.execute(text(probe))]
            if dirty:
                conn.execute(
                    text(
                        "TRUNCATE "
                        + ", ".join(f'"{t}"' for t in dirty)
                        + " RESTART IDENTITY CASCADE"
                    )
                )


@pytest.fixture
def db(database: Database) -> Iterator[Database]:
    """The database, empty at the start of the test."""
    _wipe(database)
    yield database


@pytest.fixture
def backend(db: Database) -> str:
    return "sqlite" if db.is_sqlite else "postgres"


# --- the app and its clients ----------------------------------------------------


@pytest.fixture
def settings() -> Settings:
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def app(db: Database, settings: Settings) -> FastAPI:
    from respira.app.factory import create_app

    return create_app(settings, db=db)


def base_url(app: FastAPI) -> str:
    """Where the test clients reach the app: over HTTPS unless the settings serve plain
    HTTP on this machine (a client keeps Secure cookies for HTTPS only)."""
    return "https://testserver" if app.state.settings.cookie_secure else "http://testserver"


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=base_url(app)) as c:
        yield c


@dataclass
class Account:
    id: int
    email: str
    role: str
    password: str
    patient_id: int | None
    actor: Actor


def patient_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": "Greta",
        "last_name": "Lindqvist",
        "date_of_birth": "1979-04-12",
        "sex_at_birth": "female",
        "country": "SE",
        "preferred_language": "sv",
        "email": "greta@mail.example",
        "phone": "+46 8 1234567",
        "height_cm": 168.0,
        "weight_kg": 64.5,
        "smoking_pack_years": 0,
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_patient(db: Database) -> Callable[..., int]:
    from respira.patients import service
    from respira.patients.schemas import PatientIn

    def make(**overrides: Any) -> int:
        with db.transaction() as session:
            p = service.add_patient(
                session, Actor.system("test"), PatientIn.model_validate(patient_data(**overrides))
            )
            return p.id

    return make


@pytest.fixture
def make_account(db: Database, make_patient: Callable[..., int]) -> Callable[..., Account]:
    from respira.accounts import service

    counter = iter(range(1, 10_000))

    def make(
        role: str | Role,
        *,
        email: str | None = None,
        password: str = PASSWORD,
        patient_id: int | None = None,
    ) -> Account:
        role = str(role)
        n = next(counter)
        if role == "patient" and patient_id is None:
            patient_id = make_patient(first_name=f"Pat{n}", email=f"pat{n}@mail.example")
        email = email or f"{role}{n}@clinic.example.org"
        with db.transaction() as session:
            view = service.create_user(
                session,
                Actor.system("test"),
                email=email,
                name=f"{role.title()} {n}",
                role=role,
                password=password,
                patient_id=patient_id,
            )
        return Account(
            view.id,
            view.email,
            role,
            password,
            patient_id,
            Actor(view.id, role, view.name, patient_id),
        )

    return make


def api_token(client: TestClient, account: Account) -> str:
    r = client.post(
        "/api/v1/auth/token", data={"username": account.email, "password": account.password}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


@pytest.fixture
def api_as(
    app: FastAPI, make_account: Callable[..., Account]
) -> Iterator[Callable[..., TestClient]]:
    """A JSON client with a bearer token of a new account of the role."""
    clients: list[TestClient] = []

    def make(role: str | Role, **kw: Any) -> TestClient:
        account = make_account(role, **kw)
        c = TestClient(app, base_url=base_url(app))
        c.headers["Authorization"] = f"Bearer {api_token(c, account)}"
        c.account = account  # type: ignore[attr-defined]
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


class PageClient(TestClient):
    """A browser-like client signed in through the login form."""

    account: Account

    def csrf(self, path: str = "/") -> str:
        r = self.get(path)
        m = CSRF_RE.search(r.text)
        assert m, f"no CSRF token on {path}"
        return m.group(1)

    def post_form(self, path: str, data: dict[str, Any], *, csrf_from: str = "/", **kw: Any) -> Any:
        return self.post(path, data={"csrf_token": self.csrf(csrf_from), **data}, **kw)


def sign_in(client: PageClient, account: Account) -> None:
    token = client.csrf("/login")
    r = client.post(
        "/login",
        data={
            "email": account.email,
            "password": account.password,
            "csrf_token": token,
            "next": "/",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


@pytest.fixture
def page_as(
    app: FastAPI, make_account: Callable[..., Account]
) -> Iterator[Callable[..., PageClient]]:
    clients: list[PageClient] = []

    def make(role: str | Role, **kw: Any) -> PageClient:
        account = make_account(role, **kw)
        c = PageClient(app, base_url=base_url(app))
        sign_in(c, account)
        c.account = account
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


# --- a live server for the browser tests -------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(locale="en-GB")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


# --- a real SMTP server for the mail tests ----------------------------------------


@dataclass
class SmtpServer:
    """An aiosmtpd server on a free port of 127.0.0.1 that keeps what it receives:
    ``messages`` (parsed with ``email.message_from_bytes``, headers decoded) and ``envelopes`` (the
    envelope recipients of each). ``stop()`` takes it down (connections are refused,
    as with a mail server that is down) and ``start()`` brings it back on the same port.
    The fixture points ``RESPIRA_SMTP_HOST``/``PORT`` at it."""

    host: str
    port: int
    messages: list[Any]
    envelopes: list[list[str]]
    controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        server = self

        class Keep:
            async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
                import email
                import email.policy

                parsed = email.message_from_bytes(
                    envelope.original_content, policy=email.policy.default
                )
                server.messages.append(parsed)
                server.envelopes.append(list(envelope.rcpt_tos))
                return "250 Message accepted for delivery"

        self.controller = Controller(Keep(), hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    server = SmtpServer(host="127.0.0.1", port=free_port(), messages=[], envelopes=[])
    server.start()
    monkeypatch.setenv("RESPIRA_SMTP_HOST", server.host)
    monkeypatch.setenv("RESPIRA_SMTP_PORT", str(server.port))
    monkeypatch.setenv("RESPIRA_SMTP_FROM", "respira@clinic.example.org")
    monkeypatch.setenv("RESPIRA_SMTP_TIMEOUT_S", "5")
    get_settings.cache_clear()
    yield server
    server.stop()
    monkeypatch.undo()
    get_settings.cache_clear()


def browser_sign_in(page: Any, base: str, path: str, email: str, password: str = PASSWORD) -> None:
    """In Chromium: forget who was signed in, open ``path`` (which asks for the sign-in),
    sign in and land on ``path``."""
    page.context.clear_cookies()
    page.goto(f"{base}{path}")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{base}{path}")
