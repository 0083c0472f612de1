"""Reminder emails: one when a check-in's window opens, one ``closing_soon_days``
(default 3) days before it closes, each at most once, in the patient's language, with
a one-time sign-in link that opens the check-in.

The job (``followup.reminders``, every 5 minutes) finds the open check-ins that still
lack a reminder and handles each in its own transaction: it locks the follow-up,
records the reminder (a unique key on the follow-up and the kind: a second jobs process
running at the same moment fails to record it and sends nothing) and writes the email
into the outbox in the same transaction, so a reminder is recorded exactly when its
email exists. When both are due at once (the window opened while the jobs were down,
or the schedule was made late) only the closing reminder goes out and the other is
recorded as skipped. A patient without an email address or without a portal account
gets no email; the reminder is recorded with why, and the coordinators' list says
"no reminder possible". Nothing here logs a patient's name, address or link.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import exists, not_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from respira.followup import messages as m
from respira.followup.models import CheckIn, FollowUp, FollowUpReminder
from respira.followup.scheduling import plan_in_force
from respira.followup.windows import closing_soon
from respira.kit import i18n, records
from respira.kit.actors import Actor
from respira.kit.clinic_time import clinic_day
from respira.kit.config import get_settings
from respira.kit.db import Database, utcnow
from respira.kit.texts import patient_language
from respira.kit.trail import Trail
from respira.mail import service as mail_service
from respira.patients import service as patients_service

TRAIL = Trail("follow_up_reminder")

log = logging.getLogger("respira.followup")

KIND = "followup.reminder"
PURPOSE = "followup.check_in"
LINK_VALID_HOURS = 72
JOB_ACTOR = Actor.system("respira-jobs")


def sign_in_link(
    session: Session, patient_id: int, *, next_path: str, purpose: str, valid_hours: float
) -> str | None:
    """The portal's one-time sign-in link (``respira.portal.service.sign_in_link``).
    Imported when called: the portal comes after the follow-up on the road and lists
    the follow-up's check-ins, so a module-level import would be circular."""
    from respira.portal import service as portal_service

    link: str | None = portal_service.sign_in_link(
        session, patient_id, next_path=next_path, purpose=purpose, valid_hours=valid_hours
    )
    return link


def check_in_path(follow_up_id: int) -> str:
    return f"/my/check-ins/{follow_up_id}"


def _kinds_due(row: FollowUp, today: dt.date, closing_days: int) -> list[tuple[str, str]]:
    """(kind, how) for the reminders this open check-in still needs: ``send`` or
    ``skip`` (the opening reminder, when the closing one is already due)."""
    done = {r.kind for r in row.reminders}
    if closing_soon(today, row.window_end, closing_days) and "closing" not in done:
        return [("window_open", "skip")] * ("window_open" not in done) + [("closing", "send")]
    if "window_open" not in done:
        return [("window_open", "send")]
    return []


def _email(patient: Any, row: FollowUp, kind: str, link: str, lang: str) -> tuple[str, str]:
    gettext = i18n.translations(lang).gettext
    params = {
        "name": patient.first_name,
        "month": row.month,
        "date": i18n.fmt_date(row.window_end, lang),
        "hours": LINK_VALID_HOURS,
        "link": link,
        "login": f"{get_settings().public_base_url}/login?next={check_in_path(row.id)}",
    }
    subject = gettext(m.REMINDER_SUBJECT[kind]) % params
    return subject, m.reminder_text(kind, gettext, params)


def _remind(session: Session, follow_up_id: int, kind: str, how: str) -> bool:
    """Record one reminder and, when it can reach the patient, write its email; whether
    an email was written."""
    row = records.lock_row(session, FollowUp, follow_up_id)
    if row is None or records.newest_live(row.check_ins) is not None:
        return False
    if any(r.kind == kind for r in row.reminders):
        return False  # recorded by another jobs process since the job looked
    patient = patients_service.find(session, row.patient_id)
    assert patient is not None  # a foreign key with ON DELETE RESTRICT
    lang = patient_language(patient.preferred_language)
    outbox_id = None
    if how == "skip":
        outcome = "skipped"
    elif not patient.email:
        outcome = "no_email"
    else:
        link = sign_in_link(
            session,
            patient.id,
            next_path=check_in_path(row.id),
            purpose=PURPOSE,
            valid_hours=LINK_VALID_HOURS,
        )
        if link is None:
            outcome = "no_account"
        else:
            subject, text = _email(patient, row, kind, link, lang)
            outbox_id = mail_service.enqueue(
                session,
                to=patient.email,
                subject=subject,
                text=text,
                kind=KIND,
                patient_id=patient.id,
            )
            outcome = "queued"
    reminder = FollowUpReminder(
        follow_up_id=row.id,
        kind=kind,
        outcome=outcome,
        language=lang if outcome == "queued" else None,
        outbox_id=outbox_id,
        created_at=utcnow(),
    )
    session.add(reminder)
    session.flush()
    after = {"follow_up_id": row.id, "kind": kind, "outcome": outcome, "outbox_id": outbox_id}
    TRAIL.record(session, JOB_ACTOR, reminder.id, "create", after=after)
    return outcome == "queued"


def send_reminders(db: Database, now: dt.datetime) -> int:
    """The job: every reminder due on the clinic's day of ``now``; answers how many
    emails it wrote into the outbox."""
    today = clinic_day(now)
    live = exists().where(CheckIn.follow_up_id == FollowUp.id, CheckIn.retracted_at.is_(None))
    with db.session() as session:
        closing_days = plan_in_force(session).closing_soon_days
        rows = session.scalars(
            select(FollowUp)
            .where(not_(live), FollowUp.window_start <= today, FollowUp.window_end >= today)
            .options(selectinload(FollowUp.reminders))
            .order_by(FollowUp.window_end, FollowUp.id)
        ).all()
        work = [
            (row.id, kind, how)
            for row in rows
            for kind, how in _kinds_due(row, today, closing_days)
        ]
    sent = 0
    for follow_up_id, kind, how in work:
        try:
            with db.transaction() as session:
                sent += _remind(session, follow_up_id, kind, how)
        except IntegrityError:
            # Another jobs process recorded this reminder first; it sent the email.
            log.info("follow-up reminder %s of %s already recorded", kind, follow_up_id)
    return sent
