"""TOTP two-factor sign-in: enrolment, the code at sign-in (counted toward the lockout,
good once), recovery codes, the per-role requirement and the administrator's reset."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select, update

from respira.accounts.models import RecoveryCode, User
from respira.kit import audit
from respira.kit.audit import AuditRecord
from tests.conftest import PageClient, base_url

ENROLMENT_RE = re.compile(r'name="enrolment" value="([^"]+)"')
SECRET_RE = re.compile(r'<p class="secret" id="secret"><code>([A-Z2-7 ]+)</code>')
CODES_RE = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


def _enrol(client: PageClient) -> tuple[str, list[str]]:
    """Turn two-factor sign-in on for the signed-in client: its secret and its
    recovery codes."""
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    secret = SECRET_RE.search(page.text).group(1).replace(" ", "")
    token = ENROLMENT_RE.search(page.text).group(1)
    r = client.post_form(
        "/account/two-factor/enable",
        {"enrolment": token, "code": pyotp.TOTP(secret).now()},
        csrf_from="/account/two-factor",
    )
    assert r.status_code == 200, r.text
    codes = CODES_RE.findall(r.text)
    assert len(codes) == 10
    return secret, codes


def _next_code(secret: str) -> str:
    """The code of the next time step: the enrolment spent the current one, and the
    server accepts one step either side."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _wrong_code(secret: str) -> str:
    """A 6-digit code that no nearby time step has."""
    totp = pyotp.TOTP(secret)
    near = {totp.at(time.time() + 30 * k) for k in range(-2, 4)}
    return next(f"{n:06d}" for n in range(100) if f"{n:06d}" not in near)


def _forget_last_step(db, user_id: int) -> None:
    """Let the next sign-in use the current step's code again (the tests run faster
    than the clock's 30-second steps)."""
    with db.transaction() as s:
        s.execute(update(User).where(User.id == user_id).values(totp_last_step=None))


def _password(app, account, client: PageClient | None = None):
    c = client or PageClient(app, base_url=base_url(app))
    r = c.post(
        "/login",
        data={
            "email": account.email,
            "password": account.password,
            "csrf_token": c.csrf("/login"),
            "next": "/account/two-factor",
        },
        follow_redirects=False,
    )
    return c, r


def _code(c: PageClient, code: str):
    return c.post(
        "/login/code", data={"code": code, "csrf_token": c.csrf("/login")}, follow_redirects=False
    )


def _actions(db, user_id: int) -> list[str]:
    with db.transaction() as s:
        return [r.action for r in audit.history(s, "user", user_id)]


def test_enrolment_needs_a_right_code_before_two_factor_is_on(page_as, db):
    c = page_as("physician")
    page = c.get("/account/two-factor")
    token = ENROLMENT_RE.search(page.text).group(1)
    assert "otpauth://totp/Respira:" in page.text and "issuer=Respira" in page.text
    wrong = c.post_form(
        "/account/two-factor/enable",
        {"enrolment": token, "code": "00000"},
        csrf_from="/account/two-factor",
    )
    assert wrong.status_code == 422
    assert "does not match" in wrong.text
    assert token in wrong.text  # the same key again: the app already has it
    with db.transaction() as s:
        assert s.scalar(select(User.totp_secret).where(User.id == c.account.id)) is None
    secret, _codes = _enrol(c)
    with db.transaction() as s:
        user = s.get(User, c.account.id)
        assert user.totp_secret == secret and user.totp_enabled_at is not None
        stored = s.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id))
        assert all(len(h) == 64 and "-" not in h for h in stored)
    assert "two_factor_enabled" in _actions(db, c.account.id)
    assert c.get("/account/two-factor").status_code == 200  # this session goes on


def test_sign_in_with_two_factor_needs_the_code_before_any_session(page_as, app, db):
    enrolled = page_as("nurse")
    secret, _ = _enrol(enrolled)
    c, r = _password(app, enrolled.account)
    assert r.status_code == 303 and r.headers["location"] == "/login/code"
    assert "respira_session" not in c.cookies
    assert c.get("/account/two-factor", follow_redirects=False).status_code == 401
    assert c.get("/login/code").status_code == 200
    done = _code(c, _next_code(secret))
    assert done.status_code == 303 and done.headers["location"] == "/account/two-factor"
    assert c.get("/account/two-factor").status_code == 200
    assert _actions(db, enrolled.account.id)[-2:] == ["password_accepted", "sign_in"]
    c.close()


def test_the_same_code_is_refused_a_second_time(page_as, app, db):
    enrolled = page_as("coordinator")
    secret, _ = _enrol(enrolled)
    code = _next_code(secret)
    first, _ = _password(app, enrolled.account)
    assert _code(first, code).status_code == 303
    second, _ = _password(app, enrolled.account)
    replay = _code(second, code)
    assert replay.status_code == 401
    assert "already used" in replay.text
    assert "respira_session" not in second.cookies
    first.close()
    second.close()


