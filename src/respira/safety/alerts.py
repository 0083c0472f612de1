"""The alert of a serious adverse event: an email through the outbox, written in the
same transaction as the event (``respira.mail.service.enqueue``), so that a mail server
that is down delays the alert but never loses it.

Who receives it: the physicians on call at that moment and the medical director on the
roster; when no physician is on call, every active physician and admin (and the
medical director, if one is on the roster).

What it says (decided: the minimum needed to act): that a serious adverse event was
recorded and awaits review, the patient's record number, the report's due time, and the
link to the event in Respira. No name, no term, no narrative: email leaves the clinic's
systems, and the reader signs in to see the rest. Staff read English, German or Russian,
so the message carries all three, each with the due time written in its language's way
in the clinic's time zone (``RESPIRA_CLINIC_TIMEZONE``), the zone named.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from respira.kit.config import get_settings
from respira.kit.i18n import fmt_datetime
from respira.mail import service as mail_service
from respira.safety.models import AdverseEvent
from respira.safety.roles import FALLBACK_ALERT_ROLES
from respira.safety.roster import medical_directors, on_call_physicians, staff_of_roles
from respira.safety.schemas import StaffRef

ALERT_KIND = "safety.alert"


def recipients(session: Session, at: dt.datetime) -> list[StaffRef]:
    """Who a serious-event alert goes to at ``at`` (one entry per address)."""
    on_call = on_call_physicians(session, at)
    first = on_call or staff_of_roles(session, FALLBACK_ALERT_ROLES)
    found: dict[str, StaffRef] = {}
    for ref in (*first, *medical_directors(session, at)):
        found.setdefault(ref.email, ref)
    return list(found.values())


def event_link(event_id: int) -> str:
    return f"{get_settings().public_base_url}/adverse-events/{event_id}"


def alert_text(mrn: str, event_id: int, due_at: dt.datetime | None) -> tuple[str, str]:
    """The subject and body of the alert (English, German, Russian)."""
    link = event_link(event_id)
    due = {lang: fmt_datetime(due_at, lang) if due_at else "-" for lang in ("en", "de", "ru")}
    subject = "Respira: serious adverse event awaits review / SUE wartet auf Prüfung / СНЯ"
    body = "\n\n".join(
        [
            "A serious adverse event was recorded and awaits a physician's review.\n"
            f"Patient record number: {mrn}\nInitial report due: {due['en']}\n"
            f"Open it in Respira: {link}",
            "Ein schwerwiegendes unerwünschtes Ereignis wurde erfasst und wartet auf die "
            f"Prüfung durch eine Ärztin oder einen Arzt.\nPatientennummer: {mrn}\n"
            f"Erstbericht fällig: {due['de']}\nIn Respira öffnen: {link}",
            "Зарегистрировано серьёзное нежелательное явление; требуется оценка врача.\n"
            f"Номер медицинской карты: {mrn}\nПервичный отчёт — срок: {due['ru']}\n"
            f"Открыть в Respira: {link}",
            "This message holds no clinical detail; sign in to read the event.",
        ]
    )
    return subject, body


def raise_alert(session: Session, row: AdverseEvent, mrn: str, at: dt.datetime) -> int | None:
    """Put the alert of a serious event into the outbox (the caller's transaction);
    the outbox message's id, or None when nobody could receive it."""
    to = [ref.email for ref in recipients(session, at)]
    if not to:
        return None
    subject, text = alert_text(mrn, row.id, row.report_due_at)
    return mail_service.enqueue(
        session, to=to, subject=subject, text=text, kind=ALERT_KIND, patient_id=row.patient_id
    )
