"""Two-factor sign-in pages: a person's own (turn it on with their authenticator app,
recovery codes shown once, turn it off), the second half of signing in (the code page,
and the set-up a role requires before anything else), and the administrator's
requirement per role. The use cases are ``respira.accounts.two_factor``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from respira.accounts import two_factor
from respira.accounts.pages import ROLE_LABELS, _set_session_cookie
from respira.kit import ratelimit, tokens
from respira.kit.actors import Actor, Role
from respira.kit.db import Database
from respira.kit.errors import NotAuthenticated, RateLimited
from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess, Public
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, see_other, uses
from respira.kit.web.templating import gettext_for

router = APIRouter(include_in_schema=False)

STAFF = PageAccess(*two_factor.STAFF_ROLES)
ADMIN = PageAccess(Role.ADMIN)
EXPIRED = "/login?notice=code-expired"
OWN_FLASH = {"disabled": N_("Two-factor sign-in is off.")}
POLICY_FLASH = {"saved": N_("The requirement is saved.")}
ENTER_CODE = N_("Enter the 6-digit code from your app, or a recovery code.")


# --- a person's own two-factor sign-in ------------------------------------------------


def _own_page(call: Call, form: dict[str, str], refused: Refused | None = None) -> Response:
    status = two_factor.status(call.session, call.actor.user_id or 0)
    enrolment = None
    if status.enabled_at is None:
        enrolment = two_factor.new_enrolment(call.session, call.actor, form.get("enrolment"))
    context: dict[str, Any] = {
        "status": status,
        "enrolment": enrolment,
        "form": {"code": ""},
        "flash": call.flash(OWN_FLASH),
        "action": "/account/two-factor/enable",
    }
    return call.render_form("accounts/two_factor.html", context, refused)


@router.get("/account/two-factor")
def own_page(call: Call = uses(STAFF)) -> Response:
    return _own_page(call, {})


def _codes_page(call: Call, cookie: str, codes: list[str], nxt: str) -> Response:
    """The recovery codes, once, with the session cookie of the account (its other
    sessions ended when two-factor sign-in came on)."""
    response = call.render("accounts/recovery_codes.html", {"codes": codes, "next": nxt})
    _set_session_cookie(response, cookie)
    return response


@router.post("/account/two-factor/enable")
def enable(post: Post = posts(STAFF)) -> Response:
    data = post.data
    outcome = post.attempt(
        lambda: two_factor.enable(
            post.session, post.actor, enrolment=data.get("enrolment", ""), code=data.get("code", "")
        )
    )
    if isinstance(outcome, Refused):
        return _own_page(post, data, outcome)
    return _codes_page(post, outcome.session_cookie, outcome.recovery_codes, "/account/two-factor")


@router.post("/account/two-factor/disable")
def disable(post: Post = posts(STAFF, signature="password")) -> Response:
    data = post.data
    outcome = post.attempt(
        lambda: two_factor.disable(
            post.session, post.actor, password=data.get("password", ""), code=data.get("code", "")
        )
    )
    if isinstance(outcome, Refused):
        return _own_page(post, {}, outcome)
    return see_other("/account/two-factor?disabled=1")


# --- signing in: the code, or the set-up the role requires -------------------------------


@router.get("/login/code")
def code_page(call: Call = uses(Public())) -> Response:
    if two_factor.read_pending(call.request.cookies.get(two_factor.PENDING_COOKIE), "code") is None:
        return see_other(EXPIRED)
    return call.render("accounts/login_code.html", {"error": None})


@router.post("/login/code")
def enter_code(post: Post = posts(Public(form=True))) -> Response:
    """The second half of signing in. Like the password, it uses no request session: the
    code is checked and its outcome written in a short transaction of its own."""
    pending = two_factor.read_pending(post.request.cookies.get(two_factor.PENDING_COOKIE), "code")
    if pending is None:
        return see_other(EXPIRED)
    gettext = gettext_for(post.request)

    def again(error: str, status_code: int, retry_after_s: int | None = None) -> Response:
        response = post.render("accounts/login_code.html", {"error": gettext(error)}, status_code)
        if retry_after_s is not None:
            response.headers["Retry-After"] = str(retry_after_s)
        return response

    code = post.data.get("code", "")
    if not code.strip():
        return again(ENTER_CODE, 422)
    db: Database = post.request.app.state.db
    try:
        signed_in = two_factor.complete_sign_in(
            db,
            pending.user_id,
            pending.epoch,
            code,
            client=ratelimit.request_client_key(post.request),
        )
    except NotAuthenticated as exc:
        return again(exc.message, 401)
    except RateLimited as exc:
        return again(exc.message, 429, exc.retry_after_s)
    response = see_other(pending.next)
    response.delete_cookie(two_factor.PENDING_COOKIE, path="/login")
    _set_session_cookie(
        response, tokens.make_session_cookie(signed_in.user_id, signed_in.session_epoch)
    )
    return response


def _setup_page(
    call: Call, actor: Actor, form: dict[str, str], refused: Refused | None = None
) -> Response:
    context: dict[str, Any] = {
        "status": None,
        "enrolment": two_factor.new_enrolment(call.session, actor, form.get("enrolment")),
        "form": {"code": ""},
        "flash": None,
        "action": "/login/two-factor",
        "hide_sign_in": True,
    }
    return call.render_form("accounts/two_factor.html", context, refused)


def _enrolling(call: Call) -> tuple[two_factor.Pending, Actor] | None:
    pending = two_factor.read_pending(call.request.cookies.get(two_factor.PENDING_COOKIE), "enrol")
    actor = two_factor.enrolling_actor(call.session, pending) if pending else None
    return (pending, actor) if pending and actor else None


@router.get("/login/two-factor")
def setup_page(call: Call = uses(Public())) -> Response:
    """The set-up of two-factor sign-in that the person's role requires, after their
    password and before anything else."""
    found = _enrolling(call)
    if found is None:
        return see_other(EXPIRED)
    return _setup_page(call, found[1], {})


@router.post("/login/two-factor")
def setup(post: Post = posts(Public(form=True))) -> Response:
    found = _enrolling(post)
    if found is None:
        return see_other(EXPIRED)
    pending, actor = found
    data = post.data
    outcome = post.attempt(
        lambda: two_factor.enable(
            post.session, actor, enrolment=data.get("enrolment", ""), code=data.get("code", "")
        )
    )
    if isinstance(outcome, Refused):
        return _setup_page(post, actor, data, outcome)
    response = _codes_page(post, outcome.session_cookie, outcome.recovery_codes, pending.next)
    response.delete_cookie(two_factor.PENDING_COOKIE, path="/login")
    return response


# --- the administrator's requirement per role -------------------------------------------


def _policy_page(call: Call, refused: Refused | None = None) -> Response:
    context: dict[str, Any] = {
        "policies": two_factor.policies(call.session),
        "roles": ROLE_LABELS,
        "flash": call.flash(POLICY_FLASH),
    }
    return call.render_form("accounts/two_factor_policy.html", context, refused)


@router.get("/admin/two-factor")
def policy_page(call: Call = uses(ADMIN)) -> Response:
    return _policy_page(call)


@router.post("/admin/two-factor")
def save_policy(post: Post = posts(ADMIN)) -> Response:
    required = {role for role in two_factor.STAFF_ROLES if post.data.get(f"required_{role}")}
    outcome = post.attempt(lambda: two_factor.set_policy(post.session, post.actor, required))
    return post.answer(
        outcome, lambda refused: _policy_page(post, refused), "/admin/two-factor?saved=1"
    )
