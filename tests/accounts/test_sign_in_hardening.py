"""Sign-in hardening: lockout that counts under concurrency (sign-in and the
e-signature's password re-entry), the per-address throttle (429 with Retry-After), the
audit trail of sign-ins, the check of a new password and of a person's name."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from respira.accounts import passwords, service
from respira.accounts.models import SignInFailure, User
from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.config import get_settings
from respira.kit.errors import InvalidInput
from respira.kit.validation import person_name_problem
from tests.conftest import PASSWORD, Account, PageClient, patient_data

TOKEN = "/api/v1/auth/token"


def _guess(client: TestClient, email: str, password: str = "wrong guess 123") -> int:
    return client.post(TOKEN, data={"username": email, "password": password}).status_code


@pytest.fixture
def no_throttle(settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test client comes from one address: raise the throttle, and the queue of
    password checks, out of the way."""
    monkeypatch.setenv("RESPIRA_LOGIN_RATE_LIMIT", "1000000")
    monkeypatch.setenv("RESPIRA_ARGON2_MAX_WAITING", "1000")
    get_settings.cache_clear()
    passwords._hashing.cache_clear()
    yield
    get_settings.cache_clear()
    passwords._hashing.cache_clear()


def _actions(db, entity_type: str, entity_id: object) -> list[str]:
    with db.session() as s:
        return [r.action for r in audit.history(s, entity_type, entity_id)]


# --- lockout under concurrency ------------------------------------------------------


def _slow_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each password check takes 0.3 s more, as the production cost does on a busy
    machine (the suite hashes cheaply), so that 40 parallel guesses overlap for sure."""
    real = service.verify_password

    def slow(stored: str | None, password: str) -> bool:
        time.sleep(0.3)
        return real(stored, password)

    monkeypatch.setattr(service, "verify_password", slow)


def test_forty_parallel_wrong_passwords_lock_the_account(
    no_throttle,
    live_server: str,
    make_account: Callable[..., Account],
    db,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    victim = make_account("physician")
    _slow_hashing(monkeypatch)
    barrier = threading.Barrier(40)

    def guess(n: int) -> int:
        with httpx.Client(base_url=live_server, timeout=120) as client:
            barrier.wait()
            r = client.post(
                TOKEN, data={"username": victim.email, "password": f"wrong guess number {n}"}
            )
            return r.status_code

    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(guess, range(40)))
    assert statuses == [401] * 40
    r = httpx.post(
        f"{live_server}{TOKEN}", data={"username": victim.email, "password": PASSWORD}, timeout=60
    )
    assert r.status_code == 401, "the right password must not open the locked account"
    with db.session() as s:
        assert s.scalar(select(User.locked_until).where(User.id == victim.id)) is not None
    actions = _actions(db, "user", victim.id)
    counted_before_lock = actions.index("lock") - actions.index("sign_in_failed")
    assert counted_before_lock == get_settings().login_max_failures
    assert actions.count("lock") == 1 and "sign_in" not in actions


def test_forty_parallel_wrong_signature_passwords_lock_the_account(
    no_throttle, make_account: Callable[..., Account], db
) -> None:
    """The e-signature's password re-entry (installed into ``audit.esign``) counts
    atomically too: each wrong password in its own signing transaction, in parallel."""
    signer = make_account("physician")
    barrier = threading.Barrier(40)

    def sign(n: int) -> bool:
        barrier.wait()
        with db.transaction() as s:
            return service.reverify_password(s, signer.id, f"wrong signature {n}") is not None

    with ThreadPoolExecutor(40) as pool:
        accepted = list(pool.map(sign, range(40)))
    assert accepted == [False] * 40
    with db.transaction() as s:
        assert service.reverify_password(s, signer.id, PASSWORD) is None, "locked"
    actions = _actions(db, "user", signer.id)
    counted_before_lock = actions.index("lock") - actions.index("signature_password_failed")
    assert counted_before_lock == get_settings().login_max_failures
    assert actions.count("lock") == 1


def test_a_right_signature_password_resets_the_count(
    make_account: Callable[..., Account], db
) -> None:
    signer = make_account("physician")
    for _ in range(4):
        with db.transaction() as s:
            assert service.reverify_password(s, signer.id, "not my password") is None
    with db.transaction() as s:
        assert service.reverify_password(s, signer.id, PASSWORD) is not None
    with db.session() as s:
        assert s.scalar(select(User.failed_logins).where(User.id == signer.id)) == 0


def test_a_sign_in_whose_account_locked_meanwhile_is_refused(
    client: TestClient, make_account: Callable[..., Account], db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The right password signs in only if the account is still unlocked when the
    sign-in is written (a lock set by parallel guesses while this one was hashing)."""
    acc = make_account("coordinator")
    real = passwords.verify_password

    def lock_while_hashing(stored: str | None, password: str) -> bool:
        with db.transaction() as s:
            s.execute(
                update(User)
                .where(User.id == acc.id)
                .values(locked_until=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15))
            )
        return real(stored, password)

    # On SQLite this write would wait for the sign-in's own write lock if the sign-in
    # held one while hashing: it must not.
    monkeypatch.setattr(service, "verify_password", lock_while_hashing)
    assert _guess(client, acc.email, PASSWORD) == 401
    assert _actions(db, "user", acc.id)[-1] == "sign_in_failed"


