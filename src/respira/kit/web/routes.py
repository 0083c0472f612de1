"""What a route does besides its own use case, written once.

A route's one dependency, ``uses(access)``, gives it the request, the database session and
the actor the access declaration let in, as a ``Call``; ``posts(access)`` adds the posted
form (a ``Post``). The access declaration (``ApiAccess``, ``PageAccess`` or ``Public``) is
still exactly one per route, read by the access matrix through the dependency.

- A JSON answer: ``call.created(out, location)`` sets ``Location``, ``call.tagged(out)``
  the record's version as its ``ETag``.
- A page: ``call.render(template, context, status_code)``; ``call.flash(messages)`` is the
  message of the first flag the query string carries (``?saved=1`` after a redirect).
- A form post, the post/re-render/redirect pattern: ``post.submit(schema, fields,
  use_case, *ids)`` parses and runs ``use_case(session, actor, *ids, body)``,
  ``post.sign(...)`` does so for a form signed with the password (an e-signature), and
  ``post.answer(outcome, again, done)`` re-renders a refusal with ``again`` or redirects
  (303) to ``done``.

::

    READ = uses(ApiAccess(*service.READ_ROLES))

    @router.get("/api/v1/things/{thing_id}", response_model=ThingOut)
    def read_thing(thing_id: int, call: Call = READ) -> ThingOut:
        return call.tagged(service.get_thing(call.session, call.actor, thing_id))
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.errors import Conflict, DomainError, Forbidden, InvalidInput, PreconditionRequired
from respira.kit.web.deps import get_db
from respira.kit.web.forms import Refused, attempt, posted_form, submit
from respira.kit.web.http import etag
from respira.kit.web.templating import render

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Versioned = TypeVar("Versioned", bound="HasVersion")

REFUSALS: tuple[type[DomainError], ...] = (Conflict, InvalidInput, PreconditionRequired)
# A form signed with the password: a wrong password (403) stands next to the password.
SIGNATURE_REFUSALS: tuple[type[DomainError], ...] = (InvalidInput, Forbidden, Conflict)
SIGNATURE_MESSAGES: Mapping[type[DomainError], str] = {Forbidden: "password"}


class HasVersion(Protocol):
    @property
    def version(self) -> int: ...


def see_other(url: str) -> RedirectResponse:
    """The redirect after a form post (303: the browser follows it with a GET)."""
    return RedirectResponse(url, status_code=303)


@dataclass(frozen=True)
class Call:
    """One request to a route: the request, the response whose headers the answer
    carries, the request's database session and who asks."""

    request: Request
    response: Response
    session: Session
    actor: Actor

    def created(self, out: T, location: str) -> T:
        """A stored record, with its address in the ``Location`` header."""
        self.response.headers["Location"] = location
        return out

    def tagged(self, out: Versioned) -> Versioned:
        """An editable record, with its version as the ``ETag`` (edits send it back in
        ``If-Match``)."""
        self.response.headers["ETag"] = etag(out.version)
        return out

    def render(
        self, template: str, context: dict[str, Any] | None = None, status_code: int = 200
    ) -> HTMLResponse:
        return render(self.request, template, context, status_code)

    def render_form(
        self, template: str, context: dict[str, Any], refused: Refused | None = None
    ) -> HTMLResponse:
        """A page with a form: as asked (200, no errors), or after a refused post with
        the refusal's errors by field (``errors``) and its status."""
        errors = refused.errors if refused else {}
        status_code = refused.status_code if refused else 200
        return self.render(template, {**context, "errors": errors}, status_code)

    def flash(self, messages: Mapping[str, str]) -> str | None:
        """The message of the first key of ``messages`` set in the query string: what a
        page says after the redirect of a stored form (``?created=1``)."""
        query = self.request.query_params
        return next((text for key, text in messages.items() if query.get(key)), None)


