"""Sign-in and sign-out pages, and the administrator's accounts: create, deactivate,
activate again and unlock (the same use cases and audit as ``respira users``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from respira.accounts import reset, service, two_factor
from respira.kit import i18n, ratelimit, tokens
from respira.kit.actors import Role
from respira.kit.config import get_settings
from respira.kit.db import Database, utcnow
from respira.kit.errors import InvalidInput, NotAuthenticated, RateLimited
from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess, Public
from respira.kit.web.forms import Refused
from respira.kit.web.http import remember_language
from respira.kit.web.routes import Call, Post, posts, see_other, uses
from respira.kit.web.templating import gettext_for

router = APIRouter(include_in_schema=False)


def safe_next(value: str | None) -> str:
    """Only a local path: never redirect a user off-site after sign-in."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


# Notices another step may ask the sign-in page to show (``/login?notice=link-used``):
# a key in the address, never the text, so that a link cannot put words on the page.
NOTICES = {
    "link-used": N_("This link has already been used or has expired. Please sign in."),
    "password-reset": N_("Your password is changed. Please sign in with the new password."),
    "code-expired": N_("Signing in took too long. Please enter your email and password again."),
}
ENTER_BOTH = N_("Enter your email and your password.")


@router.get("/login")
def login_form(
    next: str = "/",
    notice: str | None = Query(default=None, max_length=40),
    call: Call = uses(Public()),
) -> Response:
    text = NOTICES.get(notice or "")
    shown = gettext_for(call.request)(text) if text else None
    context = {"next": safe_next(next), "error": None, "notice": shown}
    return call.render("accounts/login.html", context)


@router.post("/login")
def login(post: Post = posts(Public(form=True))) -> Response:
    """Sign in. The request's own (write) session is never used: sign-in reads, hashes
    with no transaction open, and writes its outcome in a short transaction."""
    data = post.data
    nxt = safe_next(data.get("next"))
    email = data.get("email", "")[:254]
    gettext = gettext_for(post.request)

    def again(error: str, status_code: int, retry_after_s: int | None = None) -> Response:
        context = {"next": nxt, "error": gettext(error), "email": email}
        response = post.render("accounts/login.html", context, status_code)
        if retry_after_s is not None:
            response.headers["Retry-After"] = str(retry_after_s)
        return response

    if not data.get("email", "").strip() or not data.get("password"):
        return again(ENTER_BOTH, 422)
    db: Database = post.request.app.state.db
    client = ratelimit.request_client_key(post.request)
    try:
        signed_in = service.authenticate(db, email, data.get("password", ""), client=client)
    except NotAuthenticated as exc:
        return again(exc.message, 401)
    except RateLimited as exc:
        return again(exc.message, 429, exc.retry_after_s)
    step = two_factor.next_step(db, signed_in)
    if step is not None:  # the code, or the set-up the role requires: no session yet
        return _ask_second_factor(signed_in, step, nxt)
    response = see_other(nxt)
    _set_session_cookie(
        response, tokens.make_session_cookie(signed_in.user_id, signed_in.session_epoch)
    )
    with db.session() as read:
        preferred = service.patient_language(read, signed_in.actor)
    if preferred and not post.request.cookies.get(tokens.LANG_COOKIE):
        # A patient's pages open in their language unless they chose one on this device.
        remember_language(response, i18n.negotiate(None, None, preferred))
    return response


def _ask_second_factor(signed_in: service.SignedIn, step: two_factor.Purpose, nxt: str) -> Response:
    """After the right password: on to the code page (or the set-up page), with a
    short-lived signed cookie that says whose password it was."""
    response = see_other("/login/code" if step == "code" else "/login/two-factor")
    response.set_cookie(
        two_factor.PENDING_COOKIE,
        two_factor.pending_cookie(signed_in, step, nxt),
        max_age=two_factor.PENDING_MAX_AGE_S[step],
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
        path="/login",
    )
    return response


def _set_session_cookie(response: Response, cookie: str) -> None:
    settings = get_settings()
    response.set_cookie(
        tokens.SESSION_COOKIE,
        cookie,
        max_age=settings.session_max_age_s,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )


@router.post("/logout")
def logout(call: Call = uses(PageAccess(*Role))) -> Response:
    service.sign_out(call.session, call.actor)
    response = see_other("/login")
    response.delete_cookie(tokens.SESSION_COOKIE, path="/")
    return response


# --- everyone: their own password -------------------------------------------------

PASSWORD_FLASH = {"changed": N_("Your password is changed. Your other sessions have ended.")}


def _password_page(call: Call, refused: Refused | None = None) -> Response:
    context: dict[str, Any] = {"flash": call.flash(PASSWORD_FLASH), "form": {}}
    return call.render_form("accounts/password.html", context, refused)


@router.get("/account/password")
def password_form(call: Call = uses(PageAccess(*Role))) -> Response:
    return _password_page(call)


@router.post("/account/password")
def change_password(post: Post = posts(PageAccess(*Role), signature="current")) -> Response:
    data = post.data
    outcome = post.attempt(
        lambda: service.change_own_password(
            post.session,
            post.actor,
            current=data.get("current", ""),
            password=data.get("password", ""),
            repeat=data.get("repeat", ""),
        )
    )
    if isinstance(outcome, Refused):
        return _password_page(post, outcome)
    response = see_other("/account/password?changed=1")
    _set_session_cookie(response, outcome)
    return response


# --- the administrator's accounts: create, deactivate, activate again, unlock -------

