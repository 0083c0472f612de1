"""Accounts, sign-in, lockout, sessions, tokens and CSRF."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from respira.accounts.models import User
from respira.accounts.passwords import verify_password
from tests.conftest import PASSWORD, PageClient, api_token, sign_in


def test_passwords_are_stored_as_argon2id_hashes(db, make_account):
    acc = make_account("physician")
    with db.transaction() as s:
        stored = s.scalar(select(User.password_hash).where(User.id == acc.id))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")


def test_token_endpoint_answers_oauth2_bearer_token(client, make_account):
    acc = make_account("coordinator")
    r = client.post("/api/v1/auth/token", data={"username": acc.email, "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600


def test_wrong_password_answers_401_with_one_message_for_all_failures(client, make_account):
    acc = make_account("coordinator")
    wrong = client.post("/api/v1/auth/token", data={"username": acc.email, "password": "nope"})
    unknown = client.post(
        "/api/v1/auth/token", data={"username": "ghost@clinic.example.org", "password": "nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def _fail(client, email, times):
    for _ in range(times):
        r = client.post("/api/v1/auth/token", data={"username": email, "password": "wrong pw"})
        assert r.status_code == 401


def test_login_locks_for_15_minutes_after_5_failures_in_a_row(client, make_account, db):
    acc = make_account("physician")
    _fail(client, acc.email, 4)
    # four failures: the right password still works and resets the count
    assert (
        client.post(
            "/api/v1/auth/token", data={"username": acc.email, "password": PASSWORD}
        ).status_code
        == 200
    )
    _fail(client, acc.email, 5)
    r = client.post("/api/v1/auth/token", data={"username": acc.email, "password": PASSWORD})
    assert r.status_code == 401, "the right password must not open a locked account"
    with db.transaction() as s:
        locked_until = s.scalar(select(User.locked_until).where(User.id == acc.id))
    remaining = locked_until - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=14) < remaining <= dt.timedelta(minutes=15)
    # when the 15 minutes have passed, the account opens again
    with db.transaction() as s:
        s.execute(
            update(User)
            .where(User.id == acc.id)
            .values(locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    assert (
        client.post(
            "/api/v1/auth/token", data={"username": acc.email, "password": PASSWORD}
        ).status_code
        == 200
    )


def test_lockout_is_audited(client, make_account, db):
    from respira.kit import audit

    acc = make_account("physician")
    _fail(client, acc.email, 5)
    with db.transaction() as s:
        actions = [r.action for r in audit.history(s, "user", acc.id)]
    assert actions == ["create", *["sign_in_failed"] * 5, "lock"]


def test_api_without_credentials_is_401_with_bearer_challenge(client, make_patient):
    pid = make_patient()
    r = client.get(f"/api/v1/patients/{pid}")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_api_with_a_forged_or_garbled_token_is_401(client, make_patient):
    pid = make_patient()
    for token in ["garbage", "eyJ1IjoxLCJlIjowfQ.forged.signature", ""]:
        r = client.get(f"/api/v1/patients/{pid}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401


def test_api_with_the_wrong_role_is_403(api_as, make_patient):
    pid = make_patient()
    assert api_as("lab").get(f"/api/v1/patients/{pid}").status_code == 403


def test_session_cookie_is_signed_httponly_and_samesite(app, make_account):
    acc = make_account("coordinator")
    c = PageClient(app)
    token = c.csrf("/login")
    r = c.post(
        "/login",
        data={"email": acc.email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("respira_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()


def test_a_tampered_session_cookie_is_refused(app, make_account):
    acc = make_account("coordinator")
    c = PageClient(app)
    sign_in(c, acc)
    assert c.get("/patients").status_code == 200
    value = c.cookies.get("respira_session")
    tampered = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
    fresh = PageClient(app)
    fresh.cookies.set("respira_session", tampered)
    assert fresh.get("/patients").status_code == 401
    fresh.cookies.set("respira_session", value)
    assert fresh.get("/patients").status_code == 200


def test_page_without_session_shows_the_sign_in_form_with_401(client):
    r = client.get("/patients")
    assert r.status_code == 401
    assert 'action="/login"' in r.text


def test_form_post_without_csrf_token_is_refused_and_changes_nothing(page_as, db):
    from respira.patients.models import Patient
    from tests.conftest import patient_data

    c = page_as("coordinator")
    data = {k: str(v) for k, v in patient_data().items()}
    r = c.post("/patients", data=data)
    assert r.status_code == 403
    r = c.post("/patients", data={**data, "csrf_token": "0" * 64})
    assert r.status_code == 403
    with db.transaction() as s:
        assert s.scalar(select(Patient.id)) is None


def test_csrf_token_of_one_session_does_not_work_in_another(page_as):
    a = page_as("coordinator")
    b = page_as("coordinator")
    from tests.conftest import patient_data

    data = {k: str(v) for k, v in patient_data().items()}
    r = b.post("/patients", data={**data, "csrf_token": a.csrf("/patients/new")})
    assert r.status_code == 403


def test_sign_out_revokes_the_session_and_tokens(app, make_account):
    acc = make_account("physician")
    c = PageClient(app)
    sign_in(c, acc)
    api = PageClient(app)
    api.headers["Authorization"] = f"Bearer {api_token(api, acc)}"
    assert api.get("/api/v1/patients").status_code == 200
    old_cookie = c.cookies.get("respira_session")
    r = c.post("/logout", data={"csrf_token": c.csrf("/")}, follow_redirects=False)
    assert r.status_code == 303
    replay = PageClient(app)
    replay.cookies.set("respira_session", old_cookie)
    assert replay.get("/patients").status_code == 401
    assert api.get("/api/v1/patients").status_code == 401


def test_deactivated_account_can_neither_sign_in_nor_use_its_token(client, make_account, db):
    acc = make_account("physician")
    token = api_token(client, acc)
    with db.transaction() as s:
        s.execute(update(User).where(User.id == acc.id).values(is_active=False))
    assert (
        client.get("/api/v1/patients", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert (
        client.post(
            "/api/v1/auth/token", data={"username": acc.email, "password": PASSWORD}
        ).status_code
        == 401
    )


def test_sign_in_redirects_only_to_local_paths(app, make_account):
    acc = make_account("coordinator")
    c = PageClient(app)
    for target, expected in [
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/patients", "/patients"),
    ]:
        token = c.csrf("/login")
        r = c.post(
            "/login",
            data={"email": acc.email, "password": PASSWORD, "csrf_token": token, "next": target},
            follow_redirects=False,
        )
        assert r.headers["location"] == expected


def test_layout_shows_the_signed_in_user_and_navigation_by_role(page_as):
    coord = page_as("coordinator")
    html = coord.get("/").text
    assert coord.account.actor.name in html
    assert 'href="/patients"' in html
    assert 'href="/audit"' not in html
    admin = page_as("admin")
    html = admin.get("/").text
    assert 'href="/audit"' in html
    patient = page_as("patient")
    html = patient.get("/").text
    assert 'href="/me"' in html and 'href="/patients"' not in html


def test_patient_account_must_link_to_exactly_one_existing_patient(db, make_patient):
    import pytest

    from respira.accounts import service
    from respira.kit.actors import Actor
    from respira.kit.errors import InvalidInput

    pid = make_patient()
    with db.transaction() as s:
        with pytest.raises(InvalidInput) as e:
            service.create_user(
                s,
                Actor.system(),
                email="p@clinic.example.org",
                name="P",
                role="patient",
                password=PASSWORD,
            )
        assert "patient" in e.value.errors
    with db.transaction() as s:
        with pytest.raises(InvalidInput) as e:
            service.create_user(
                s,
                Actor.system(),
                email="d@clinic.example.org",
                name="D",
                role="physician",
                password=PASSWORD,
                patient_id=pid,
            )
        assert "patient" in e.value.errors
    with db.transaction() as s:
        service.create_user(
            s,
            Actor.system(),
            email="p1@clinic.example.org",
            name="P1",
            role="patient",
            password=PASSWORD,
            patient_id=pid,
        )
    with db.transaction() as s:
        with pytest.raises(InvalidInput) as e:
            service.create_user(
                s,
                Actor.system(),
                email="p2@clinic.example.org",
                name="P2",
                role="patient",
                password=PASSWORD,
                patient_id=pid,
            )
        assert e.value.errors["patient"] == "this patient already has an account"


def test_short_passwords_and_duplicate_emails_are_refused(db, make_account):
    import pytest

    from respira.accounts import service
    from respira.kit.actors import Actor
    from respira.kit.errors import InvalidInput

    acc = make_account("lab")
    with db.transaction() as s, pytest.raises(InvalidInput) as e:
        service.create_user(
            s, Actor.system(), email=acc.email.upper(), name="X", role="lab", password="short"
        )
    assert set(e.value.errors) == {"email", "password"} or "password" in e.value.errors


def _login(app, account, cookies=None):
    from tests.conftest import PageClient

    with PageClient(app) as client:
        for name, value in (cookies or {}).items():
            client.cookies.set(name, value)
        token = client.csrf("/login")
        r = client.post(
            "/login",
            data={"email": account.email, "password": account.password, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        return r.cookies.get("respira_lang"), client.get("/").text


def test_a_patient_signing_in_gets_their_preferred_language_unless_they_chose_one(
    app, make_patient, make_account
):
    patient = make_account("patient", patient_id=make_patient(preferred_language="ru"))
    lang, home = _login(app, patient)
    assert lang == "ru" and 'lang="ru"' in home
    chosen, _ = _login(app, patient, cookies={"respira_lang": "de"})
    assert chosen is None  # the visitor's own choice on this device stays
    staff, _ = _login(app, make_account("physician"))
    assert staff is None