# --- the per-address throttle ---------------------------------------------------------


@pytest.fixture
def from_address(app: FastAPI) -> Iterator[Callable[[str], TestClient]]:
    made: list[TestClient] = []

    def make(address: str) -> TestClient:
        c = TestClient(app, client=(address, 50000))
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def test_failed_sign_ins_from_one_address_are_throttled_with_429_and_retry_after(
    from_address: Callable[[str], TestClient], make_account: Callable[..., Account], db
) -> None:
    limit = get_settings().login_rate_limit
    assert limit == 20
    acc = make_account("nurse")
    c = from_address("203.0.113.20")
    for n in range(limit):
        assert _guess(c, f"nobody{n}@clinic.example.org") == 401
    r = c.post(TOKEN, data={"username": acc.email, "password": PASSWORD})
    assert r.status_code == 429, "even the right password waits while the address is throttled"
    assert 0 < int(r.headers["retry-after"]) <= get_settings().login_rate_window_s
    assert "too many failed sign-ins" in r.json()["detail"].lower()
    # another address is not throttled, and the account itself was never touched
    assert _guess(from_address("203.0.113.21"), acc.email, PASSWORD) == 200
    # an IPv6 client is counted by its /64
    v6 = [from_address(f"2001:db8:1:2::{n:x}") for n in range(limit + 1)]
    for n, client in enumerate(v6[:-1]):
        assert _guess(client, f"v6-{n}@clinic.example.org") == 401
    assert _guess(v6[-1], acc.email, PASSWORD) == 429


def test_the_throttle_forgets_failures_that_left_the_window(
    from_address: Callable[[str], TestClient], make_account: Callable[..., Account], db
) -> None:
    s = get_settings()
    acc = make_account("lab")
    c = from_address("198.51.100.30")
    for n in range(s.login_rate_limit):
        assert _guess(c, f"nobody{n}@clinic.example.org") == 401
    assert _guess(c, acc.email, PASSWORD) == 429
    with db.transaction() as session:
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=s.login_rate_window_s + 1)
        session.execute(update(SignInFailure).values(at=long_ago))
    assert _guess(c, acc.email, PASSWORD) == 200


def test_the_sign_in_page_answers_429_with_retry_after_in_the_visitors_language(
    app: FastAPI, make_account: Callable[..., Account]
) -> None:
    acc = make_account("physician")
    c = PageClient(app, client=("192.0.2.40", 50000), headers={"Accept-Language": "de"})

    def post(email: str, password: str) -> object:
        return c.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": c.csrf("/login")},
            follow_redirects=False,
        )

    for n in range(get_settings().login_rate_limit):
        r = post(f"nobody{n}@clinic.example.org", "wrong guess 123")
        assert r.status_code == 401  # type: ignore[attr-defined]
        assert "Anmeldung fehlgeschlagen" in r.text  # type: ignore[attr-defined]
    r = post(acc.email, PASSWORD)
    assert r.status_code == 429  # type: ignore[attr-defined]
    assert int(r.headers["retry-after"]) > 0  # type: ignore[attr-defined]
    assert "Zu viele fehlgeschlagene Anmeldungen" in r.text  # type: ignore[attr-defined]
    assert 'action="/login"' in r.text  # type: ignore[attr-defined]
    c.close()


