"""HTTP conventions every JSON route shares: versions as ETags, edits with If-Match.

An editable record answers its version as a strong ETag (``"3"``); an edit sends it back
in ``If-Match``. No If-Match answers 428 naming the resource to read first, a stale one
409 (in the service, which compares it under the row's lock).
"""

from __future__ import annotations

from typing import Any

from respira.kit.errors import InvalidInput, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None, *, read_from: str) -> int:
    """The version in ``If-Match``. ``read_from`` names where the client gets it, e.g.
    ``"GET /api/v1/consultation-requests/{id}"``."""
    if value is None:
        raise PreconditionRequired(
            f"send If-Match with the version you read (the ETag of {read_from})"
        )
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit() or len(text) > 18:
        raise InvalidInput({"If-Match": 'must be the record\'s version, such as "3"'})
    return int(text)


def remember_language(response: Any, lang: str) -> None:
    """Keep the visitor's language for a year on this device (the language switcher, and
    a patient's preferred language at sign-in)."""
    from respira.kit import tokens
    from respira.kit.config import get_settings

    response.set_cookie(
        tokens.LANG_COOKIE,
        lang,
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
        path="/",
    )
