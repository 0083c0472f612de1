"""Signed session cookies, bearer tokens and CSRF tokens.

Cookies and tokens are signed with the instance secret (itsdangerous, HMAC) and carry
the user id and the user's session epoch; bumping the epoch (sign-out, password change,
deactivation) revokes them all. A CSRF token is an HMAC of the session's nonce (or, for
a visitor not signed in, of a nonce in their own cookie), so it cannot be forged by a
third-party page and changes when the session does.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeTimedSerializer

from respira.kit.config import get_settings

SESSION_COOKIE = "respira_session"
ANON_COOKIE = "respira_anon"
LANG_COOKIE = "respira_lang"


@lru_cache(maxsize=1)
def _secret() -> str:
    return get_settings().resolved_secret_key()


@lru_cache(maxsize=4)
def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(), salt=salt)


@dataclass(frozen=True, slots=True)
class SessionClaims:
    user_id: int
    epoch: int
    nonce: str


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def make_session_cookie(user_id: int, epoch: int) -> str:
    return _serializer("session").dumps({"u": user_id, "e": epoch, "n": new_nonce()})


def read_session_cookie(value: str) -> SessionClaims | None:
    try:
        data = _serializer("session").loads(value, max_age=get_settings().session_max_age_s)
        return SessionClaims(int(data["u"]), int(data["e"]), str(data["n"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def make_api_token(user_id: int, epoch: int) -> str:
    return _serializer("api-token").dumps({"u": user_id, "e": epoch})


def read_api_token(value: str) -> tuple[int, int] | None:
    try:
        data = _serializer("api-token").loads(value, max_age=get_settings().token_max_age_s)
        return int(data["u"]), int(data["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def csrf_token(seed: str) -> str:
    return hmac.new(_secret().encode(), b"csrf|" + seed.encode(), hashlib.sha256).hexdigest()


def csrf_valid(seed: str | None, token: str | None) -> bool:
    if not seed or not token:
        return False
    return hmac.compare_digest(csrf_token(seed), token)


def reset_caches() -> None:
    """Forget the secret (tests that change the settings call this)."""
    _secret.cache_clear()
    _serializer.cache_clear()