def test_a_throttled_sign_in_is_neither_hashed_nor_counted(
    from_address: Callable[[str], TestClient],
    make_account: Callable[..., Account],
    db,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    acc = make_account("coordinator")
    c = from_address("198.51.100.31")
    for n in range(get_settings().login_rate_limit):
        assert _guess(c, f"nobody{n}@clinic.example.org") == 401
    calls: list[str | None] = []
    real = service.verify_password

    def spy(stored: str | None, password: str) -> bool:
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(service, "verify_password", spy)
    assert _guess(c, acc.email) == 429
    assert calls == []
    with db.session() as s:
        assert s.scalar(select(User.failed_logins).where(User.id == acc.id)) == 0


# --- the audit trail of sign-ins ----------------------------------------------------


def test_sign_ins_failures_and_sign_outs_are_audited_without_passwords_or_unknown_emails(
    app: FastAPI, client: TestClient, make_account: Callable[..., Account], db
) -> None:
    acc = make_account("physician")
    assert _guess(client, acc.email, "a wrong password 1") == 401
    assert _guess(client, "who-is-this@elsewhere.example", "another wrong one") == 401
    page = PageClient(app)
    page.post(
        "/login",
        data={"email": acc.email, "password": PASSWORD, "csrf_token": page.csrf("/login")},
        follow_redirects=False,
    )
    page.post("/logout", data={"csrf_token": page.csrf("/")}, follow_redirects=False)
    page.close()
    assert _actions(db, "user", acc.id) == ["create", "sign_in_failed", "sign_in", "sign_out"]
    with db.session() as s:
        [unknown] = s.scalars(
            select(audit.AuditRecord).where(audit.AuditRecord.entity_type == "sign_in")
        ).all()
        dump = "\n".join(
            " ".join(str(v) for v in row)
            for row in s.execute(text("SELECT * FROM audit_records")).all()
        )
    assert unknown.action == "sign_in_failed" and unknown.actor_role == "public"
    assert len(unknown.entity_id) == 64  # the keyed hash of the attempted email
    for secret_text in ("who-is-this", "a wrong password", "another wrong one", PASSWORD):
        assert secret_text not in dump


# --- a new password ----------------------------------------------------------------


def _refused_account(db, **overrides: str) -> dict[str, str]:
    """The errors by field of an account that ``create_user`` refuses."""
    fields = {
        "email": "new-account@clinic.example.org",
        "name": "Ann Example",
        "role": "nurse",
        "password": PASSWORD,
        **overrides,
    }
    with db.transaction() as s, pytest.raises(InvalidInput) as refused:
        service.create_user(s, Actor.system(), **fields)
    return refused.value.errors


def test_the_common_password_list_ships_with_its_source_and_is_used(db) -> None:
    listed = passwords.common_passwords()
    assert len(listed) > 19_000
    assert "123456" in listed and "qwertyuiop[]" in listed
    assert not any(p.startswith("# ") for p in listed)
    for common in ("1qaz2wsx3edc", "Password2024!", "qwerty123456", "Monkey12345!!"):
        assert passwords.password_problem(common) == passwords.COMMON, common


@pytest.mark.parametrize(
    "trivial",
    [
        "aaaaaaaaaaaa",
        "123456789012",
        "abcdefghijkl",
        "zyxwvutsrqpo",
        "qwertyuiopasdf",
        "asdfghjkl;'zxcv",
        "йцукенгшщзхъ",
        "abcabcabcabc",
        "Tr0ub4Tr0ub4Tr0ub4",
        "aaaabbbbcccc",
    ],
)
def test_trivial_patterns_are_refused(trivial: str) -> None:
    assert passwords.password_problem(trivial) == passwords.TRIVIAL


@pytest.mark.parametrize(
    "good",
    [PASSWORD, "Tr0ub4dor&3xyz", "Grüne Wiesen im März 7", "лес у реки зимой 42"],
)
def test_ordinary_strong_passwords_pass(good: str) -> None:
    assert passwords.password_problem(good, email="greta@mail.example", name="Greta L") is None


def test_random_passwords_pass() -> None:
    for _ in range(2000):
        assert passwords.password_problem(secrets.token_urlsafe(12)) is None


def test_the_name_and_email_do_not_count_toward_the_length() -> None:
    email, name = "paula.pulmo@clinic.example.org", "Paula Pulmó"
    for weak in ("PaulaPulmo2026!!", "paula.pulmo@clinic", "Pulmo!Paula!2026"):
        assert passwords.password_problem(weak, email=email, name=name) == passwords.PERSONAL
    assert passwords.password_problem("paula loves hiking in May", email=email, name=name) is None


def test_a_password_longer_than_sign_in_accepts_is_refused_at_creation(
    client: TestClient, make_account: Callable[..., Account], db
) -> None:
    longest = secrets.token_urlsafe(800)[: passwords.MAX_PASSWORD_LENGTH]
    assert len(longest) == passwords.MAX_PASSWORD_LENGTH == 1024
    assert passwords.password_problem(longest + "x") == passwords.TOO_LONG
    acc = make_account("lab", password=longest)
    assert _guess(client, acc.email, longest) == 200  # what can be set can be typed
    assert _refused_account(db, password=longest + "x")["password"] == passwords.TOO_LONG


def test_create_user_and_set_own_password_use_the_one_check(
    db, make_account: Callable[..., Account]
) -> None:
    assert _refused_account(db, password="aaaaaaaaaaaa")["password"] == passwords.TRIVIAL
    patient = make_account("patient")
    with db.transaction() as s, pytest.raises(InvalidInput) as refused:
        service.set_own_password(s, patient.actor, "123456789012")
    assert refused.value.errors["password"] == passwords.TRIVIAL


# --- names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "\u200b\u200b",
        "\u200c\u200d\ufeff",
        "\u2060\u2061\u2062\u2063\u2064",
        "\u0301\u0308",
        "\u3164\u3164",
        " \u200e ",
    ],
)
def test_a_name_of_only_invisible_characters_is_refused(name: str) -> None:
    assert person_name_problem(name) is not None


