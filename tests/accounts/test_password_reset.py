"""A forgotten password is reset through a one-time, expiring link sent by email: the
link arrives through the outbox, works once and until it expires, a new link replaces
the old one, asking tells nobody whether an account exists, asking is throttled, and a
reset ends every session and clears the lockout. Administrators send the same link from
the account page and the command line, audited."""

from __future__ import annotations

import datetime as dt
import re
import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from respira.accounts import reset
from respira.accounts.models import PasswordResetToken, User
from respira.accounts.passwords import verify_password
from respira.kit import audit, tokens
from respira.kit.db import utcnow
from respira.mail import service as mail_service
from tests.conftest import PASSWORD, PageClient, api_token, base_url, sign_in

NEW_PASSWORD = "violet kettle harbour 42"
LINK = re.compile(r"https?://[^\s]+/password-reset/([A-Za-z0-9_-]+)(\?lang=[a-z]+)?")


def _emails(db, to: str | None = None) -> list:
    with db.session() as s:
        found = mail_service.outbox(s, kind=reset.MAIL_KIND)
    return [m for m in found if to is None or to in m.to]


def _token(message) -> str:
    found = LINK.search(message.text)
    assert found, message.text
    return found.group(1)


def _ask(client, email: str):
    """The public form: the anonymous visitor's CSRF token from the form's own page."""
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/password-reset").text)
    assert token
    return client.post(
        "/password-reset",
        data={"csrf_token": token.group(1), "email": email},
        follow_redirects=False,
    )


def _set(client, token: str, password: str = NEW_PASSWORD, repeat: str | None = None):
    page = client.get(f"/password-reset/{token}")
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert csrf, page.text
    return client.post(
        f"/password-reset/{token}",
        data={
            "csrf_token": csrf.group(1),
            "password": password,
            "repeat": password if repeat is None else repeat,
        },
        follow_redirects=False,
    )


def _stored_hash(db, user_id: int) -> str:
    with db.session() as s:
        return s.scalar(select(User.password_hash).where(User.id == user_id))


def _can_sign_in(client, email: str, password: str) -> bool:
    r = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    return r.status_code == 200


def test_a_forgotten_password_is_reset_once_through_the_emailed_link(client, make_account, db):
    acc = make_account("nurse")
    r = _ask(client, acc.email)
    assert r.status_code == 303 and r.headers["location"] == "/password-reset?sent=1"
    assert "If an account has this email address" in client.get(r.headers["location"]).text
    [email] = _emails(db, acc.email)
    assert email.subject == "Choose a new password for Respira"
    token = _token(email)
    assert "?lang=" not in email.text  # staff are written to in English
    with db.session() as s:
        row = s.scalars(select(PasswordResetToken)).one()
        [issued] = audit.history(s, "password_reset_link", row.id)
    assert row.token_hash != token and token not in row.token_hash  # only its keyed hash
    assert issued.action == "issue" and issued.actor_role == "public"
    assert '"requested_by":"self"' in issued.after and '"client":' in issued.after
    assert token not in issued.after
    assert row.requested_by == "self" and row.requested_by_id is None
    assert row.expires_at - row.created_at == dt.timedelta(hours=1)

    # Opening the page (a mail scanner does) spends nothing; the page leaks no referrer.
    for _ in range(2):
        page = client.get(f"/password-reset/{token}")
        assert page.status_code == 200 and "Choose a new password" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"

    r = _set(client, token)
    assert r.status_code == 303 and r.headers["location"] == "/login?notice=password-reset"
    assert "Your password is changed" in client.get(r.headers["location"]).text
    assert _can_sign_in(client, acc.email, NEW_PASSWORD)
    assert not _can_sign_in(client, acc.email, PASSWORD)

    # The second use is refused and changes nothing.
    before = _stored_hash(db, acc.id)
    again = client.get(f"/password-reset/{token}")
    assert again.status_code == 410 and "already been used" in again.text
    r = _set_without_page(client, token, "another long phrase 77")
    assert r.status_code == 410
    assert _stored_hash(db, acc.id) == before


def _set_without_page(client, token: str, password: str):
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/password-reset").text)
    assert csrf
    return client.post(
        f"/password-reset/{token}",
        data={"csrf_token": csrf.group(1), "password": password, "repeat": password},
        follow_redirects=False,
    )


