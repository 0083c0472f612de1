"""The invitation letter a patient takes to the consulate for the visa: an A4 PDF on the
clinic's letterhead (``RESPIRA_CLINIC_NAME``, ``_ADDRESS``, ``_PHONE``), in the patient's
language (or another the coordinator chooses), naming the patient (name, date of birth,
nationality and passport number when recorded), the stay's dates and nights, the
companion and the accommodation the clinic arranged, and the coordinator who signs it.
It states the purpose as medical treatment and nothing of the diagnosis: the consulate
needs the dates and the host, not the patient's health.

Printed with ReportLab in DejaVu Sans (``respira.kit.typefaces``, shared with the medical
summaries), which covers Latin, German and Cyrillic letters.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from babel import Locale
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from respira.kit import typefaces
from respira.kit.config import get_settings
from respira.kit.texts import Gettext, gettext_in
from respira.logistics import clock
from respira.logistics.models import Stay


@dataclass(frozen=True)
class Invitee:
    first_name: str
    last_name: str
    date_of_birth: dt.date
    nationality: str | None
    passport_number: str | None


def letterhead(_: Gettext) -> list[str]:
    """The clinic's name, address lines and phone, as on every printed document."""
    settings = get_settings()
    lines = [settings.clinic_name]
    lines += [line.strip() for line in settings.clinic_address.split("\n") if line.strip()]
    if settings.clinic_phone:
        lines.append(_("Phone: %(phone)s") % {"phone": settings.clinic_phone})
    return lines


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = typefaces.register()
    body = ParagraphStyle("body", fontName=regular, fontSize=10.5, leading=15, spaceAfter=6)
    return {
        "body": body,
        "head": ParagraphStyle("head", parent=body, fontName=bold, fontSize=12, spaceAfter=0),
        "small": ParagraphStyle(
            "small", parent=body, fontSize=9, leading=12, textColor=colors.HexColor("#444444")
        ),
        "title": ParagraphStyle(
            "title", parent=body, fontName=bold, fontSize=14, leading=18, spaceBefore=12
        ),
    }


def render(
    stay: Stay,
    invitee: Invitee,
    *,
    lang: str,
    signed_by: str,
    accommodation: bool,
    issued_on: dt.date,
) -> bytes:
    """The letter as PDF bytes."""
    _ = gettext_in(lang)
    st = _styles()
    settings = get_settings()

    def day(value: dt.date) -> str:
        return clock.long_date(value, lang)

    params = {
        "clinic": settings.clinic_name,
        "name": f"{invitee.first_name} {invitee.last_name}",
        "born": day(invitee.date_of_birth),
        "arrival": day(stay.arrival_date),
        "departure": day(stay.departure_date),
        "nights": (stay.departure_date - stay.arrival_date).days,
        "passport": invitee.passport_number or "",
        "country": Locale.parse(lang).territories.get(invitee.nationality or "", "")
        if invitee.nationality
        else "",
        "phone": settings.clinic_phone,
        "signed_by": signed_by,
        "issued": day(issued_on),
        "stay": stay.id,
    }
    who = _("%(name)s, born on %(born)s") % params
    if params["country"]:
        who += ", " + _("citizen of %(country)s") % params
    if invitee.passport_number:
        who += ", " + _("passport number %(passport)s") % params
    paragraphs = [
        _(
            "%(clinic)s invites %(who)s to stay at the clinic for a planned course of medical "
            "treatment from %(arrival)s to %(departure)s (%(nights)s nights)."
        )
        % {**params, "who": who},
        _("The treatment requires the patient to be present in person on these dates."),
    ]
    if stay.companion:
        paragraphs.append(
            _("The patient will be accompanied by one companion, who stays with them.")
        )
    if accommodation:
        paragraphs.append(_("The clinic has arranged the accommodation for the whole stay."))
    if settings.clinic_phone:
        paragraphs.append(
            _("Please contact us at %(phone)s with any question about this invitation.") % params
        )
    story = [
        Paragraph(escape(line), st["head" if i == 0 else "small"])
        for i, line in enumerate(letterhead(_))
    ]
    story += [
        Spacer(1, 8 * mm),
        Paragraph(escape(_("Issued on %(issued)s") % params), st["body"]),
        Paragraph(escape(_("To the consular section of the embassy")), st["body"]),
        Paragraph(escape(_("Invitation for medical treatment")), st["title"]),
        Spacer(1, 3 * mm),
        *[Paragraph(escape(text), st["body"]) for text in paragraphs],
        Spacer(1, 10 * mm),
        Paragraph(escape(_("Yours faithfully,")), st["body"]),
        Paragraph(escape(signed_by), st["body"]),
        Paragraph(
            escape(_("International patient coordination, %(clinic)s") % params), st["small"]
        ),
        Spacer(1, 8 * mm),
        Paragraph(escape(_("Reference: stay %(stay)s") % params), st["small"]),
    ]
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=_("Invitation for medical treatment"),
        author=settings.clinic_name,
        lang=lang,
    ).build(story)
    return out.getvalue()
