"""Accounts in the browser: an administrator creates, deactivates, activates again and
unlocks accounts with the same use cases and audit as ``respira users``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from respira.accounts.models import User
from respira.kit import audit
from respira.kit.db import utcnow
from respira.patients.models import Patient
from tests.conftest import Account, PageClient, sign_in

NEW_PASSWORD = "amber-otter-lantern-47"


def _create(admin: PageClient, **fields: str):
    data = {"name": "Dana Weiss", "email": "dana@clinic.example.org", "role": "nurse"}
    data |= {"password": NEW_PASSWORD, **fields}
    return admin.post_form("/admin/users", data, csrf_from="/admin/users", follow_redirects=False)


def _history(db, user_id: int) -> list:
    with db.session() as s:
        return list(audit.history(s, "user", user_id))


def test_an_admin_creates_a_staff_account_that_can_sign_in(page_as, app, db):
    admin = page_as("admin")
    r = _create(admin)
    assert r.status_code == 303 and r.headers["location"] == "/admin/users?created=1"
    page = admin.get("/admin/users?created=1").text
    assert "The account was created." in page and "dana@clinic.example.org" in page
    with db.session() as s:
        user = s.scalars(select(User).where(User.email == "dana@clinic.example.org")).one()
    assert user.role == "nurse" and user.is_active
    [created] = [h for h in _history(db, user.id) if h.action == "create"]
    assert created.actor_id == admin.account.id
    assert NEW_PASSWORD not in (created.after or "")
    person = PageClient(app)
    sign_in(person, Account(user.id, user.email, "nurse", NEW_PASSWORD, None, admin.account.actor))


def test_a_patient_account_is_linked_by_record_number(page_as, make_patient, db):
    admin = page_as("admin")
    patient_id = make_patient(first_name="Olga", email="olga@mail.example")
    with db.session() as s:
        mrn = s.scalar(select(Patient.medical_record_number).where(Patient.id == patient_id))
    unknown = _create(admin, role="patient", record_number="0000000")
    assert unknown.status_code == 422
    assert "no patient with this record number" in unknown.text
    r = _create(admin, role="patient", record_number=mrn, email="olga@mail.example")
    assert r.status_code == 303
    with db.session() as s:
        user = s.scalars(select(User).where(User.email == "olga@mail.example")).one()
    assert user.patient_id == patient_id and user.role == "patient"


def test_a_refused_account_says_why_in_words_and_creates_nothing(page_as, db):
    admin = page_as("admin")
    r = _create(admin, password="password1234", email="not an email", role="")
    assert r.status_code == 422
    assert "common or leaked passwords" in r.text or "simple pattern" in r.text
    assert "not a valid email address" in r.text and "choose one of the roles" in r.text
    assert NEW_PASSWORD not in r.text and "password1234" not in r.text
    with db.session() as s:
        assert s.scalar(select(User.id).where(User.name == "Dana Weiss")) is None


def test_the_forms_are_in_german_for_a_german_admin(page_as):
    admin = page_as("admin")
    admin.cookies.set("respira_lang", "de")
    r = _create(admin, email="not an email")
    assert r.status_code == 422
    assert "Neues Konto" in r.text and "keine gültige E-Mail-Adresse" in r.text


def test_deactivate_needs_a_reason_then_ends_sessions_and_activate_restores(page_as, db):
    admin = page_as("admin")
    physician = page_as("physician")
    uid = physician.account.id
    path = f"/admin/users/{uid}"
    refused = admin.post_form(f"{path}/deactivate", {"reason": " "}, csrf_from=path)
    assert refused.status_code == 422
    assert "give a reason; it is kept in the audit trail" in refused.text
    assert physician.get("/patients", follow_redirects=False).status_code == 200
    r = admin.post_form(
        f"{path}/deactivate", {"reason": "left the clinic"}, csrf_from=path, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == f"{path}?deactivated=1"
    assert "can no longer sign in" in admin.get(r.headers["location"]).text
    assert physician.get("/patients", follow_redirects=False).status_code in (302, 303, 401)
    r = admin.post_form(
        f"{path}/activate", {"reason": "came back"}, csrf_from=path, follow_redirects=False
    )
    assert r.status_code == 303
    sign_in(physician, physician.account)
    actions = [(h.action, h.reason, h.actor_id) for h in _history(db, uid)]
    assert ("deactivate", "left the clinic", admin.account.id) in actions
    assert ("activate", "came back", admin.account.id) in actions


def test_a_locked_account_is_shown_and_an_admin_unlocks_it(page_as, make_account, app, db):
    admin = page_as("admin")
    locked = make_account("coordinator")
    with db.transaction() as s:
        s.execute(
            update(User)
            .where(User.id == locked.id)
            .values(locked_until=utcnow() + dt.timedelta(minutes=15), failed_logins=0)
        )
    listing = admin.get("/admin/users").text
    assert "locked until" in listing
    path = f"/admin/users/{locked.id}"
    assert "Unlock the account" in admin.get(path).text
    person = PageClient(app)
    token = person.csrf("/login")
    form = {"email": locked.email, "password": locked.password, "csrf_token": token}
    assert person.post("/login", data=form).status_code == 401
    r = admin.post_form(
        f"{path}/unlock", {"reason": "called, identified"}, csrf_from=path, follow_redirects=False
    )
    assert r.status_code == 303
    page = admin.get(r.headers["location"]).text
    assert "The account is unlocked." in page and "Unlock the account" not in page
    sign_in(person, locked)
    [unlock] = [h for h in _history(db, locked.id) if h.action == "unlock"]
    assert unlock.reason == "called, identified" and unlock.actor_id == admin.account.id


def test_an_unknown_account_is_not_found(page_as):
    admin = page_as("admin")
    assert admin.get("/admin/users/999999").status_code == 404


# --- everyone changes their own password ----------------------------------------------


def _change(client: PageClient, current: str, password: str, repeat: str | None = None):
    data = {"current": current, "password": password, "repeat": repeat or password}
    return client.post_form(
        "/account/password", data, csrf_from="/account/password", follow_redirects=False
    )


def test_own_password_change_needs_the_current_one_and_ends_other_sessions(page_as, app, db):
    nurse = page_as("nurse")
    other = PageClient(app)
    sign_in(other, nurse.account)
    assert 'href="/account/password"' in nurse.get("/account/password").text
    wrong = _change(nurse, "not my password", NEW_PASSWORD)
    assert wrong.status_code == 422 and "this is not your current password" in wrong.text
    differ = _change(nurse, nurse.account.password, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert differ.status_code == 422 and "the two new passwords are not the same" in differ.text
    common = _change(nurse, nurse.account.password, "password1234")
    assert common.status_code == 422
    r = _change(nurse, nurse.account.password, NEW_PASSWORD)
    assert r.status_code == 303
    page = nurse.get(r.headers["location"]).text
    assert "Your password is changed." in page  # this session goes on
    assert other.get("/patients", follow_redirects=False).status_code != 200
    fresh = PageClient(app)
    sign_in(
        fresh,
        Account(
            nurse.account.id, nurse.account.email, "nurse", NEW_PASSWORD, None, nurse.account.actor
        ),
    )
    with db.session() as s:
        stored = s.scalar(select(User.password_hash).where(User.id == nurse.account.id))
    assert NEW_PASSWORD not in stored
    actions = [h.action for h in _history(db, nurse.account.id)]
    assert "set_password" in actions and "signature_password_failed" in actions


def test_wrong_current_passwords_lock_the_account_like_wrong_sign_ins(page_as, db):
    coordinator = page_as("coordinator")
    for _ in range(5):
        assert _change(coordinator, "guessing again", NEW_PASSWORD).status_code == 422
    with db.session() as s:
        locked_until = s.scalar(select(User.locked_until).where(User.id == coordinator.account.id))
    assert locked_until is not None
    # even the right current password is refused while the account is locked
    assert _change(coordinator, coordinator.account.password, NEW_PASSWORD).status_code == 422


def test_the_command_line_unlocks_with_the_same_use_case(make_account, db):
    from tests.kit.test_audit import run_cli

    acc = make_account("lab")
    with db.transaction() as s:
        until = utcnow() + dt.timedelta(minutes=15)
        s.execute(update(User).where(User.id == acc.id).values(locked_until=until))
    assert run_cli(db, "users", "unlock", acc.email).returncode != 0  # a reason is required
    r = run_cli(db, "users", "unlock", acc.email, "--reason", "identified by phone")
    assert r.returncode == 0, r.stderr
    with db.session() as s:
        assert s.scalar(select(User.locked_until).where(User.id == acc.id)) is None
    [unlock] = [h for h in _history(db, acc.id) if h.action == "unlock"]
    assert unlock.reason == "identified by phone" and unlock.actor_role == "system"