def test_an_expired_link_is_refused_and_changes_nothing(client, make_account, db):
    acc = make_account("lab")
    _ask(client, acc.email)
    token = _token(_emails(db, acc.email)[0])
    with db.transaction() as s:  # time passing: the link's hour is over
        s.execute(
            update(PasswordResetToken).values(
                created_at=utcnow() - dt.timedelta(hours=2),
                expires_at=utcnow() - dt.timedelta(seconds=1),
            )
        )
    before = _stored_hash(db, acc.id)
    assert client.get(f"/password-reset/{token}").status_code == 410
    assert _set_without_page(client, token, NEW_PASSWORD).status_code == 410
    assert _stored_hash(db, acc.id) == before
    with db.session() as s:
        assert s.scalar(select(PasswordResetToken.used_at)) is None


def test_the_link_expires_after_the_configured_time(client, make_account, db, monkeypatch):
    monkeypatch.setenv("RESPIRA_PASSWORD_RESET_TTL_S", "600")
    from respira.kit.config import get_settings

    get_settings.cache_clear()
    try:
        acc = make_account("coordinator")
        _ask(client, acc.email)
        [email] = _emails(db, acc.email)
        assert "for 10 minutes" in email.text
        with db.session() as s:
            row = s.scalars(select(PasswordResetToken)).one()
        assert row.expires_at - row.created_at == dt.timedelta(minutes=10)
    finally:
        monkeypatch.delenv("RESPIRA_PASSWORD_RESET_TTL_S")
        get_settings.cache_clear()


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, make_account, db):
    acc = make_account("physician")
    known = _ask(client, acc.email)
    unknown = _ask(client, "nobody@clinic.example.org")
    assert known.status_code == unknown.status_code == 303
    assert known.headers["location"] == unknown.headers["location"]
    assert [m.to for m in _emails(db)] == [[acc.email]]
    api = client.post("/api/v1/auth/password-reset", json={"email": "nobody@clinic.example.org"})
    api_known = client.post("/api/v1/auth/password-reset", json={"email": acc.email})
    assert api.status_code == api_known.status_code == 202
    assert api.json() == api_known.json()
    assert len(_emails(db)) == 2
    # The attempt is audited by the address's keyed hash, never the address itself.
    with db.session() as s:
        records = s.scalars(
            select(audit.AuditRecord).where(audit.AuditRecord.action == "not_sent")
        ).all()
    assert records and all("nobody" not in (r.after or "") + r.entity_id for r in records)


def test_an_inactive_account_gets_no_link(client, make_account, db):
    acc = make_account("nurse")
    with db.transaction() as s:
        s.execute(update(User).where(User.id == acc.id).values(is_active=False))
    assert _ask(client, acc.email).status_code == 303
    assert _emails(db) == []


def test_asking_too_often_is_answered_429_per_address_and_per_account(app, make_account, db):
    acc = make_account("nurse")
    with PageClient(app, base_url=base_url(app)) as one:
        for _ in range(reset.EMAIL_LIMIT):
            assert _ask(one, acc.email).status_code == 303
        # The same account asked from elsewhere: the account's own throttle.
        with PageClient(app, base_url=base_url(app), client=("203.0.113.9", 50000)) as other:
            r = _ask(other, acc.email)
            assert r.status_code == 429
            assert "Too many requests for a new password" in r.text
            # an address with no account is throttled the same way (tells nothing)
            for _ in range(reset.EMAIL_LIMIT):
                assert _ask(other, "ghost@clinic.example.org").status_code == 303
            assert _ask(other, "ghost@clinic.example.org").status_code == 429
    assert len(_emails(db, acc.email)) == reset.EMAIL_LIMIT
    # One client asking for many addresses: the address's throttle (5 an hour).
    with PageClient(app, base_url=base_url(app), client=("198.51.100.7", 50000)) as third:
        limit = app.state.settings.public_rate_limit
        for n in range(limit):
            assert _ask(third, f"someone{n}@clinic.example.org").status_code == 303
        assert _ask(third, "someone-else@clinic.example.org").status_code == 429
        api = third.post("/api/v1/auth/password-reset", json={"email": "x@clinic.example.org"})
        assert api.status_code == 429 and int(api.headers["retry-after"]) > 0


def test_a_new_link_makes_the_older_one_invalid(client, make_account, db):
    acc = make_account("physician")
    _ask(client, acc.email)
    _ask(client, acc.email)
    first, second = (_token(m) for m in _emails(db, acc.email))
    assert client.get(f"/password-reset/{first}").status_code == 410
    assert _set_without_page(client, first, NEW_PASSWORD).status_code == 410
    assert _set(client, second).status_code == 303
    assert _can_sign_in(client, acc.email, NEW_PASSWORD)


