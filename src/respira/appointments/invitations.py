"""The emails of a booking and of its cancellation, in the patient's language, each with
its calendar entry (``respira.appointments.ical``), put into the outbox in the
transaction of the booking (``respira.mail.service.enqueue``, kind
"appointments.invitation").

The patient's language is their record's preferred language when Respira speaks it
(English, German, Russian), else English. The email says what, when (in the slot's time
zone, named) and with whom, and where to see or cancel the appointment; it carries no
clinical data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from respira.appointments import ical, local
from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.marks import N_
from respira.kit.texts import gettext_in
from respira.mail import service as mail

KIND_LABELS: dict[str, str] = {
    "online_consultation": N_("Online consultation"),
    "follow_up_visit": N_("Follow-up visit at the clinic"),
    "phone_call": N_("Phone call"),
}
KIND_DETAILS: dict[str, str] = {
    "online_consultation": N_(
        "It is a video call; the clinic sends you the link to join before the appointment."
    ),
    "follow_up_visit": N_("Please come to the clinic's reception a few minutes early."),
    "phone_call": N_("We will call you at the phone number in your record."),
}
MAIL_KIND = "appointments.invitation"


@dataclass(frozen=True)
class Invitee:
    """Who the email goes to and in which language, and who holds the slot."""

    patient_id: int
    name: str
    email: str | None
    language: str
    host_name: str
    host_email: str | None


def uid_domain() -> str:
    return urlsplit(get_settings().public_base_url).hostname or "respira.invalid"


@dataclass(frozen=True)
class Booking:
    """The calendar entry's facts: its identity and revision, whether it stands or was
    cancelled, and the slot's time, zone and kind."""

    uid: str
    sequence: int
    cancelled: bool
    start: dt.datetime
    end: dt.datetime
    time_zone: str
    kind: str


def calendar_file(booking: Booking, invitee: Invitee) -> bytes:
    """The appointment's calendar entry as it stands: a request, or its cancellation."""
    _ = gettext_in(invitee.language)
    settings = get_settings()
    what = _(KIND_LABELS[booking.kind])
    return ical.calendar_bytes(
        ical.CalendarEntry(
            uid=booking.uid,
            sequence=booking.sequence,
            method="CANCEL" if booking.cancelled else "REQUEST",
            start=booking.start,
            end=booking.end,
            time_zone=booking.time_zone,
            summary=_("%(kind)s with %(host)s") % {"kind": what, "host": invitee.host_name},
            description=_(KIND_DETAILS[booking.kind]),
            organizer_email=settings.smtp_from,
            organizer_name="Respira",
            attendee_email=invitee.email,
            attendee_name=invitee.name,
            host_email=invitee.host_email,
            host_name=invitee.host_name,
            stamp=utcnow(),
        )
    )


def send(
    session: Session, booking: Booking, invitee: Invitee, reason: str | None = None
) -> int | None:
    """Put the invitation (or the cancellation) into the outbox; None when the patient
    has no email address (the coordinator tells them another way)."""
    if not invitee.email:
        return None
    lang = invitee.language
    _ = gettext_in(lang)
    when = local.when(booking.start, booking.end, booking.time_zone, lang)
    what = _(KIND_LABELS[booking.kind])
    link = f"{get_settings().public_base_url}/login?next=/my/appointments"
    params = {"kind": what, "when": when, "name": invitee.name, "link": link, "reason": reason}
    if booking.cancelled:
        subject = _("Cancelled: %(kind)s on %(when)s")
        news, details = _("your appointment has been cancelled:"), []
        if reason:
            details = ["", _("Reason: %(reason)s") % params]
        calendar = _("The attached calendar file removes it from your calendar.")
        sign_in = _("To choose another time, sign in to Respira: %(link)s")
    else:
        subject = _("Your appointment: %(kind)s on %(when)s")
        news, details = _("your appointment is booked:"), [_(KIND_DETAILS[booking.kind])]
        calendar = _("Open the attached calendar file to add the appointment to your calendar.")
        sign_in = _("To see or cancel your appointments, sign in to Respira: %(link)s")
    lines = [
        _("Dear %(name)s,") % params,
        "",
        news,
        f"{what}, {when}, {invitee.host_name}",
        *details,
        "",
        calendar,
        sign_in % params,
        "",
        _("Your care team at the clinic"),
    ]
    method = "CANCEL" if booking.cancelled else "REQUEST"
    return mail.enqueue(
        session,
        to=invitee.email,
        subject=subject % params,
        text="\n".join(lines) + "\n",
        attachments=[
            mail.Attachment(
                "cancellation.ics" if booking.cancelled else "appointment.ics",
                ical.CONTENT_TYPE[method],
                calendar_file(booking, invitee),
            )
        ],
        kind=MAIL_KIND,
        patient_id=invitee.patient_id,
    )
