"""HTTP details shared by the intake routes: the request-body limit, and who is
submitting (for the rate limit).

Every field of a request has a size limit in its schema; the body as a whole is limited
too, so that a client cannot make the server buffer and parse megabytes before the
schema gets to say no. The limit is generous for what the form can legitimately hold:
the longest fields typed entirely in four-byte characters and percent-encoded (each
character then takes 12 bytes) come to about 30 KiB.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.types import Message

from respira.intake import ratelimit, service
from respira.kit.errors import DomainError

MAX_BODY_BYTES = 64 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class PayloadTooLarge(DomainError):
    status_code = 413
    title = "Request too large"


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than {MAX_BODY_BYTES // 1024} KiB")


def limit_body(request: Request, limit: int = MAX_BODY_BYTES) -> Request:
    """The same request, whose body raises ``PayloadTooLarge`` once it exceeds
    ``limit`` bytes (at once when the declared Content-Length already does)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise _too_large()
    received = 0
    receive = request.receive

    async def limited_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _too_large()
        return message

    return Request(request.scope, limited_receive)


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class LimitedBodyRoute(APIRoute):
    """A route whose request body may not exceed ``MAX_BODY_BYTES``."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            if request.method in _BODY_METHODS:
                request = limit_body(request)
            return await handler(request)

        return limited


def rate_limit_for(request: Request) -> service.RateLimit:
    """The rate limit of the client making this request (page or API alike)."""
    settings = ratelimit.settings_of(request)
    address = ratelimit.client_address(request, settings.trusted_proxies)
    return service.RateLimit(
        key=ratelimit.client_key(settings.resolved_secret_key(), address),
        limit=settings.public_rate_limit,
        window_s=settings.public_rate_window_s,
    )
