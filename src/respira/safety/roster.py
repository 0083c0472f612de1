"""The on-call roster: shifts of physicians on call and of the medical director, set by
an admin. Serious-event alerts go to who is on call at that moment
(``respira.safety.alerts``); the messages step assigns waiting threads to the physician
on call (``on_call_physicians``, the step's public face)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.accounts import service as accounts_service
from respira.kit.actors import Actor, require_role
from respira.kit.db import utcnow
from respira.kit.errors import InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.trail import Trail
from respira.safety.models import OnCall
from respira.safety.roles import ROSTER_ACCOUNT_ROLES, ROSTER_ROLES
from respira.safety.schemas import OnCallIn, OnCallOut, StaffRef

TRAIL = Trail("on_call")


def _active_users(session: Session) -> dict[int, accounts_service.UserView]:
    return {u.id: u for u in accounts_service.list_users(session) if u.is_active}


def _on_duty(session: Session, at: dt.datetime, role: str) -> list[StaffRef]:
    users = _active_users(session)
    rows = session.scalars(
        select(OnCall)
        .where(OnCall.role == role, OnCall.starts_at <= at, OnCall.ends_at > at)
        .order_by(OnCall.starts_at, OnCall.id)
    )
    found: dict[int, StaffRef] = {}
    for row in rows:
        user = users.get(row.user_id)
        if user is not None and user.role in ROSTER_ACCOUNT_ROLES[role]:
            found.setdefault(user.id, StaffRef(user_id=user.id, name=user.name, email=user.email))
    return list(found.values())


def on_call_physicians(session: Session, at: dt.datetime) -> list[StaffRef]:
    """The physicians on call at ``at`` (active accounts only); [] when nobody is."""
    return _on_duty(session, at, "physician")


def medical_directors(session: Session, at: dt.datetime) -> list[StaffRef]:
    return _on_duty(session, at, "medical_director")


def staff_of_roles(session: Session, roles: frozenset[str]) -> list[StaffRef]:
    """Every active account of the roles (the alert's fallback recipients)."""
    return [
        StaffRef(user_id=u.id, name=u.name, email=u.email)
        for u in _active_users(session).values()
        if u.role in roles
    ]


def _out(row: OnCall, users: dict[int, accounts_service.UserView]) -> OnCallOut:
    user = users.get(row.user_id)
    return OnCallOut(
        id=row.id,
        user_id=row.user_id,
        name=user.name if user else f"account {row.user_id} (inactive)",
        email=user.email if user else "",
        role=row.role,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        created_by_name=row.created_by_name,
    )


def roster(session: Session, actor: Actor, now: dt.datetime | None = None) -> list[OnCallOut]:
    """The shifts running now and to come, soonest first."""
    require_role(actor, ROSTER_ROLES)
    users = _active_users(session)
    rows = session.scalars(
        select(OnCall)
        .where(OnCall.ends_at > (now or utcnow()))
        .order_by(OnCall.starts_at, OnCall.id)
    )
    return [_out(r, users) for r in rows]


def rosterable(session: Session, actor: Actor) -> dict[str, list[StaffRef]]:
    """Who may stand on the roster, by roster role (the admin page's choices)."""
    require_role(actor, ROSTER_ROLES)
    return {role: staff_of_roles(session, roles) for role, roles in ROSTER_ACCOUNT_ROLES.items()}


def add_shift(session: Session, actor: Actor, data: OnCallIn) -> OnCallOut:
    require_role(actor, ROSTER_ROLES)
    problems = data.problems()
    users = _active_users(session)
    user = users.get(data.user_id)
    if user is None:
        problems["user_id"] = N_("no active account has this id")
    elif user.role not in ROSTER_ACCOUNT_ROLES[data.role]:
        allowed = " or ".join(sorted(ROSTER_ACCOUNT_ROLES[data.role]))
        problems["user_id"] = f"the {data.role.replace('_', ' ')} must be a {allowed} account"
    if data.ends_at <= utcnow():
        problems.setdefault("ends_at", N_("the shift is over already"))
    if problems:
        raise InvalidInput(problems)
    row = OnCall(
        user_id=data.user_id,
        role=data.role,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        created_by_name=actor.name,
    )
    session.add(row)
    session.flush()
    out = _out(row, users)
    TRAIL.record(session, actor, row.id, "create", after=out.model_dump(mode="json"))
    session.commit()
    return out


def remove_shift(session: Session, actor: Actor, shift_id: int) -> None:
    """Take a shift off the roster (audited with what it was)."""
    require_role(actor, ROSTER_ROLES)
    row = session.get(OnCall, shift_id, with_for_update=True)
    if row is None:
        raise NotFound(N_("no such shift"))
    before = _out(row, _active_users(session)).model_dump(mode="json")
    session.delete(row)
    session.flush()
    TRAIL.record(session, actor, shift_id, "delete", before=before)
    session.commit()
