"""The public forms' rate limit: at most ``Settings.public_rate_limit`` accepted
submissions per client address per ``public_rate_window_s`` (5 per hour by default).

The counter is a table (``PublicRateHit``), so that the limit holds however many worker
processes serve the site; who the client is (a keyed hash of its address, an IPv6 /64
counted as one) and the counting are the kit's (``respira.kit.ratelimit``).

Checking and counting happen in the submission's write transaction. On SQLite that
transaction already holds the database's single write lock (``BEGIN IMMEDIATE``); on
PostgreSQL an advisory lock on the client's key serialises concurrent submissions
from one client, so that two parallel requests cannot both see room for one more.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from respira.intake.models import PublicRateHit
from respira.kit import ratelimit as kit_ratelimit
from respira.kit.ratelimit import client_address, client_key, network_of, settings_of

__all__ = ["check", "client_address", "client_key", "count", "network_of", "settings_of"]


def check(
    session: Session, *, scope: str, key: str, limit: int, window_s: int, now: dt.datetime
) -> None:
    """Raise ``RateLimited`` (with the seconds until the oldest counted submission
    leaves the window) when the client has used up its submissions."""
    kit_ratelimit.serialise(session, scope, key)
    kit_ratelimit.check(
        session, PublicRateHit, scope=scope, key=key, limit=limit, window_s=window_s, now=now
    )


def count(session: Session, *, scope: str, key: str, window_s: int, now: dt.datetime) -> None:
    """Count one accepted submission, and forget the ones that left the window."""
    kit_ratelimit.count(session, PublicRateHit, scope=scope, key=key, window_s=window_s, now=now)
