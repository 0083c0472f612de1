"""HTTP details shared by the intake routes: who is submitting (for the rate limit).

Every field of a request has a size limit in its schema; the body as a whole is limited
too, before the route reads it, by the kit's route guard (``respira.kit.web.limits``):
the intake routes' limit (64 KiB) is their entry in ``Settings.body_limits``. A refused
body raises ``PayloadTooLarge``, which the public pages answer in the visitor's language.
"""

from __future__ import annotations

from fastapi import Request

from respira.intake import ratelimit, service
from respira.kit.web.limits import PayloadTooLarge

__all__ = ["PayloadTooLarge", "rate_limit_for"]


def rate_limit_for(request: Request) -> service.RateLimit:
    """The rate limit of the client making this request (page or API alike)."""
    settings = ratelimit.settings_of(request)
    address = ratelimit.client_address(request, settings.trusted_proxies)
    return service.RateLimit(
        key=ratelimit.client_key(settings.resolved_secret_key(), address),
        limit=settings.public_rate_limit,
        window_s=settings.public_rate_window_s,
    )