def test_a_reset_ends_every_session_and_clears_the_lockout(app, make_account, db):
    acc = make_account("coordinator")
    browser = PageClient(app, base_url=base_url(app))
    sign_in(browser, acc)
    api = PageClient(app, base_url=base_url(app))
    api.headers["Authorization"] = f"Bearer {api_token(api, acc)}"
    assert browser.get("/account/password").status_code == 200
    assert api.get("/api/v1/patients").status_code == 200
    with db.transaction() as s:
        s.execute(
            update(User)
            .where(User.id == acc.id)
            .values(failed_logins=3, locked_until=utcnow() + dt.timedelta(minutes=15))
        )
    anon = PageClient(app, base_url=base_url(app))
    _ask(anon, acc.email)
    assert _set(anon, _token(_emails(db, acc.email)[0])).status_code == 303
    assert browser.get("/account/password", follow_redirects=False).status_code == 401
    assert api.get("/api/v1/patients").status_code == 401
    with db.session() as s:
        user = s.get(User, acc.id)
        assert user.locked_until is None and user.failed_logins == 0
    assert _can_sign_in(anon, acc.email, NEW_PASSWORD)  # no longer locked
    [done] = [h for h in audit_history(db, acc.id) if h.action == "reset_password"]
    assert done.actor_id == acc.id and NEW_PASSWORD not in (done.after or "")
    for c in (browser, api, anon):
        c.close()


def audit_history(db, user_id: int) -> list:
    with db.session() as s:
        return list(audit.history(s, "user", user_id))


def test_the_new_password_follows_the_same_rules_and_a_refusal_keeps_the_link(
    client, make_account, db
):
    acc = make_account("lab")
    _ask(client, acc.email)
    token = _token(_emails(db, acc.email)[0])
    short = _set(client, token, "short")
    assert short.status_code == 422 and "at least 12 characters" in short.text
    differ = _set(client, token, NEW_PASSWORD, repeat=NEW_PASSWORD + "!")
    assert differ.status_code == 422 and "not the same" in differ.text
    assert verify_password(_stored_hash(db, acc.id), PASSWORD)
    assert _set(client, token).status_code == 303  # the link still works after a refusal


def test_two_uses_of_one_link_at_the_same_moment_reset_once(make_account, db):
    acc = make_account("nurse")
    with db.transaction() as s:
        reset.request_reset(s, acc.email, client="test")
    token = _token(_emails(db, acc.email)[0])
    outcomes: list[str] = []
    passwords = ["first chosen phrase 11", "second chosen phrase 22"]
    barrier = threading.Barrier(2)

    def use(password: str) -> None:
        barrier.wait()
        try:
            reset.complete_reset(db, token, password, password)
            outcomes.append(password)
        except reset.ResetLinkUnusable:
            outcomes.append("refused")

    threads = [threading.Thread(target=use, args=(p,)) for p in passwords]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("refused") == 1
    [winner] = [o for o in outcomes if o != "refused"]
    assert verify_password(_stored_hash(db, acc.id), winner)


def test_the_api_resets_with_the_token_and_refuses_a_used_one_with_400(client, make_account, db):
    acc = make_account("physician")
    assert client.post("/api/v1/auth/password-reset", json={"email": acc.email}).status_code == 202
    token = _token(_emails(db, acc.email)[0])
    body = {"token": token, "password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/password-reset/complete", json=body).status_code == 204
    again = client.post("/api/v1/auth/password-reset/complete", json=body)
    assert again.status_code == 400 and "already been used" in again.json()["detail"]
    unknown = {"token": "no-such-token", "password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/password-reset/complete", json=unknown).status_code == 400
    assert _can_sign_in(client, acc.email, NEW_PASSWORD)


