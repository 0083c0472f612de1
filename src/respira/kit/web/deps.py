"""Request-scoped dependencies: the database session and the declaration of who may
use a route.

Every route states its audience with exactly one of ``ApiAccess(roles)``,
``PageAccess(roles)`` or ``Public()``. The role × route matrix test reads these
declarations from the application and walks every route with every role, so a route
without a declaration fails the build.

Order of checks: authentication (401), role (403), the route guard's refusal of the
request (413 body too large, 404 id out of range, 422 NUL character; see
``respira.kit.web.limits``, which never reads the body of a request to a protected route
that carries no credential), then, for a form post, the CSRF token (403). A patient's
access to other patients is decided in the services (404).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from fastapi import Request
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from respira.kit import tokens
from respira.kit.actors import Actor, Role
from respira.kit.db import Database
from respira.kit.errors import Forbidden, NotAuthenticated
from respira.kit.marks import N_

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STALE_FORM = N_("the form's security token is missing or out of date; reload the page")
# Where the route guard (``respira.kit.web.limits``) leaves its refusal of a request (a
# body too large, an id out of range, a NUL character), for the access declaration to
# raise once it has authenticated the caller.
REFUSAL = "respira.refusal"


def raise_refusal(request: Request) -> None:
    """Raise the route guard's refusal of this request, if it has one."""
    refusal = request.scope.get(REFUSAL)
    if refusal is not None:
        raise refusal


class Identity(Protocol):
    """Who a bearer token or a session cookie belongs to. The accounts step provides
    it (its manifest's ``identity``); the app puts it on ``app.state.identity``, so the
    kit checks access without importing a step."""

    def actor_from_token(self, conn: Session | Connection, token: str) -> Actor | None: ...

    def actor_from_session_cookie(
        self, conn: Session | Connection, cookie: str | None
    ) -> tuple[Actor, str] | None: ...


def _identity(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The request's session: a write transaction for unsafe methods, a read
    transaction otherwise. Nothing touches the database until the endpoint uses it,
    and the endpoint (a plain ``def``) runs in a worker thread."""
    db: Database = request.app.state.db
    session = db.session(write=request.method not in SAFE_METHODS)
    try:
        yield session
    finally:
        session.close()


def _read_connection(request: Request) -> Connection:
    """A short read-only connection for the access check, separate from the request's
    session: the check runs on the event loop (one primary-key read) and must never wait
    for SQLite's write lock, which the request's own write transaction takes later, in
    its worker thread."""
    db: Database = request.app.state.db
    return db.single_read()


def anon_seed(request: Request) -> str | None:
    """The CSRF seed of a visitor who is not signed in: the nonce in their own cookie
    (set by the middleware on their first visit)."""
    return request.cookies.get(tokens.ANON_COOKIE) or getattr(request.state, "anon_nonce", None)


async def _form_csrf(request: Request) -> str | None:
    form = await request.form()
    value = form.get("csrf_token")
    return value if isinstance(value, str) else None


class ApiAccess:
    """A JSON route for the listed roles, authenticated by a bearer token."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, request: Request) -> Actor:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("a bearer token is required (POST /api/v1/auth/token)")
        with _read_connection(request) as session:
            actor = _identity(request).actor_from_token(session, token.strip())
        if actor is None:
            raise NotAuthenticated("the token is invalid, expired or revoked")
        if actor.role not in self.roles:
            raise Forbidden("your role may not use this route")
        request.state.actor = actor
        raise_refusal(request)
        return actor


class PageAccess:
    """An HTML route for the listed roles, authenticated by the session cookie. Form
    posts must carry the session's CSRF token."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, request: Request) -> Actor:
        with _read_connection(request) as session:
            found = _identity(request).actor_from_session_cookie(
                session, request.cookies.get(tokens.SESSION_COOKIE)
            )
        if found is None:
            raise NotAuthenticated(N_("please sign in"))
        actor, nonce = found
        request.state.actor = actor
        request.state.csrf_seed = nonce
        if actor.role not in self.roles:
            raise Forbidden(N_("your role may not open this page"))
        raise_refusal(request)
        if request.method not in SAFE_METHODS and not tokens.csrf_valid(
            nonce, await _form_csrf(request)
        ):
            raise Forbidden(
                N_("the form's security token is missing or out of date; reload the page")
            )
        return actor


class Public:
    """A route anyone may use. Public form posts still need the CSRF token of the
    visitor's own cookie; the signed-in user, if any, is shown in the layout."""

    roles = frozenset({"public"})

    def __init__(self, *, form: bool = False, api: bool = False) -> None:
        self.form = form
        self.api = api

    async def __call__(self, request: Request) -> Actor:
        raise_refusal(request)
        actor = Actor.public()
        if not self.api:
            with _read_connection(request) as session:
                found = _identity(request).actor_from_session_cookie(
                    session, request.cookies.get(tokens.SESSION_COOKIE)
                )
            if found is not None:
                actor, request.state.csrf_seed = found
            else:
                request.state.csrf_seed = anon_seed(request)
            request.state.actor = actor
        if self.form and not tokens.csrf_valid(
            anon_seed(request) if actor.user_id is None else request.state.csrf_seed,
            await _form_csrf(request),
        ):
            raise Forbidden(
                N_("the form's security token is missing or out of date; reload the page")
            )
        return actor
