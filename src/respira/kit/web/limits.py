"""What a request must pass before its route reads it: the size of its body, a credential
for a protected route, ids in range and no NUL character in its text.

FastAPI reads and parses a request's body before it runs the route's dependencies, the
access check among them. Unguarded, an anonymous client could make the server buffer and
parse a body of any size (50 MB of JSON held the event loop for 3.2 s) before being told
to sign in. ``guard_routes`` puts a guard in front of every route's handler, which runs
once the router has matched the route and before anything reads the body:

1. A protected route (``ApiAccess``, ``PageAccess``) whose request carries no credential
   at all (no bearer token, no session cookie) is handed an empty body: the client's body
   is never read, and the access check answers 401 as always. A credential that is
   present, valid or not, is checked by the access declaration as before.
2. The body is read into memory up to the route's limit (``Settings.max_body_bytes``, or
   the entry of ``Settings.body_limits`` for the few routes that need more or allow
   less): a declared ``Content-Length`` over the limit is refused before anything is
   read, a streamed (chunked) body as soon as it passes the limit.
3. Integers: an integer path parameter outside PostgreSQL's ``integer`` (±2^31-1, the
   type of every id) names no record (404); an integer query parameter outside it is
   invalid (422), unless the route declares its own upper bound (``le``), which the
   route's validation then enforces.
4. Text: a NUL character (U+0000) in the path, the query string, a form field or a JSON
   string is invalid (422): PostgreSQL cannot store it, and no one types it.

A refusal is not answered here. It is put on the request (``REFUSAL`` in the scope) and
raised by the route's access declaration right after it has authenticated the caller
(``deps.raise_refusal``), so that each route answers it as it answers its other errors:
JSON, a page, a FHIR OperationOutcome or a translated public page.
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette.requests import cookie_parser
from starlette.types import Scope

from respira.kit import tokens
from respira.kit.config import Settings
from respira.kit.errors import DomainError, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.kit.web.deps import REFUSAL, ApiAccess, PageAccess

# The largest id a request may name: PostgreSQL's ``integer`` (SQLite's are 64-bit).
MAX_ID = 2**31 - 1
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_GUARDED = "respira_guarded"
# A JSON string escape of U+0000 that is not itself an escaped backslash followed by
# the text "u0000" (an odd number of backslashes before the "u").
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class PayloadTooLarge(DomainError):
    status_code = 413
    title = "Request too large"


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    return f"{limit // 1024} KiB"


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(Msg(N_("the request body is larger than %(size)s"), size=_size(limit)))


def _nul_refused(where: str) -> InvalidInput:
    return InvalidInput({where: Msg(N_("text may not contain the NUL character (U+0000)"))})


@dataclass(frozen=True)
class RouteInputs:
    """What the guard needs to know of one route, worked out once."""

    path: str
    protected: type[ApiAccess] | type[PageAccess] | None
    int_path: frozenset[str]
    int_query: frozenset[str]


def _declares_upper_bound(field: Any) -> bool:
    return any(
        getattr(m, "le", None) is not None or getattr(m, "lt", None) is not None
        for m in field.field_info.metadata
    )


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_int(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, set, frozenset):
        return any(_is_int(arg) for arg in typing.get_args(annotation))
    return False


def _walk(dependant: Any) -> Iterable[Any]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)


def route_inputs(route: APIRoute) -> RouteInputs:
    protected: type[ApiAccess] | type[PageAccess] | None = None
    int_path: set[str] = set()
    int_query: set[str] = set()
    for dependant in _walk(route.dependant):
        if isinstance(dependant.call, ApiAccess | PageAccess):
            protected = type(dependant.call)
        for field in dependant.path_params:
            if _is_int(field.field_info.annotation):
                int_path.add(field.alias)
        for field in dependant.query_params:
            if _is_int(field.field_info.annotation) and not _declares_upper_bound(field):
                int_query.add(field.alias)
    return RouteInputs(route.path, protected, frozenset(int_path), frozenset(int_query))


def body_limit(path: str, settings: Settings) -> int:
    """The body limit of the route with the path template ``path``: the entry of
    ``settings.body_limits`` for the longest path it lies under, else the default."""
    limit, longest = settings.max_body_bytes, -1
    for prefix, bytes_ in settings.body_limits.items():
        base = prefix.rstrip("/")
        if (path == base or path.startswith(base + "/")) and len(base) > longest:
            limit, longest = bytes_, len(base)
    return limit


def _has_credential(scope: Scope, kind: type[ApiAccess] | type[PageAccess]) -> bool:
    for name, value in scope["headers"]:
        if kind is ApiAccess and name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return True
        # The session cookie, read as the access check reads it (``request.cookies``).
        if (
            kind is PageAccess
            and name == b"cookie"
            and cookie_parser(value.decode("latin-1")).get(tokens.SESSION_COOKIE)
        ):
            return True
    return False


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


def _as_int(text: str) -> int | None:
    """``text`` as the integer pydantic would read it, or None when it is none."""
    try:
        return int(text.strip())
    except ValueError:
        pass
    try:
        number = float(text)
    except (ValueError, OverflowError):
        return None
    return int(number) if math.isfinite(number) else None


def _out_of_range(value: Any, bound: int) -> bool:
    number = value if isinstance(value, int) else _as_int(str(value))
    return number is not None and not -bound <= number <= bound


def _path_refusal(scope: Scope, inputs: RouteInputs) -> DomainError | None:
    for name, value in scope.get("path_params", {}).items():
        if isinstance(value, str) and "\x00" in value:
            return NotFound("no such record")
        if name in inputs.int_path and _out_of_range(value, MAX_ID):
            return NotFound("no such record")
    return None


def _query_refusal(scope: Scope, inputs: RouteInputs) -> DomainError | None:
    query: bytes = scope.get("query_string", b"")
    if not query:
        return None
    if b"%00" in query or b"\x00" in query:
        return _nul_refused("query")
    if inputs.int_query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if name in inputs.int_query and _out_of_range(value, MAX_ID):
                return InvalidInput({name: Msg(N_("must be at most %(max)s"), max=MAX_ID)})
    return None


def _body_refusal(scope: Scope, body: bytes) -> DomainError | None:
    kind = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        nul = b"%00" in body or b"\x00" in body
    elif kind == "multipart/form-data":  # Respira takes no file uploads: fields only
        nul = b"\x00" in body
    elif kind == "application/json" or kind.endswith("+json"):
        nul = _JSON_NUL.search(body) is not None
    else:
        nul = False
    return _nul_refused("body") if nul else None


async def _read_body(scope: Scope, receive: Any, limit: int) -> tuple[bytes, DomainError | None]:
    """The request's body, or the refusal of one larger than ``limit`` (read no further
    than the limit)."""
    declared = _header(scope, b"content-length")
    if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
        return b"", too_large(limit)
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return b"", None
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > limit:
            return b"", too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _replay(body: bytes, receive: Any) -> Any:
    sent = False

    async def replayed() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return dict(await receive())

    return replayed


async def _guarded_request(request: Request, inputs: RouteInputs) -> Request:
    """The request as the route gets it: its body read within the limit (or not at all),
    and the guard's refusal, if any, left on its scope for the access declaration."""
    scope = request.scope
    refusal = _path_refusal(scope, inputs) or _query_refusal(scope, inputs)
    body = b""
    anonymous = inputs.protected is not None and not _has_credential(scope, inputs.protected)
    if scope["method"] in _BODY_METHODS and not anonymous and refusal is None:
        limit = body_limit(inputs.path, request.app.state.settings)
        body, refusal = await _read_body(scope, request.receive, limit)
        refusal = refusal or _body_refusal(scope, body)
    if refusal is not None:
        scope[REFUSAL] = refusal
        body = b""
    return Request(scope, _replay(body, request.receive))


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _guard(route: APIRoute) -> None:
    inputs = route_inputs(route)
    handler_of = route.get_route_handler  # the route class's own (FHIR, public pages)

    def get_route_handler() -> Handler:
        handler = handler_of()

        async def guarded(request: Request) -> Response:
            return await handler(await _guarded_request(request, inputs))

        return guarded

    # FastAPI builds a route's handler from ``get_route_handler`` each time a router is
    # included in an app; the guard goes in front of it, below every route class.
    route.get_route_handler = get_route_handler  # type: ignore[method-assign]
    setattr(route, _GUARDED, True)


def guard_routes(routers: Iterable[APIRouter]) -> None:
    """Put every route of ``routers`` behind the guard (once; before they are included
    in an app)."""
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and not getattr(route, _GUARDED, False):
                _guard(route)
