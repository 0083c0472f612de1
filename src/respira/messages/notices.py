"""The email that tells someone a message is waiting (kind "messages.notice").

It says only that a message is waiting, with a link to sign in and read it: never the
message, its subject or (to staff) the patient's name, since email leaves the clinic's
systems. The patient's notice is in the patient's language; the care team's in English
(accounts record no language for staff).

Who is told: when a patient's message starts waiting, the thread's assignee, or else the
physicians on call now (``respira.safety.service.on_call_physicians``), or else every
active physician; when the care team writes, the patient (through their portal account's
address), unless an earlier care-team message is still unread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from respira.accounts import service as accounts_service
from respira.kit.actors import Role
from respira.kit.config import get_settings
from respira.kit.texts import gettext_in, paragraphs, patient_language
from respira.mail import service as mail_service
from respira.messages.texts import PATIENT_LINES, PATIENT_SUBJECT, STAFF_SUBJECT, STAFF_TEXT
from respira.patients import service as patients_service
from respira.safety import service as safety_service

KIND = "messages.notice"


@dataclass(frozen=True)
class Recipient:
    user_id: int
    name: str
    email: str
    role: str = Role.PHYSICIAN


def on_call(session: Session, now: dt.datetime) -> list[Recipient]:
    """The physicians on call now (the safety step's roster)."""
    return [
        Recipient(ref.user_id, ref.name, ref.email, Role.PHYSICIAN)
        for ref in safety_service.on_call_physicians(session, now)
    ]


def active_staff(session: Session, roles: frozenset[Role]) -> list[Recipient]:
    return [
        Recipient(u.id, u.name, u.email, u.role)
        for u in accounts_service.list_users(session)
        if u.is_active and u.role in roles
    ]


def patient_address(session: Session, patient_id: int) -> str | None:
    """The email address of the patient's active portal account (without one the
    patient cannot read the message, so nobody is told)."""
    for user in accounts_service.list_users(session):
        if user.patient_id == patient_id and user.role == Role.PATIENT and user.is_active:
            return user.email
    return None


def _link(path: str) -> str:
    return f"{get_settings().public_base_url}{path}"


def tell_care_team(
    session: Session, recipients: Sequence[Recipient], thread_id: int, patient_id: int
) -> int | None:
    addresses = [r.email for r in recipients]
    if not addresses:
        return None
    text = f"{STAFF_TEXT}\n\n{_link(f'/messages/{thread_id}')}\n"
    return mail_service.enqueue(
        session, to=addresses, subject=STAFF_SUBJECT, text=text, kind=KIND, patient_id=patient_id
    )


def tell_patient(session: Session, thread_id: int, patient_id: int) -> int | None:
    address = patient_address(session, patient_id)
    patient = patients_service.find(session, patient_id)
    if address is None or patient is None:
        return None
    _ = gettext_in(patient_language(patient.preferred_language))
    params = {
        "name": f"{patient.first_name} {patient.last_name}",
        "link": _link(f"/my/messages/{thread_id}"),
    }
    text = paragraphs(_, PATIENT_LINES, params)
    return mail_service.enqueue(
        session,
        to=address,
        subject=_(PATIENT_SUBJECT),
        text=text,
        kind=KIND,
        patient_id=patient_id,
    )
