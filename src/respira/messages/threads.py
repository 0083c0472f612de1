"""Use cases of the message threads: a patient or the care team starts a thread or
writes in one; the care team's queue of threads waiting for an answer; assigning a
thread to the physician on call or to a chosen staff member; closing and reopening;
the read markers of each side.

Who may do what: the care team (physicians, nurses, coordinators) reads and writes every
patient's threads and works the queue; a patient reads and writes their own threads
only (another patient's thread is "not found"); admins and the laboratory have no part
in patients' conversations. Every message and every change of a thread is audited;
messages are never edited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from respira.kit import records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.patient_rows import rows_of_patient
from respira.kit.trail import Trail
from respira.messages import notices
from respira.messages.models import MessageThread, ThreadMessage
from respira.messages.roles import CARE_TEAM, READ_ROLES
from respira.messages.schemas import (
    AssignIn,
    MessageIn,
    MessageOut,
    QueueRow,
    StaffChoice,
    ThreadDetail,
    ThreadIn,
    ThreadOut,
)
from respira.patients import service as patients_service

THREADS = Trail("message_thread")
MESSAGES = Trail("thread_message")

STALE = N_("the thread was changed by someone else at the same moment; reload it and try again")
ALREADY = {
    "open": N_("the thread is already open"),
    "closed": N_("the thread is already closed"),
}


def side_of(actor: Actor) -> str:
    return "patient" if actor.role == Role.PATIENT else "care_team"


def _unread(row: MessageThread, side: str) -> bool:
    """Whether the other side wrote last and this side has not opened it since."""
    if row.last_side == side:
        return False
    seen = row.patient_read_at if side == "patient" else row.care_team_read_at
    return seen is None or row.last_message_at > seen


def _out(row: MessageThread, actor: Actor) -> ThreadOut:
    out = ThreadOut.model_validate(row)
    out.unread = _unread(row, side_of(actor))
    return out


def _detail(row: MessageThread, actor: Actor) -> ThreadDetail:
    return ThreadDetail(
        **_out(row, actor).model_dump(),
        messages=[MessageOut.model_validate(m) for m in row.messages],
    )


def _load(session: Session, actor: Actor, thread_id: int, *, lock: bool = False) -> MessageThread:
    require_role(actor, READ_ROLES)
    row = (
        records.lock_row(session, MessageThread, thread_id)
        if lock
        else session.get(MessageThread, thread_id)
    )
    if row is None or records.hidden_from(actor, row.patient_id, False):
        raise NotFound(N_("no such thread"))
    return row


def _with_messages(session: Session, thread_id: int) -> MessageThread:
    return session.scalars(
        select(MessageThread)
        .where(MessageThread.id == thread_id)
        .options(selectinload(MessageThread.messages))
        .execution_options(populate_existing=True)
    ).one()


def _add_message(
    session: Session,
    actor: Actor,
    row: MessageThread,
    body: str,
    now: dt.datetime,
    *,
    first: bool = False,
) -> ThreadMessage:
    """Append a message to a (locked) thread: the thread's last message, its waiting
    time and, for a thread that was closed, its reopening; audited. Tells the other side
    by email when it has something new to read."""
    side = side_of(actor)
    started_waiting = side == "patient" and row.waiting_since is None
    patient_had_unread = not first and _unread(row, "patient")
    message = ThreadMessage(
        thread=row,
        side=side,
        author_id=actor.user_id,
        author_name=actor.name,
        author_role=actor.role,
        body=body,
        sent_at=now,
    )
    session.add(message)
    if row.status == "closed":
        _set_status(session, actor, row, "open", reason="a new message reopens the thread")
    row.last_message_at = now
    row.last_side = side
    row.waiting_since = (row.waiting_since or now) if side == "patient" else None
    records.flush(session, STALE)
    _mark_read(session, row.id, side, now)
    after = {"thread_id": row.id, "side": side, "body": body}
    MESSAGES.record(session, actor, message.id, "create", after=after)
    if started_waiting:
        notices.tell_care_team(session, _recipients(session, row, now), row.id, row.patient_id)
    elif side == "care_team" and not patient_had_unread:
        notices.tell_patient(session, row.id, row.patient_id)
    return message


def _recipients(session: Session, row: MessageThread, now: dt.datetime) -> list[Any]:
    if row.assignee_id is not None:
        found = [
            r for r in notices.active_staff(session, CARE_TEAM) if r.user_id == row.assignee_id
        ]
        if found:
            return found
    return notices.on_call(session, now) or notices.active_staff(
        session, frozenset({Role.PHYSICIAN})
    )


def _mark_read(session: Session, thread_id: int, side: str, now: dt.datetime) -> None:
    # An UPDATE statement, not a change of the loaded row: opening a thread does not
    # change it (its version stays).
    column = "patient_read_at" if side == "patient" else "care_team_read_at"
    session.execute(
        update(MessageThread)
        .where(MessageThread.id == thread_id)
        .values({column: now})
        .execution_options(synchronize_session=False)
    )


def start_thread(
    session: Session, actor: Actor, patient_id: int, data: ThreadIn, now: dt.datetime | None = None
) -> ThreadDetail:
    """A new thread of the patient's with its first message."""
    require_role(actor, READ_ROLES)
    patient = patients_service.get_for_update(session, actor, patient_id)
    now = now or utcnow()
    row = MessageThread(
        patient_id=patient.id,
        subject=data.subject,
        opened_at=now,
        opened_by_id=actor.user_id,
        opened_by_name=actor.name,
        status="open",
        last_message_at=now,
        last_side=side_of(actor),
    )
    session.add(row)
    records.flush(session, STALE)
    THREADS.record(
        session, actor, row.id, "create", after={"patient_id": patient.id, "subject": data.subject}
    )
    _add_message(session, actor, row, data.body, now, first=True)
    session.commit()
    return _detail(_with_messages(session, row.id), actor)