def test_five_wrong_codes_lock_the_account_even_with_the_right_password_between(page_as, app, db):
    enrolled = page_as("physician")
    secret, _ = _enrol(enrolled)
    c, _ = _password(app, enrolled.account)
    for _ in range(3):
        assert _code(c, _wrong_code(secret)).status_code == 401
    # The right password again does not start the count again: only a right code does.
    c, _ = _password(app, enrolled.account, c)
    for _ in range(2):
        assert _code(c, "abcde-fghjk").status_code == 401
    with db.transaction() as s:
        assert s.get(User, enrolled.account.id).locked_until is not None
    assert _actions(db, enrolled.account.id).count("two_factor_failed") == 5
    assert "lock" in _actions(db, enrolled.account.id)
    # Locked: neither the password nor the right code lets anyone in.
    c, r = _password(app, enrolled.account, c)
    assert r.status_code == 401
    c.close()


def test_a_recovery_code_signs_in_once(page_as, app, db):
    enrolled = page_as("lab")
    _secret, codes = _enrol(enrolled)
    c, _ = _password(app, enrolled.account)
    assert _code(c, codes[3].upper().replace("-", " ")).status_code == 303
    assert "recovery_code_used" in _actions(db, enrolled.account.id)
    again, _ = _password(app, enrolled.account)
    assert _code(again, codes[3]).status_code == 401
    with db.transaction() as s:
        left = s.scalars(
            select(RecoveryCode).where(
                RecoveryCode.user_id == enrolled.account.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    assert len(left) == 9
    c.close()
    again.close()


def test_without_two_factor_and_without_a_requirement_sign_in_is_unchanged(page_as, app):
    c = page_as("physician")  # signs in with the password alone (conftest)
    assert c.get("/account/two-factor").status_code == 200
    c, r = _password(app, c.account)
    assert r.status_code == 303 and r.headers["location"] == "/account/two-factor"


def test_a_required_role_must_enrol_before_any_other_page_and_gets_no_token(
    page_as, app, db, client
):
    admin = page_as("admin")
    physician = page_as("physician")
    saved = admin.post_form("/admin/two-factor", {"required_physician": "1"})
    assert saved.status_code == 200 and "The requirement is saved." in saved.text
    # The physician's open session ended with the requirement.
    assert physician.get("/account/two-factor", follow_redirects=False).status_code == 401
    c, r = _password(app, physician.account)
    assert r.status_code == 303 and r.headers["location"] == "/login/two-factor"
    assert c.get("/account/password", follow_redirects=False).status_code == 401
    token = client.post(
        "/api/v1/auth/token",
        data={"username": physician.account.email, "password": physician.account.password},
    )
    assert token.status_code == 403
    assert token.json()["detail"] == "set up two-factor sign-in in the web app first"
    page = c.get("/login/two-factor")
    assert page.status_code == 200 and "requires two-factor sign-in" in page.text
    secret = SECRET_RE.search(page.text).group(1).replace(" ", "")
    done = c.post(
        "/login/two-factor",
        data={
            "enrolment": ENROLMENT_RE.search(page.text).group(1),
            "code": pyotp.TOTP(secret).now(),
            "csrf_token": c.csrf("/login"),
        },
    )
    assert done.status_code == 200 and len(CODES_RE.findall(done.text)) == 10
    assert c.get("/account/password").status_code == 200
    # Required: it cannot be turned off by the person.
    page = c.get("/account/two-factor")
    assert "cannot be turned off" in page.text and "/account/two-factor/disable" not in page.text
    with db.transaction() as s:
        history = audit.history(s, "two_factor_policy", "physician")
        assert audit.verify_rows(s).problems == []  # every changed row matches its record
    assert [r.action for r in history] == ["two_factor_policy_changed"]
    c.close()


def test_an_administrator_cannot_require_it_of_administrators_before_enrolling(page_as):
    admin = page_as("admin")
    r = admin.post_form("/admin/two-factor", {"required_admin": "1"})
    assert r.status_code == 422 and "your own account first" in r.text
    _enrol(admin)
    assert admin.post_form("/admin/two-factor", {"required_admin": "1"}).status_code == 200


def test_the_api_token_takes_the_code_in_the_totp_field(page_as, client, db):
    enrolled = page_as("coordinator")
    secret, _ = _enrol(enrolled)
    form = {"username": enrolled.account.email, "password": enrolled.account.password}
    missing = client.post("/api/v1/auth/token", data=form)
    assert missing.status_code == 401
    assert "needs a two-factor code" in missing.json()["detail"]
    wrong = client.post("/api/v1/auth/token", data={**form, "totp": _wrong_code(secret)})
    assert wrong.status_code == 401
    right = client.post("/api/v1/auth/token", data={**form, "totp": _next_code(secret)})
    assert right.status_code == 200, right.text
    me = client.get(
        "/account/two-factor",
        headers={"Authorization": f"Bearer {right.json()['access_token']}"},
        follow_redirects=False,
    )
    assert me.status_code == 401  # a token is no page session; it works on the API only
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    (form_schema,) = [s for s in schemas.values() if "totp" in s.get("properties", {})]
    assert "6-digit code" in form_schema["properties"]["totp"]["description"]


def test_an_administrators_reset_turns_it_off_ends_sessions_and_is_audited(page_as, db):
    admin = page_as("admin")
    nurse = page_as("nurse")
    _enrol(nurse)
    account = admin.get(f"/admin/users/{nurse.account.id}")
    assert "reset-two-factor" in account.text
    refused = admin.post_form(f"/admin/users/{nurse.account.id}/reset-two-factor", {"reason": " "})
    assert refused.status_code == 422
    r = admin.post_form(
        f"/admin/users/{nurse.account.id}/reset-two-factor",
        {"reason": "lost phone; identified at the ward desk"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with db.transaction() as s:
        user = s.get(User, nurse.account.id)
        assert user.totp_secret is None and user.totp_enabled_at is None
        assert not s.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
        (record,) = [r for r in audit.history(s, "user", user.id) if r.action == "two_factor_reset"]
        assert record.actor_id == admin.account.id
        assert record.reason == "lost phone; identified at the ward desk"
        assert audit.verify_rows(s).problems == []
    assert nurse.get("/account/two-factor", follow_redirects=False).status_code == 401


def test_the_command_line_turns_it_off_when_no_administrator_can_sign_in(page_as, db):
    from tests.kit.test_audit import run_cli

    admin = page_as("admin")
    _enrol(admin)
    email = admin.account.email
    assert run_cli(db, "users", "reset-two-factor", email).returncode != 0  # needs a reason
    unknown = run_cli(db, "users", "reset-two-factor", "nobody@example.org", "--reason", "x")
    assert unknown.returncode == 2 and "no account" in unknown.stderr
    r = run_cli(db, "users", "reset-two-factor", email, "--reason", "all phones lost")
    assert r.returncode == 0, r.stderr
    with db.session() as s:
        assert s.get(User, admin.account.id).totp_enabled_at is None
        (record,) = [
            h for h in audit.history(s, "user", admin.account.id) if h.action == "two_factor_reset"
        ]
        assert record.actor_role == "system" and record.reason == "all phones lost"
    again = run_cli(db, "users", "reset-two-factor", email, "--reason", "twice")
    assert again.returncode == 2  # it is already off: nothing changes


def test_only_an_administrator_may_change_the_requirement(page_as):
    physician = page_as("physician")
    assert physician.post_form("/admin/two-factor", {"required_lab": "1"}).status_code == 403
    assert physician.get("/admin/two-factor").status_code == 403


def test_turning_it_off_needs_the_password_and_a_code(page_as, db):
    c = page_as("lab")
    secret, _ = _enrol(c)
    _forget_last_step(db, c.account.id)
    wrong = c.post_form(
        "/account/two-factor/disable",
        {"password": c.account.password, "code": _wrong_code(secret)},
        csrf_from="/account/two-factor",
    )
    assert wrong.status_code == 422
    assert "two_factor_failed" in _actions(db, c.account.id)
    # The right password does not end the run of wrong codes: they still add up.
    c.post_form(
        "/account/two-factor/disable",
        {"password": c.account.password, "code": _wrong_code(secret)},
        csrf_from="/account/two-factor",
    )
    with db.transaction() as s:
        assert s.get(User, c.account.id).failed_logins == 2
    r = c.post_form(
        "/account/two-factor/disable",
        {"password": c.account.password, "code": pyotp.TOTP(secret).now()},
        csrf_from="/account/two-factor",
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "two_factor_disabled" in _actions(db, c.account.id)
    with db.transaction() as s:
        assert s.get(User, c.account.id).totp_secret is None


def test_the_secret_and_the_codes_never_enter_the_audit_trail(page_as, app, db):
    c = page_as("physician")
    secret, codes = _enrol(c)
    code = _next_code(secret)
    signer, _ = _password(app, c.account)
    assert _code(signer, code).status_code == 303
    with db.transaction() as s:
        texts = [f"{r.before} {r.after} {r.reason}" for r in s.scalars(select(AuditRecord)).all()]
    joined = " ".join(texts)
    assert secret not in joined and code not in joined
    assert not any(rc in joined or rc.replace("-", "") in joined for rc in codes)
    signer.close()


def test_patients_cannot_open_the_two_factor_page(page_as):
    assert page_as("patient").get("/account/two-factor").status_code == 403


@pytest.mark.parametrize(
    ("lang", "own", "code_page", "policy"),
    [
        ("de", "Zwei-Faktor-Anmeldung", "Code eingeben", "Zwei-Faktor-Anmeldung nach Rolle"),
        ("ru", "Двухфакторный вход", "Введите код", "Двухфакторный вход по ролям"),
    ],
)
def test_two_factor_pages_are_translated(page_as, app, lang, own, code_page, policy):
    admin = page_as("admin")
    assert own in admin.get(f"/account/two-factor?lang={lang}").text
    assert policy in admin.get(f"/admin/two-factor?lang={lang}").text
    enrolled = page_as("physician")
    _enrol(enrolled)
    c, _ = _password(app, enrolled.account)
    assert code_page in c.get(f"/login/code?lang={lang}").text
    c.close()


def test_the_code_page_without_a_right_password_first_sends_back_to_sign_in(client):
    r = client.get("/login/code", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?notice=code-expired"
    assert "took too long" in client.get("/login?notice=code-expired").text
