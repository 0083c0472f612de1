"""One pure-ASGI middleware for what every response needs: security headers, the
visitor's anonymous CSRF cookie, an access log that carries no patient data, and the
last catch for unexpected errors (answered 500, logged without their messages).

The access log names the route's template (``/api/v1/patients/{patient_id}``), never
the concrete path or the query string, which could hold a name typed into a search.
"""

from __future__ import annotations

import logging
import time
import traceback
from http.cookies import SimpleCookie
from typing import Any

from respira.kit import tokens
from respira.kit.web.errors import API_PREFIXES

log = logging.getLogger("respira.access")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)

_SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


errors_log = logging.getLogger("respira.kit.errors")


def _log_unexpected(exc: BaseException, scope: dict[str, Any]) -> None:
    """Log an unexpected exception without its message: database drivers put the
    failing row into their messages (PostgreSQL's "DETAIL: Failing row contains ..."),
    which can be patient data. The type, SQLSTATE and code locations are enough to find
    the bug; the data can be reproduced from the audit trail."""
    route = getattr(scope.get("route"), "path", None) or "(unmatched)"
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
    errors_log.error(
        "unexpected %s.%s%s in %s %s\n%s",
        type(exc).__module__,
        type(exc).__qualname__,
        f" (SQLSTATE {sqlstate})" if sqlstate else "",
        scope.get("method"),
        route,
        frames,
    )


async def _send_500(scope: dict[str, Any], send: Any) -> None:
    if scope["path"].startswith(API_PREFIXES):
        body = b'{"detail":"internal error; it has been logged without its data"}'
        kind = b"application/json"
    else:
        body = (
            b"<!doctype html><title>Error</title><h1>Something went wrong</h1>"
            b"<p>The error has been logged (without patient data). Please try again.</p>"
        )
        kind = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RespiraMiddleware:
    def __init__(self, app: Any, *, cookie_secure: bool) -> None:
        self.app = app
        self.cookie_secure = cookie_secure

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_static = path.startswith("/static/")
        new_anon: str | None = None
        if not is_static and not path.startswith(API_PREFIXES):
            cookie_header = b""
            for name, value in scope["headers"]:
                if name == b"cookie":
                    cookie_header = value
                    break
            if tokens.ANON_COOKIE.encode() not in cookie_header:
                new_anon = tokens.new_nonce()
                scope.setdefault("state", {})["anon_nonce"] = new_anon
        started = time.perf_counter()
        status_holder = [0]

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                headers = list(message.get("headers", []))
                headers.extend(_SECURITY_HEADERS)
                if not is_static:
                    headers.append((b"cache-control", b"no-store"))
                if new_anon is not None:
                    c: SimpleCookie = SimpleCookie()
                    c[tokens.ANON_COOKIE] = new_anon
                    morsel = c[tokens.ANON_COOKIE]
                    morsel["path"] = "/"
                    morsel["httponly"] = True
                    morsel["samesite"] = "Lax"
                    if self.cookie_secure:
                        morsel["secure"] = True
                    headers.append((b"set-cookie", morsel.OutputString().encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            _log_unexpected(exc, scope)
            if status_holder[0] == 0:  # nothing sent yet: answer 500 ourselves
                await _send_500(scope, send_wrapper)
        finally:
            if log.isEnabledFor(logging.INFO) and not is_static:
                route = scope.get("route")
                template = getattr(route, "path", None) or "(unmatched)"
                log.info(
                    "%s %s %d %.1fms",
                    scope["method"],
                    template,
                    status_holder[0],
                    (time.perf_counter() - started) * 1000,
                )
