"""Sign-in and sign-out pages, and the administrator's list of accounts."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from respira.accounts import service
from respira.kit import tokens
from respira.kit.actors import Actor, Role
from respira.kit.config import get_settings
from respira.kit.errors import NotAuthenticated
from respira.kit.web.deps import PageAccess, Public, get_db
from respira.kit.web.forms import posted_form
from respira.kit.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(value: str | None) -> str:
    """Only a local path: never redirect a user off-site after sign-in."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/login")
def login_form(request: Request, next: str = "/", _: Actor = Depends(Public())) -> Response:
    return render(request, "accounts/login.html", {"next": safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    session: Session = Depends(get_db),
    _: Actor = Depends(Public(form=True)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    nxt = safe_next(data.get("next"))
    if not data.get("email", "").strip() or not data.get("password"):
        return render(
            request,
            "accounts/login.html",
            {
                "next": nxt,
                "error": "Enter your email and your password.",
                "email": data.get("email", "")[:254],
            },
            status_code=422,
        )
    try:
        user = service.authenticate(
            session, data.get("email", "")[:254], data.get("password", "")[:1024]
        )
    except NotAuthenticated as exc:
        return render(
            request,
            "accounts/login.html",
            {"next": nxt, "error": exc.message, "email": data.get("email", "")[:254]},
            status_code=401,
        )
    response = RedirectResponse(nxt, status_code=303)
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
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*Role)),
) -> Response:
    assert actor.user_id is not None
    service.sign_out(session, actor.user_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(tokens.SESSION_COOKIE, path="/")
    return response


@router.get("/admin/users")
def users_page(
    request: Request,
    session: Session = Depends(get_db),
    _: Actor = Depends(PageAccess(Role.ADMIN)),
) -> Response:
    return render(request, "accounts/users.html", {"users": service.list_users(session)})