@dataclass(frozen=True)
class Post(Call):
    """A posted HTML form: a ``Call`` with the form's fields."""

    data: dict[str, str]

    def submit(
        self,
        schema: type[M],
        fields: dict[str, Any],
        use_case: Callable[..., T],
        *ids: Any,
        refusals: tuple[type[DomainError], ...] = REFUSALS,
        message_field: Mapping[type[DomainError], str] | None = None,
        moments: tuple[str, ...] = (),
    ) -> T | Refused:
        """Parse ``fields`` with ``schema`` and run ``use_case(session, actor, *ids,
        body)``; a form that does not parse or a refusal the user can act on comes back
        as ``Refused`` (see ``respira.kit.web.forms.submit``). ``moments``: the
        ``datetime-local`` fields typed on the clinic's wall clock."""
        return submit(
            self.session,
            schema,
            fields,
            lambda body: use_case(self.session, self.actor, *ids, body),
            refusals=refusals,
            message_field=message_field,
            moments=moments,
        )

    def attempt(
        self,
        use_case: Callable[[], T],
        *,
        refusals: tuple[type[DomainError], ...] = REFUSALS,
        message_field: Mapping[type[DomainError], str] | None = None,
    ) -> T | Refused:
        """``respira.kit.web.forms.attempt`` on the request's session."""
        return attempt(self.session, use_case, refusals=refusals, message_field=message_field)

    def sign(
        self, schema: type[M], use_case: Callable[..., T], *ids: Any, field: str = "meaning"
    ) -> T | Refused:
        """A form signed with the password and one more field (the signature's meaning,
        or a reason): ``use_case(session, actor, *ids, password=..., <field>=...)``. A
        wrong password is refused next to the password field. The route declares the
        password field (``posts(access, signature="password")``), so that the password
        is checked before the transaction opens."""
        if not self.session.info.get(audit.PASSWORD_PRECHECKED):
            raise RuntimeError(
                "a signed form's route must declare its password field: "
                'posts(access, signature="password")'
            )
        return submit(
            self.session,
            schema,
            {"password": self.data.get("password", ""), field: self.data.get(field, "")},
            lambda body: use_case(
                self.session,
                self.actor,
                *ids,
                password=body.password,  # type: ignore[attr-defined]
                **{field: getattr(body, field)},
            ),
            refusals=SIGNATURE_REFUSALS,
            message_field=SIGNATURE_MESSAGES,
        )

    @staticmethod
    def answer(
        outcome: T | Refused,
        again: Callable[[Refused], Response],
        done: str | Callable[[T], str],
    ) -> Response:
        """The page after a form post: the form again with a refusal's errors
        (``again``), or a redirect to ``done`` (a URL, or made from the stored record)."""
        if isinstance(outcome, Refused):
            return again(outcome)
        return see_other(done if isinstance(done, str) else done(outcome))


def uses(access: Callable[..., Any], *, signature: str | None = None) -> Any:
    """The dependency of a route that ``access`` declares (``ApiAccess(...)``,
    ``PageAccess(...)`` or ``Public(...)``): a ``Call``.

    ``signature`` names the field of the JSON body that carries the signer's password
    (an e-signature; a dotted path for a nested field, ``"override.password"``): it is
    checked before the route's transaction opens (``precheck``)."""

    async def call(
        request: Request,
        response: Response,
        session: Session = Depends(get_db),
        actor: Actor = Depends(access),
    ) -> Call:
        if signature is not None:
            await precheck(request, session, actor, _json_field(await request.body(), signature))
        return Call(request, response, session, actor)

    call.signature_password = signature  # type: ignore[attr-defined]  # read by the tests
    return Depends(call)


def posts(access: Callable[..., Any], *, signature: str | None = None) -> Any:
    """The dependency of a form post that ``access`` declares: a ``Post``. ``signature``
    names the form field with the signer's password, checked as ``uses`` does."""

    async def post(call: Call = uses(access), data: dict[str, str] = Depends(posted_form)) -> Post:
        if signature is not None:
            await precheck(call.request, call.session, call.actor, data.get(signature, ""))
        return Post(call.request, call.response, call.session, call.actor, data)

    post.signature_password = signature  # type: ignore[attr-defined]
    return Depends(post)


def _json_field(body: bytes, path: str) -> str:
    """The text at ``path`` (dotted) of a JSON object body, or "" (the body's own
    validation, later, says what is wrong with it)."""
    if not body:
        return ""
    try:
        value: Any = json.loads(body)
    except ValueError:
        return ""
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, str) else ""


async def precheck(request: Request, session: Session, actor: Actor, password: str) -> None:
    """Check a signer's password before the request's transaction opens: the hash runs
    on the password threads with no transaction (and so, on SQLite, no write lock) held,
    and the signing transaction only counts the outcome (``respira.kit.audit.esign``).
    Nothing is counted here: a wrong password is counted by the use case that asks for
    the signature, inside its transaction."""
    if actor.user_id is None:
        return
    db = request.app.state.db
    await run_in_threadpool(audit.precheck_password, db, session, actor.user_id, password)
