"""Counting what one client does in a window of time: who the client is, and a table of
hits per client.

The client is its address: the socket's peer, or behind ``trusted_proxies`` reverse
proxies the address the outermost trusted proxy saw. An IPv6 client is counted by its
/64 network, because one household or phone usually owns a whole /64 and could
otherwise step through addresses to escape a limit. What is stored is a keyed hash
(HMAC-SHA256 with the instance secret) of that, never the address itself: a table of
hits cannot be read back into who used the clinic's site, and the key differs between
installations.

A step keeps its own table of hits (a model with the ``RateHitColumns``: the intake's
public forms, the accounts' failed sign-ins) and asks ``check`` and ``count`` here. Rows
older than the window are pruned as new ones come.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import math
from typing import Any

import sqlalchemy as sa
from fastapi import Request
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from respira.kit.config import Settings
from respira.kit.db import UTCDateTime
from respira.kit.errors import RateLimited


class RateHitColumns:
    """The columns of a table of hits (a mixin beside ``Base``): one hit of one client
    (the keyed hash of its address) in one scope at one moment, with the indexes that
    ``check`` and ``count`` use."""

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    client_key: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (
            sa.Index(f"ix_{name}_scope_client_at", "scope", "client_key", "at"),
            sa.Index(f"ix_{name}_at", "at"),
        )


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
    """What a limit counts: an IPv4 address, an IPv6 /64 network, or the raw value
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


def keyed_hash(secret: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` with the instance secret, separated by ``purpose`` so
    that the hash of one use never equals the hash of another."""
    return hmac.new(
        secret.encode(), purpose.encode() + b"|" + value.encode(), hashlib.sha256
    ).hexdigest()


def client_key(secret: str, address: str) -> str:
    return keyed_hash(secret, "rate-limit", network_of(address))


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def request_client_key(request: Request) -> str:
    """The keyed hash of the client making this request."""
    settings = settings_of(request)
    address = client_address(request, settings.trusted_proxies)
    return client_key(settings.resolved_secret_key(), address)


def serialise(session: Session, scope: str, key: str) -> None:
    """On PostgreSQL, make concurrent transactions of one client in one scope wait for
    each other (an advisory lock to the end of the transaction), so that two parallel
    requests cannot both see room for one more. SQLite's write transaction already
    holds the database's single write lock."""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"{scope}|{key}".encode()).digest()
        lock_id = int.from_bytes(digest[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_id})


def check(
    session: Session,
    hits: type[RateHitColumns],
    *,
    scope: str,
    key: str,
    limit: int,
    window_s: int,
    now: dt.datetime,
    message: str | None = None,
) -> None:
    """Raise ``RateLimited`` (with the seconds until the oldest counted hit leaves the
    window) when the client has ``limit`` hits in the table ``hits`` within the window."""
    since = now - dt.timedelta(seconds=window_s)
    count_, oldest = session.execute(
        select(func.count(hits.id), func.min(hits.at)).where(
            hits.scope == scope, hits.client_key == key, hits.at > since
        )
    ).one()
    if count_ >= limit:
        retry = window_s if oldest is None else (oldest - since).total_seconds()
        raise RateLimited(
            message
            or f"too many requests from this address: at most {limit} in {window_s // 60} minutes",
            retry_after_s=max(1, math.ceil(retry)),
        )


def count(
    session: Session,
    hits: type[RateHitColumns],
    *,
    scope: str,
    key: str,
    window_s: int,
    now: dt.datetime,
) -> None:
    """Count one hit of the client, and forget the hits of the scope that left the
    window."""
    session.execute(
        delete(hits).where(hits.scope == scope, hits.at <= now - dt.timedelta(seconds=window_s))
    )
    session.execute(sa.insert(hits).values(scope=scope, client_key=key, at=now))
