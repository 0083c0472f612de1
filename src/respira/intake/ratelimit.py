"""The public forms' rate limit: at most ``Settings.public_rate_limit`` accepted
submissions per client address per ``public_rate_window_s`` (5 per hour by default).

The counter is a table, so that the limit holds however many worker processes serve
the site. It stores a keyed hash (HMAC-SHA256 with the instance secret) of the
address, never the address itself: the table cannot be read back into who wrote to
the clinic, and the key differs between installations. An IPv6 client is counted by
its /64 network, because one household or phone usually owns a whole /64 and could
otherwise step through addresses to escape the limit.

Checking and counting happen in the submission's write transaction. On SQLite that
transaction already holds the database's single write lock (``BEGIN IMMEDIATE``); on
PostgreSQL an advisory lock on the client's key serialises concurrent submissions
from one client, so that two parallel requests cannot both see room for one more.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import math

from fastapi import Request
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from respira.intake.models import PublicRateHit
from respira.kit.config import Settings
from respira.kit.errors import RateLimited


def client_address(request: Request, trusted_proxies: int) -> str:
    """The address of the client: the socket's peer, or, behind ``trusted_proxies``
    reverse proxies, the address the outermost trusted proxy saw (the n-th entry from
    the right of X-Forwarded-For). Entries further left are written by the client and
    could be forged, so they are never used."""
    peer = request.client.host if request.client else "unknown"
    if trusted_proxies <= 0:
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return peer
    candidate = hops[-trusted_proxies] if len(hops) >= trusted_proxies else hops[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


def network_of(address: str) -> str:
    """What the limit counts: an IPv4 address, an IPv6 /64 network, or the raw value
    (a test client's name)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_key(secret: str, address: str) -> str:
    return hmac.new(
        secret.encode(), b"rate-limit|" + network_of(address).encode(), hashlib.sha256
    ).hexdigest()


def _lock(session: Session, scope: str, key: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"{scope}|{key}".encode()).digest()
        lock_id = int.from_bytes(digest[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_id})


def check(
    session: Session, *, scope: str, key: str, limit: int, window_s: int, now: dt.datetime
) -> None:
    """Raise ``RateLimited`` (with the seconds until the oldest counted submission
    leaves the window) when the client has used up its submissions."""
    _lock(session, scope, key)
    since = now - dt.timedelta(seconds=window_s)
    count, oldest = session.execute(
        select(func.count(PublicRateHit.id), func.min(PublicRateHit.at)).where(
            PublicRateHit.scope == scope,
            PublicRateHit.client_key == key,
            PublicRateHit.at > since,
        )
    ).one()
    if count >= limit:
        retry = window_s if oldest is None else (oldest - since).total_seconds()
        raise RateLimited(
            f"too many requests from this address: at most {limit} in {window_s // 60} minutes",
            retry_after_s=max(1, math.ceil(retry)),
        )


def count(session: Session, *, scope: str, key: str, window_s: int, now: dt.datetime) -> None:
    """Count one accepted submission, and forget the ones that left the window."""
    session.execute(
        delete(PublicRateHit).where(PublicRateHit.at <= now - dt.timedelta(seconds=window_s))
    )
    session.add(PublicRateHit(scope=scope, client_key=key, at=now))
    session.flush()


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings
