"""Helpers of the portal's tests: invitations carried out by the portal's job, the
outbox's invitation emails and the link in them, and time passing for a link."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import update

from respira.kit.db import Base, Database, utcnow
from respira.mail import service as mail_service
from respira.portal import service

LINK = re.compile(r"https?://[^\s]+/login/link/([A-Za-z0-9_-]+)")


def run_job(db: Database) -> int:
    return service.send_due(db, utcnow())


def invitations(db: Database, patient_id: int | None = None) -> list[Any]:
    with db.session() as s:
        return mail_service.outbox(s, kind="portal.invitation", patient_id=patient_id)


def token_in(text: str) -> str:
    found = LINK.search(text)
    assert found, text
    return found.group(1)


def link_for(db: Database, patient_id: int, next_path: str = "/my", **kw: Any) -> str | None:
    with db.transaction() as s:
        return service.sign_in_link(s, patient_id, next_path=next_path, purpose="test", **kw)


def expire_links(db: Database) -> None:
    """Time passing: every link's validity ends now (the clock is not the use case's)."""
    links = Base.metadata.tables["sign_in_links"]
    with db.transaction() as s:
        s.execute(update(links).values(expires_at=utcnow()))
