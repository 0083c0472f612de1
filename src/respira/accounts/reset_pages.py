"""The forgotten password's pages: asking for a reset link (``/password-reset``) and
choosing the new password with it (``/password-reset/{token}``); the use cases are
``respira.accounts.reset``.

The link's page is read without spending the link (mail scanners open links); only the
posted new password spends it. The page's form posts back to its own address, so the
token is never written into the page; like every page (``respira.kit.web.middleware``)
it carries ``Referrer-Policy: no-referrer``, so that the address with its token goes to
no other host, and ``Cache-Control: no-store``, so that it stays in no cache (the tests
check both on this page).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from respira.accounts import reset
from respira.kit import ratelimit
from respira.kit.db import Database
from respira.kit.errors import InvalidInput, RateLimited
from respira.kit.texts import translate
from respira.kit.web.deps import Public
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, see_other, uses
from respira.kit.web.templating import gettext_for

router = APIRouter(include_in_schema=False)


def _ask_page(call: Call, form: dict[str, str], refused: Refused | None = None) -> Response:
    sent = None
    if call.request.query_params.get("sent"):
        sent = translate(reset.sent_message(), gettext_for(call.request))
    context = {"form": form, "sent": sent}
    return call.render_form("accounts/reset_request.html", context, refused)


@router.get("/password-reset")
def ask_form(call: Call = uses(Public())) -> Response:
    return _ask_page(call, {})


@router.post("/password-reset")
def ask(post: Post = posts(Public(form=True))) -> Response:
    """Ask for a link: the same answer whether or not an account has the address."""
    form = {"email": post.data.get("email", "")[:254]}
    client = ratelimit.request_client_key(post.request)
    outcome = post.attempt(
        lambda: reset.request_reset(post.session, form["email"], client=client),
        refusals=(InvalidInput, RateLimited),
    )
    return post.answer(
        outcome, lambda refused: _ask_page(post, form, refused), "/password-reset?sent=1"
    )


def _unusable(call: Call) -> Response:
    return call.render("accounts/reset_unusable.html", {}, 410)


def _new_password_page(call: Call, errors: dict[str, Any], status_code: int = 200) -> Response:
    return call.render("accounts/reset_new.html", {"errors": errors}, status_code)


@router.get("/password-reset/{token}")
def new_password_form(token: str, call: Call = uses(Public())) -> Response:
    """The link's page: a form for the new password, or why the link no longer works.
    Reading it does not spend the link."""
    if not reset.link_usable(call.session, token):
        return _unusable(call)
    return _new_password_page(call, {})


@router.post("/password-reset/{token}")
def set_new_password(token: str, post: Post = posts(Public(form=True))) -> Response:
    """Spend the link and set the password. The request's own (write) session is never
    used: the use case reads, hashes with no transaction open, and writes in a short
    transaction of its own."""
    db: Database = post.request.app.state.db
    try:
        reset.complete_reset(db, token, post.data.get("password", ""), post.data.get("repeat", ""))
    except reset.ResetLinkUnusable:
        return _unusable(post)
    except InvalidInput as exc:
        return _new_password_page(post, dict(exc.errors), 422)
    return see_other("/login?notice=password-reset")
