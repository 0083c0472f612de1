"""The portal's pages: the one-time sign-in link, the patient's home page, choosing a
password after the invitation, and, on the staff's patient page, the portal account's
state with the button that sends the invitation (again)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from respira.kit import tokens
from respira.kit.actors import Actor, Role
from respira.kit.config import get_settings
from respira.kit.db import Database
from respira.kit.errors import InvalidInput, NotFound
from respira.kit.web.deps import PageAccess, Public
from respira.kit.web.forms import Refused
from respira.kit.web.language import in_patient_language
from respira.kit.web.routes import Call, Post, posts, see_other, uses
from respira.kit.web.templating import gettext_for
from respira.patients import service as patients_service
from respira.portal import service

router = APIRouter(include_in_schema=False)
PATIENT = PageAccess(Role.PATIENT)
# The session cookie as the accounts step's sign-in sets it.
_COOKIE = {"httponly": True, "samesite": "lax", "path": "/"}


def _signed_in(response: Response, cookie: str) -> Response:
    settings = get_settings()
    response.set_cookie(
        tokens.SESSION_COOKIE,
        cookie,
        max_age=settings.session_max_age_s,
        secure=settings.cookie_secure,
        **_COOKIE,  # type: ignore[arg-type]
    )
    return response


@router.get("/login/link/{token}")
def sign_in_by_link(token: str, call: Call = uses(Public())) -> Response:
    """A link from an email: signs the patient in once and opens its page; a link that
    no longer works leads to the sign-in page with a notice."""
    db: Database = call.request.app.state.db
    with db.transaction() as session:  # a GET that spends the link: a write transaction
        outcome = service.redeem(session, token)
    if outcome.cookie is None:
        query = urlencode({"next": outcome.next_path, "notice": service.LINK_NOTICE})
        return see_other(f"/login?{query}")
    return _signed_in(see_other(outcome.next_path), outcome.cookie)


@router.get("/my")
def home_page(call: Call = uses(PATIENT)) -> Response:
    in_patient_language(call, patients_service.get_visible)
    saved = bool(call.request.query_params.get("password"))
    home = service.home(call.session, call.actor)
    return call.render("portal/home.html", {"home": home, "password_saved": saved})


def _password_form(call: Call, errors: dict[str, str], status_code: int = 200) -> Response:
    in_patient_language(call, patients_service.get_visible)
    _ = gettext_for(call.request)
    shown = {k: _(v) for k, v in errors.items()}
    return call.render("portal/password.html", {"errors": shown}, status_code)


@router.get("/my/password/new")
def password_form(call: Call = uses(PATIENT)) -> Response:
    return _password_form(call, {})


@router.post("/my/password/new")
def choose_password(post: Post = posts(PATIENT)) -> Response:
    password = post.data.get("password", "")[:1024]
    repeat = post.data.get("repeat", "")[:1024]
    if not password:
        return _password_form(post, {"password": service.CHOOSE_PASSWORD}, 422)
    outcome = post.attempt(
        lambda: service.choose_password(post.session, post.actor, password, repeat)
    )
    if isinstance(outcome, Refused):
        return _password_form(post, outcome.errors, outcome.status_code)
    return _signed_in(see_other("/my?password=1"), outcome)


# --- the staff's patient page -----------------------------------------------------------


@router.post("/patients/{patient_id}/portal-invitation")
def send_invitation(
    patient_id: int, post: Post = posts(PageAccess(*service.INVITE_ROLES))
) -> Response:
    # A refusal (no email address, a deactivated account) is what the section shows.
    post.attempt(
        lambda: service.invite(post.session, post.actor, patient_id),
        refusals=(InvalidInput, NotFound),
    )
    return see_other(f"/patients/{patient_id}#portal")


def patient_section(session: Session, actor: Actor, patient: Any) -> dict[str, Any] | None:
    if actor.role not in service.INVITE_ROLES:
        return None
    status = service.portal_status(session, actor, patient.id)
    return {"patient": patient, "status": status, "can_invite": bool(patient.email)}
