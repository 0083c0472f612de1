"""Sign-in and sign-out pages, and the administrator's list of accounts."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import Response

from respira.accounts import service
from respira.kit import i18n, tokens
from respira.kit.actors import Role
from respira.kit.config import get_settings
from respira.kit.errors import NotAuthenticated
from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess, Public
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
NOTICES = {"link-used": N_("This link has already been used or has expired. Please sign in.")}


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
    data = post.data
    nxt = safe_next(data.get("next"))
    email = data.get("email", "")[:254]

    def again(error: str, status_code: int) -> Response:
        context = {"next": nxt, "error": error, "email": email}
        return post.render("accounts/login.html", context, status_code)

    if not data.get("email", "").strip() or not data.get("password"):
        return again("Enter your email and your password.", 422)
    try:
        user = service.authenticate(post.session, email, data.get("password", "")[:1024])
    except NotAuthenticated as exc:
        return again(exc.message, 401)
    response = see_other(nxt)
    settings = get_settings()
    response.set_cookie(
        tokens.SESSION_COOKIE,
        tokens.make_session_cookie(user.id, user.session_epoch),
        max_age=settings.session_max_age_s,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    preferred = service.patient_language(post.session, user)
    if preferred and not post.request.cookies.get(tokens.LANG_COOKIE):
        # A patient's pages open in their language unless they chose one on this device.
        remember_language(response, i18n.negotiate(None, None, preferred))
    return response


@router.post("/logout")
def logout(call: Call = uses(PageAccess(*Role))) -> Response:
    assert call.actor.user_id is not None
    service.sign_out(call.session, call.actor.user_id)
    response = see_other("/login")
    response.delete_cookie(tokens.SESSION_COOKIE, path="/")
    return response


@router.get("/admin/users")
def users_page(call: Call = uses(PageAccess(Role.ADMIN))) -> Response:
    return call.render("accounts/users.html", {"users": service.list_users(call.session)})