def reply(
    session: Session, actor: Actor, thread_id: int, data: MessageIn, now: dt.datetime | None = None
) -> ThreadDetail:
    """A message in a thread (a closed thread opens again)."""
    row = _load(session, actor, thread_id, lock=True)
    _add_message(session, actor, row, data.body, now or utcnow())
    session.commit()
    return _detail(_with_messages(session, row.id), actor)


def get_thread(session: Session, actor: Actor, thread_id: int) -> ThreadDetail:
    _load(session, actor, thread_id)
    return _detail(_with_messages(session, thread_id), actor)


def open_thread(
    session: Session, actor: Actor, thread_id: int, now: dt.datetime | None = None
) -> ThreadDetail:
    """A thread as its page shows it, marked read for the actor's side (committed)."""
    _load(session, actor, thread_id)
    _mark_read(session, thread_id, side_of(actor), now or utcnow())
    session.commit()
    return _detail(_with_messages(session, thread_id), actor)


def threads_for_patient(session: Session, actor: Actor, patient_id: int) -> list[ThreadOut]:
    """The patient's threads, the most recently active first."""
    require_role(actor, READ_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    order = (MessageThread.last_message_at.desc(), MessageThread.id.desc())
    return [_out(r, actor) for r in rows_of_patient(session, MessageThread, patient_id, *order)]


# --- the care team's queue ------------------------------------------------------------

SHOW = ("all", "mine", "unassigned")


def queue(
    session: Session, actor: Actor, *, show: str = "all", now: dt.datetime | None = None
) -> list[QueueRow]:
    """Open threads whose last message is the patient's, the longest waiting first,
    with how long each has waited; ``show`` "mine" or "unassigned" narrows it."""
    require_role(actor, CARE_TEAM)
    if show not in SHOW:
        raise InvalidInput({"show": f"must be one of: {', '.join(SHOW)}"})
    now = now or utcnow()
    stmt = select(MessageThread).where(
        MessageThread.status == "open", MessageThread.waiting_since.is_not(None)
    )
    if show == "mine":
        stmt = stmt.where(MessageThread.assignee_id == actor.user_id)
    elif show == "unassigned":
        stmt = stmt.where(MessageThread.assignee_id.is_(None))
    rows = session.scalars(stmt.order_by(MessageThread.waiting_since, MessageThread.id))
    out = []
    for row in rows:
        patient = patients_service.find(session, row.patient_id)
        assert patient is not None and row.waiting_since is not None
        out.append(
            QueueRow(
                thread=_out(row, actor),
                patient_name=f"{patient.last_name}, {patient.first_name}",
                medical_record_number=patient.medical_record_number,
                waiting_minutes=max(0, int((now - row.waiting_since).total_seconds() // 60)),
            )
        )
    return out


def staff_choices(
    session: Session, actor: Actor, now: dt.datetime | None = None
) -> list[StaffChoice]:
    """Whom a thread can be assigned to: the care team's active members, those on call
    now first."""
    require_role(actor, CARE_TEAM)
    on_call = {r.user_id for r in notices.on_call(session, now or utcnow())}
    choices = [
        StaffChoice(user_id=p.user_id, name=p.name, role=p.role, on_call=p.user_id in on_call)
        for p in notices.active_staff(session, CARE_TEAM)
    ]
    return sorted(choices, key=lambda c: (not c.on_call, c.role != Role.PHYSICIAN, c.name))


def _set_status(
    session: Session, actor: Actor, row: MessageThread, status: str, *, reason: str | None = None
) -> None:
    before = {"status": row.status}
    row.status = status
    row.closed_at = utcnow() if status == "closed" else None
    row.closed_by_name = actor.name if status == "closed" else None
    action = "close" if status == "closed" else "reopen"
    THREADS.record(
        session, actor, row.id, action, before=before, after={"status": status}, reason=reason
    )


def _change(session: Session, actor: Actor, thread_id: int, expected_version: int) -> MessageThread:
    require_role(actor, CARE_TEAM)
    row = _load(session, actor, thread_id, lock=True)
    records.check_version(row.version, expected_version, "thread")
    return row


def set_status(
    session: Session, actor: Actor, thread_id: int, status: str, expected_version: int
) -> ThreadOut:
    """Close a thread (answered, nothing more to do) or reopen it."""
    row = _change(session, actor, thread_id, expected_version)
    if row.status == status:
        raise Conflict(ALREADY[status])
    _set_status(session, actor, row, status)
    records.flush(session, STALE)
    session.commit()
    return _out(row, actor)


def assign(
    session: Session,
    actor: Actor,
    thread_id: int,
    data: AssignIn,
    expected_version: int,
    now: dt.datetime | None = None,
) -> ThreadOut:
    """Give a thread to the physician on call now or to a chosen member of the care
    team, who is told by email when the thread is waiting."""
    now = now or utcnow()
    row = _change(session, actor, thread_id, expected_version)
    if data.on_call:
        on_call = notices.on_call(session, now)
        if not on_call:
            raise InvalidInput({"on_call": "no physician is on call now; choose a staff member"})
        chosen = on_call[0]
    else:
        found = [
            r for r in notices.active_staff(session, CARE_TEAM) if r.user_id == data.assignee_id
        ]
        if not found:
            raise InvalidInput(
                {"assignee_id": "choose an active physician, nurse or coordinator of the clinic"}
            )
        chosen = found[0]
    before = {"assignee_id": row.assignee_id, "assignee_name": row.assignee_name}
    row.assignee_id, row.assignee_name = chosen.user_id, chosen.name
    records.flush(session, STALE)
    after = {"assignee_id": chosen.user_id, "assignee_name": chosen.name}
    THREADS.record(session, actor, row.id, "assign", before=before, after=after)
    if row.waiting_since is not None and row.status == "open" and chosen.user_id != actor.user_id:
        notices.tell_care_team(session, [chosen], row.id, row.patient_id)
    session.commit()
    return _out(row, actor)