ADMIN = PageAccess(Role.ADMIN)
ROLE_LABELS = {
    Role.ADMIN: N_("administrator"),
    Role.PHYSICIAN: N_("physician"),
    Role.NURSE: N_("nurse"),
    Role.COORDINATOR: N_("coordinator"),
    Role.LAB: N_("laboratory"),
    Role.PATIENT: N_("patient"),
}
USERS_FLASH = {"created": N_("The account was created.")}
ACCOUNT_FLASH = {
    "deactivated": N_("The account is deactivated: it can no longer sign in."),
    "activated": N_("The account is active again."),
    "unlocked": N_("The account is unlocked."),
    "two_factor_reset": N_(
        "Two-factor sign-in is off for this account and its sessions have ended. If its "
        "role requires it, the person sets it up again at their next sign-in."
    ),
    "reset_sent": N_(
        "A link for choosing a new password was sent to the account's email address. "
        "The password stays as it is until the link is used."
    ),
}
RECORD_NUMBER_UNKNOWN = N_("no patient with this record number")


def _users(call: Call, form: dict[str, str], refused: Refused | None = None) -> Response:
    context = {
        "users": service.list_users(call.session),
        "now": utcnow(),
        "form": form,
        "roles": ROLE_LABELS,
        "flash": call.flash(USERS_FLASH),
    }
    return call.render_form("accounts/users.html", context, refused)


@router.get("/admin/users")
def users_page(call: Call = uses(ADMIN)) -> Response:
    return _users(call, {})


@router.post("/admin/users")
def create_account(post: Post = posts(ADMIN)) -> Response:
    """An account made in the browser: the same use case and audit as ``respira users
    create``; the administrator gives the first password, which the person changes."""
    data = post.data
    form = {k: data.get(k, "") for k in ("email", "name", "role", "record_number")}

    def create() -> service.UserView:
        # Hashed before the record-number lookup opens the transaction.
        hashed = service.new_hash(post.session, data.get("password", ""))
        patient_id = None
        if form["record_number"].strip():
            patient_id = service.patient_by_record_number(post.session, form["record_number"])
            if patient_id is None:
                raise InvalidInput({"record_number": RECORD_NUMBER_UNKNOWN})
        try:
            return service.create_user(
                post.session,
                post.actor,
                email=form["email"],
                name=form["name"],
                role=form["role"],
                password=data.get("password", ""),
                patient_id=patient_id,
                password_hash=hashed,
            )
        except InvalidInput as exc:  # the page asks for the record number, not the id
            errors = dict(exc.errors)
            if "patient" in errors:
                errors["record_number"] = errors.pop("patient")
            raise InvalidInput(errors) from None

    outcome = post.attempt(create)
    return post.answer(
        outcome, lambda refused: _users(post, form, refused), "/admin/users?created=1"
    )


def _account(
    call: Call, user_id: int, form: dict[str, str], refused: Refused | None = None
) -> Response:
    context = {
        "user": service.get_user(call.session, user_id),
        "now": utcnow(),
        "form": form,
        "roles": ROLE_LABELS,
        "flash": call.flash(ACCOUNT_FLASH),
        "two_factor": two_factor.status(call.session, user_id),
    }
    return call.render_form("accounts/account.html", context, refused)


@router.get("/admin/users/{user_id}")
def account_page(user_id: int, call: Call = uses(ADMIN)) -> Response:
    return _account(call, user_id, {})


def _change(post: Post, user_id: int, change: str) -> Response:
    """Deactivate, activate again or unlock one account, or send it a password-reset
    link, with the reason the audit trail keeps."""
    email = service.get_user(post.session, user_id).email
    reason = post.data.get("reason", "")[:500]

    def run() -> object:
        if change == "unlocked":
            return service.unlock(post.session, post.actor, email, reason)
        if change == "two_factor_reset":
            return two_factor.reset(post.session, post.actor, user_id, reason)
        if change == "reset_sent":
            return reset.send_link(post.session, post.actor, email, reason)
        return service.set_active(post.session, post.actor, email, change == "activated", reason)

    return post.answer(
        post.attempt(run),
        lambda refused: _account(post, user_id, {"reason": reason, "change": change}, refused),
        f"/admin/users/{user_id}?{change}=1",
    )


@router.post("/admin/users/{user_id}/deactivate")
def deactivate_account(user_id: int, post: Post = posts(ADMIN)) -> Response:
    return _change(post, user_id, "deactivated")


@router.post("/admin/users/{user_id}/activate")
def activate_account(user_id: int, post: Post = posts(ADMIN)) -> Response:
    return _change(post, user_id, "activated")


@router.post("/admin/users/{user_id}/unlock")
def unlock_account(user_id: int, post: Post = posts(ADMIN)) -> Response:
    return _change(post, user_id, "unlocked")


@router.post("/admin/users/{user_id}/reset-two-factor")
def reset_two_factor(user_id: int, post: Post = posts(ADMIN)) -> Response:
    """Turn off someone's two-factor sign-in (a lost phone), audited with the reason."""
    return _change(post, user_id, "two_factor_reset")


@router.post("/admin/users/{user_id}/reset-password")
def send_reset_link(user_id: int, post: Post = posts(ADMIN)) -> Response:
    """Email the person a link for choosing a new password (``respira.accounts.reset``,
    the same as ``respira users reset-password``); the reason goes to the audit trail."""
    return _change(post, user_id, "reset_sent")