@pytest.mark.parametrize(
    "override", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2069"]
)
def test_a_name_with_a_bidirectional_override_is_refused(override: str) -> None:
    assert person_name_problem(f"Anna{override}Berg") is not None


@pytest.mark.parametrize("name", ["Anna Berg", "José Núñez", "Ёлкина", "محمد علي", "O'Brien-Smith"])
def test_ordinary_names_pass(name: str) -> None:
    assert person_name_problem(name) is None


def test_accounts_patients_and_consultation_requests_refuse_invisible_names(
    db, api_as: Callable[..., TestClient], client: TestClient
) -> None:
    assert "name" in _refused_account(db, name="\u200b\u200b\u200b")
    coordinator = api_as("coordinator")
    for bad in ("\u200b\u200b", "Eve\u202eresU"):
        r = coordinator.post("/api/v1/patients", json=patient_data(first_name=bad))
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["field"] == "first_name"
    from tests.intake.helpers import request_data

    r = client.post("/api/v1/consultation-requests", json=request_data(name="\u200b\ufeff"))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["field"] == "name"


# --- the password checks' own threads ---------------------------------------------


def test_password_checks_run_at_a_lower_priority_and_a_full_queue_answers_429() -> None:
    import os

    from respira.kit.errors import RateLimited

    hashing = passwords._Hashing(1, 0)
    assert hashing.run(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())) >= 10
    started, release = threading.Event(), threading.Event()

    def slow() -> int:
        started.set()
        release.wait(10)
        return 1

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(hashing.run, slow)
        started.wait(10)
        with pytest.raises(RateLimited) as busy:
            hashing.run(lambda: 2)
        release.set()
        assert first.result() == 1
    assert busy.value.retry_after_s > 0 and busy.value.message == passwords.BUSY
    assert hashing.run(lambda: 3) == 3
