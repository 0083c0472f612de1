"""One pure-ASGI middleware for what every request and response needs: the Host check
(a request naming a host that is not Respira's gets 400, so that a forged Host header
never ends up in a redirect or a link), security headers (Strict-Transport-Security
unless the operator serves plain HTTP on this machine), the visitor's anonymous CSRF
cookie, an access log that carries no patient data, and the last catch for unexpected
errors (answered 500, logged without their messages).

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
from respira.kit.web.reads import note_read

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


# The answers this middleware gives itself, by status: JSON for the machine interfaces,
# a page otherwise.
_FIXED_ANSWERS = {
    400: (
        b'{"detail":"this server does not answer to the host named in the request"}',
        b"<!doctype html><title>Unknown host</title><h1>Unknown host</h1>"
        b"<p>This server does not answer to the address you used. "
        b"Please use the clinic's address.</p>",
    ),
    500: (
        b'{"detail":"internal error; it has been logged without its data"}',
        b"<!doctype html><title>Error</title><h1>Something went wrong</h1>"
        b"<p>The error has been logged (without patient data). Please try again.</p>",
    ),
}


async def _send_fixed(scope: dict[str, Any], send: Any, status: int) -> None:
    json, html = _FIXED_ANSWERS[status]
    if scope["path"].startswith(API_PREFIXES):
        body, kind = json, b"application/json"
    else:
        body, kind = html, b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _host_name(scope: dict[str, Any]) -> str:
    """The host named by the request's Host header, lower case and without its port."""
    host = ""
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1").strip().lower()
            break
    if host.startswith("["):  # an IPv6 address: [::1]:8000
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def host_allowed(host: str, allowed: list[str]) -> bool:
    for pattern in allowed:
        if pattern == "*" or host == pattern:
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
    return False


class RespiraMiddleware:
    def __init__(
        self,
        app: Any,
        *,
        cookie_secure: bool,
        allowed_hosts: list[str] | None = None,
        hsts_max_age_s: int = 0,
    ) -> None:
        self.app = app
        self.cookie_secure = cookie_secure
        self.allowed_hosts = allowed_hosts if allowed_hosts is not None else ["*"]
        self.extra_headers = list(_SECURITY_HEADERS)
        if cookie_secure and hsts_max_age_s > 0:
            hsts = f"max-age={hsts_max_age_s}".encode()
            self.extra_headers.append((b"strict-transport-security", hsts))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not host_allowed(_host_name(scope), self.allowed_hosts):
            await _send_fixed(scope, send, 400)
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
                headers.extend(self.extra_headers)
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
            if not is_static:
                note_read(scope, status_holder[0])  # a staff read of a patient's record
        except Exception as exc:
            _log_unexpected(exc, scope)
            if status_holder[0] == 0:  # nothing sent yet: answer 500 ourselves
                await _send_fixed(scope, send_wrapper, 500)
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
