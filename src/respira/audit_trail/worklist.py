"""The audit trail's part of an admin's worklist (issue 14): alerts about the chain.

What the home page can check on every view without walking the chain (``respira audit
verify`` walks it, and recomputes every HMAC): the chain's head against the newest
anchor of this chain in the anchor file outside the database (a chain that ends below
the anchored record was cut short; an anchored record whose hash changed was
rewritten), anchor lines not made with the audit key, a chain with no anchor yet, and
an anchor left behind by the chain for longer than three anchoring periods (the jobs
process is not anchoring). The chain's head and the newest anchor are shown with them.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit import audit
from respira.kit.actors import Actor, Role
from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.marks import N_
from respira.kit.step import WorkItem, WorkRow

HREF = "/audit"
# An anchor older than this many anchoring periods, with newer records, is stale.
STALE_PERIODS = 3

_lock = threading.Lock()
_cached: tuple[tuple[str, int, int, str], audit.AnchorFile] | None = None


def _anchors(path: Path) -> audit.AnchorFile:
    """The anchor file, read again only when it changed (its lines are checked with an
    HMAC each)."""
    global _cached
    key = audit.audit_key()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return audit.AnchorFile()
    stamp = (str(path), stat.st_mtime_ns, stat.st_size, audit.key_id(key))
    with _lock:
        if _cached is not None and _cached[0] == stamp:
            return _cached[1]
    found = audit.read_anchors(path, key=key)
    with _lock:
        _cached = (stamp, found)
    return found


def _alert(note: str, **params: str) -> WorkRow:
    """A problem; record numbers are given as text (an identifier, never "1,010")."""
    return WorkRow(text="", href=HREF, note=note, params=params, urgency="overdue")


def alerts(session: Session, now: dt.datetime) -> tuple[list[WorkRow], list[WorkRow]]:
    """The problems found, and the rows that say where the chain and its anchor stand."""
    seq, _head_hash, first = audit.head(session)
    anchors = _anchors(audit.anchor_path())
    problems = [
        _alert(N_("anchor file line %(line)s was not made with the audit key"), line=str(number))
        for number, _why in anchors.bad_lines
    ]
    if first is None:
        return problems, [
            WorkRow(text="", href=HREF, note=N_("The audit trail has no records yet."))
        ]
    newest_at = session.scalar(select(audit.AuditRecord.at).where(audit.AuditRecord.seq == seq))
    status = [
        WorkRow(
            text="",
            href=HREF,
            note=N_("Newest audit record: number %(seq)s, %(at)s"),
            params={"seq": str(seq), "at": newest_at},
        )
    ]
    latest = anchors.latest(first)
    if latest is None:
        problems.append(
            WorkRow(
                text="",
                href=HREF,
                note=N_("The chain has no anchor yet: removing its newest records would go unseen"),
                urgency="attention",
            )
        )
        return problems, status
    anchored_at = dt.datetime.fromisoformat(latest.at)
    status.append(
        WorkRow(
            text="",
            href=HREF,
            note=N_("Newest anchor: record number %(seq)s, %(at)s"),
            params={"seq": str(latest.seq), "at": anchored_at},
        )
    )
    if seq < latest.seq:
        problems.append(
            _alert(
                N_(
                    "The chain ends at record %(seq)s but was anchored at record %(anchored)s: "
                    "records were removed"
                ),
                seq=str(seq),
                anchored=str(latest.seq),
            )
        )
        return problems, status
    at_anchor = session.scalar(
        select(audit.AuditRecord.hash).where(audit.AuditRecord.seq == latest.seq)
    )
    if at_anchor != latest.hash:
        problems.append(
            _alert(
                N_("Record %(seq)s no longer has the hash it was anchored with"),
                seq=str(latest.seq),
            )
        )
    period = get_settings().audit_anchor_every_s
    if seq > latest.seq and (now - anchored_at).total_seconds() > STALE_PERIODS * period:
        problems.append(
            WorkRow(
                text="",
                href=HREF,
                note=N_("No anchor since %(at)s: is the jobs process running?"),
                params={"at": anchored_at},
                urgency="attention",
            )
        )
    return problems, status


def items(session: Session, actor: Actor, now: dt.datetime | None = None) -> list[WorkItem]:
    """Admins: the audit trail's alerts, with the chain's head and newest anchor."""
    if actor.role != Role.ADMIN:
        return []
    problems, status = alerts(session, now or utcnow())
    worst = (
        "overdue"
        if any(p.urgency == "overdue" for p in problems)
        else "attention"
        if problems
        else "normal"
    )
    return [
        WorkItem(
            label=N_("Audit trail alerts"),
            count=len(problems),
            href=HREF,
            urgency=worst,
            rows=(*problems, *status),
        )
    ]
