"""The intake step's part of a coordinator's worklist (issue 14): consultation requests
by age with the overdue ones first, the requests in progress, and possible duplicates.

A request is **overdue** when it is still ``new`` (nobody has contacted the person)
``intake_service_level_working_days`` working days after it arrived (Monday to Friday
in the clinic's time zone, ``respira.kit.clinic_time.working_days_after``; a request of
the weekend counts from Monday). The queue's flags say which open requests share a
phone or email with another request or a registered patient
(``service.contact_duplicates``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from respira.intake import service
from respira.intake.models import ConsultationRequest
from respira.intake.schemas import ConsultationRequestOut
from respira.kit.actors import Actor, Role
from respira.kit.clinic_time import working_days_after
from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.marks import N_
from respira.kit.step import WorkItem, WorkRow

# At most this many requests are listed under an item (the count says how many wait).
ROWS = 25

DUPLICATE_NOTES = {
    service.SAME_CONTACT_AS_PATIENT: N_(
        "Possible duplicate: same phone or email as a registered patient"
    ),
    service.SAME_CONTACT_AS_REQUEST: N_(
        "Possible duplicate: same phone or email as another request"
    ),
}


def _row(req: ConsultationRequest, note: str, due: dt.datetime, urgency: str) -> WorkRow:
    return WorkRow(
        text=req.name,
        href=f"/consultation-requests/{req.id}",
        note=note,
        params={"received": req.created_at, "due": due},
        urgency=urgency,
    )


def _first_contact(session: Session, now: dt.datetime) -> list[WorkItem]:
    """The new requests, oldest first, split at the service level."""
    days = get_settings().intake_service_level_working_days
    new = session.scalars(
        select(ConsultationRequest)
        .where(ConsultationRequest.status == "new")
        .order_by(ConsultationRequest.created_at, ConsultationRequest.id)
    ).all()
    overdue: list[WorkRow] = []
    waiting: list[WorkRow] = []
    for req in new:
        due = working_days_after(req.created_at, days)
        if due <= now:
            overdue.append(_row(req, N_("received %(received)s; due %(due)s"), due, "overdue"))
        else:
            waiting.append(_row(req, N_("received %(received)s; due by %(due)s"), due, "normal"))
    return [
        WorkItem(
            label=N_("Requests overdue: no first contact within %(days)s working days"),
            count=len(overdue),
            href="/consultation-requests?status=new",
            urgency="overdue" if overdue else "normal",
            params={"days": days},
            rows=tuple(overdue[:ROWS]),
        ),
        WorkItem(
            label=N_("New requests waiting for a first contact"),
            count=len(waiting),
            href="/consultation-requests?status=new",
            rows=tuple(waiting[:ROWS]),
        ),
    ]


def _in_progress(session: Session) -> WorkItem:
    count = session.scalar(
        select(func.count()).where(ConsultationRequest.status.in_(("contacted", "scheduled")))
    )
    return WorkItem(
        label=N_("Requests in progress (contacted or scheduled)"),
        count=count or 0,
        href="/consultation-requests?status=open",
    )


def _duplicates(session: Session) -> WorkItem:
    """Open requests that share a phone or email with another request or a patient."""
    open_requests = [
        ConsultationRequestOut.model_validate(r)
        for r in session.scalars(
            select(ConsultationRequest)
            .where(ConsultationRequest.status.in_(service.OPEN_STATUSES))
            .order_by(ConsultationRequest.created_at, ConsultationRequest.id)
        )
    ]
    flags = service.contact_duplicates(session, open_requests)
    flagged = [r for r in open_requests if r.id in flags]
    return WorkItem(
        label=N_("Possible duplicates among the open requests"),
        count=len(flagged),
        href="/consultation-requests?status=open",
        urgency="attention" if flagged else "normal",
        rows=tuple(
            WorkRow(
                text=r.name,
                href=f"/consultation-requests/{r.id}",
                note=DUPLICATE_NOTES[
                    service.SAME_CONTACT_AS_PATIENT
                    if service.SAME_CONTACT_AS_PATIENT in flags[r.id]
                    else service.SAME_CONTACT_AS_REQUEST
                ],
                urgency="attention",
            )
            for r in flagged[:ROWS]
        ),
    )


def items(session: Session, actor: Actor, now: dt.datetime | None = None) -> list[WorkItem]:
    """Coordinators: requests overdue for a first contact, new ones by age, those in
    progress, and possible duplicates."""
    if actor.role != Role.COORDINATOR:
        return []
    return [
        *_first_contact(session, now or utcnow()),
        _in_progress(session),
        _duplicates(session),
    ]