def test_an_admin_sends_a_link_from_the_account_page_audited(page_as, make_account, db):
    admin = page_as("admin")
    acc = make_account("nurse")
    page = admin.get(f"/admin/users/{acc.id}").text
    assert f'action="/admin/users/{acc.id}/reset-password"' in page
    path = f"/admin/users/{acc.id}/reset-password"
    assert admin.post_form(path, {"reason": ""}).status_code == 422  # a reason is required
    assert _emails(db) == []
    r = admin.post_form(path, {"reason": "forgot it, called the desk"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?reset_sent=1")
    assert "A link for choosing a new password was sent" in admin.get(r.headers["location"]).text
    [email] = _emails(db, acc.email)
    with db.session() as s:
        row = s.scalars(select(PasswordResetToken)).one()
        [issued] = audit.history(s, "password_reset_link", row.id)
    assert row.requested_by == "admin" and row.requested_by_id == admin.account.id
    assert issued.actor_id == admin.account.id and issued.reason == "forgot it, called the desk"
    assert _token(email) not in (issued.after or "")
    assert verify_password(_stored_hash(db, acc.id), PASSWORD)  # unchanged until used


@pytest.mark.parametrize("role", ["physician", "nurse", "coordinator", "lab", "patient"])
def test_only_an_admin_may_send_a_link_from_the_account_page(page_as, make_account, db, role):
    acc = make_account("nurse")
    other = page_as(role)
    r = other.post_form(f"/admin/users/{acc.id}/reset-password", {"reason": "x"})
    assert r.status_code == 403
    assert _emails(db) == []


def test_the_command_line_queues_a_link_without_printing_it(make_account, db):
    from tests.kit.test_audit import run_cli

    acc = make_account("lab")
    assert run_cli(db, "users", "reset-password", acc.email).returncode != 0  # needs a reason
    r = run_cli(db, "users", "reset-password", acc.email, "--reason", "asked by phone")
    assert r.returncode == 0, r.stderr
    assert "is in the outbox" in r.stdout
    [email] = _emails(db, acc.email)
    assert _token(email) not in r.stdout + r.stderr
    with db.session() as s:
        row = s.scalars(select(PasswordResetToken)).one()
        [issued] = audit.history(s, "password_reset_link", row.id)
    assert row.requested_by == "operator" and row.requested_by_id is None
    assert issued.actor_role == "system" and issued.reason == "asked by phone"


def test_a_patient_is_written_to_and_the_pages_answer_in_their_language(
    client, make_account, make_patient, db
):
    german = make_account("patient", patient_id=make_patient(preferred_language="de-AT"))
    russian = make_account(
        "patient",
        patient_id=make_patient(
            first_name="Olga", preferred_language="ru", email="olga@mail.example"
        ),
    )
    _ask(client, german.email)
    _ask(client, russian.email)
    [de] = _emails(db, german.email)
    [ru] = _emails(db, russian.email)
    assert de.subject == "Wählen Sie ein neues Passwort für Respira"
    assert ru.subject == "Выберите новый пароль для Respira"
    link = urlsplit(LINK.search(de.text).group(0))
    assert link.query == "lang=de"  # the page opens in the email's language
    de_page = client.get(f"{link.path}?{link.query}")
    assert de_page.status_code == 200 and "Neues Passwort wählen" in de_page.text
    ru_token = _token(ru)
    ru_page = client.get(f"/password-reset/{ru_token}?lang=ru")
    assert "Выберите новый пароль" in ru_page.text
    ask_de = client.get("/password-reset?lang=de")
    assert "Passwort vergessen?" in ask_de.text
    assert "Забыли пароль?" in client.get("/password-reset?lang=ru").text
    assert "Passwort vergessen?" in client.get("/login?lang=de").text


def test_the_sign_in_page_links_to_the_reset_form(client):
    page = client.get("/login").text
    assert 'href="/password-reset"' in page and "Forgot your password?" in page


def test_a_reset_does_not_sign_anyone_in(client, make_account, db):
    """The reset only sets the password: signing in afterwards asks for everything sign-in
    asks for (no session cookie comes with the reset)."""
    acc = make_account("nurse")
    _ask(client, acc.email)
    r = _set(client, _token(_emails(db, acc.email)[0]))
    assert r.status_code == 303
    assert tokens.SESSION_COOKIE not in r.headers.get("set-cookie", "")


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


@pytest.mark.browser
def test_the_reset_pages_work_at_390_px_in_chromium(live_server, page, make_account, db):
    page.set_viewport_size({"width": 390, "height": 844})
    acc = make_account("nurse")
    page.goto(f"{live_server}/login")
    _submit(page, "text=Forgot your password?")
    _fits(page)
    page.fill("#f-email", acc.email)
    _submit(page, "form[action='/password-reset'] button[type=submit]")
    assert "If an account has this email address" in page.content()
    _fits(page)
    page.goto(f"{live_server}/password-reset/{_token(_emails(db, acc.email)[0])}")
    _fits(page)
    page.fill("#f-password", NEW_PASSWORD)
    page.fill("#f-repeat", "another long phrase 77")
    _submit(page, "form.narrow button.primary")
    assert "not the same" in page.content()
    _fits(page)
    page.fill("#f-password", NEW_PASSWORD)
    page.fill("#f-repeat", NEW_PASSWORD)
    _submit(page, "form.narrow button.primary")
    assert "Your password is changed" in page.content()
    _fits(page)
