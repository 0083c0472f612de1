"""The accounts step's part of an admin's worklist (issue 14): the accounts, and the
accounts locked now after too many failed sign-ins (or wrong signature passwords)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from respira.accounts.models import User
from respira.kit.actors import Actor, Role
from respira.kit.db import utcnow
from respira.kit.marks import N_
from respira.kit.step import WorkItem, WorkRow

# At most this many locked accounts are listed (the count says how many there are).
ROWS = 25


def items(session: Session, actor: Actor, now: dt.datetime | None = None) -> list[WorkItem]:
    """Admins: active staff and patient accounts, and the accounts locked now."""
    if actor.role != Role.ADMIN:
        return []
    now = now or utcnow()
    by_role: dict[str, int] = dict(
        session.execute(
            select(User.role, func.count()).where(User.is_active).group_by(User.role)
        ).all()
    )
    patients = by_role.pop(Role.PATIENT.value, 0)
    locked_where = (User.is_active, User.locked_until > now)
    locked_count = session.scalar(select(func.count()).where(*locked_where)) or 0
    locked = session.scalars(
        select(User).where(*locked_where).order_by(User.locked_until.desc(), User.id).limit(ROWS)
    ).all()
    return [
        WorkItem(
            label=N_("Locked accounts"),
            count=locked_count,
            href="/admin/users",
            urgency="attention" if locked_count else "normal",
            rows=tuple(
                WorkRow(
                    text=f"{u.name} ({u.email})",
                    href="/admin/users",
                    note=N_("locked until %(until)s after %(failures)s failed attempts"),
                    params={"until": u.locked_until, "failures": u.failed_logins},
                    urgency="attention",
                )
                for u in locked
            ),
        ),
        WorkItem(
            label=N_("Active staff accounts"),
            count=sum(by_role.values()),
            href="/admin/users",
        ),
        WorkItem(
            label=N_("Active patient accounts"),
            count=patients,
            href="/admin/users",
        ),
    ]
