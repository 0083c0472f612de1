"""The quote as the patient receives it: a PDF in their language, printed with the
medical summaries' PDF machinery (the clinic's letterhead, "page n of m", DejaVu Sans
for Latin and Cyrillic; ``respira.summaries.service.render_pdf``).

It states the lines with their quantities, unit prices, amounts and the price-list
version they come from, the total and the currency it is payable in (and, for
information, the total in another currency at a stored rate with its date), what is
included and what is not, the validity, and the regional reference ranges as the
clinic publishes them, with their source and year, as context and never as a promise.
A draft, a superseded or an expired quote carries its state across every page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from sqlalchemy.orm import Session

from respira.kit import i18n
from respira.kit.actors import Actor
from respira.kit.clinic_time import clinic_day
from respira.kit.config import get_settings
from respira.kit.errors import InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import patient_language
from respira.patients import service as patients_service
from respira.quotes import catalogue as c
from respira.quotes import texts
from respira.quotes.quoting import get_quote
from respira.quotes.schemas import Converted, QuoteOut
from respira.summaries import service as summaries

TITLE = N_("Cost estimate")
MARKED_STATES = ("draft", "superseded", "expired", "declined")


@dataclass(frozen=True)
class QuotePdf:
    filename: str
    data: bytes
    sha256: str
    language: str


def _range_text(r: c.ReferenceRange, lang: str) -> str:
    low = texts.amount_for(str(r.low), r.currency, lang)
    high = texts.amount_for(str(r.high), r.currency, lang)
    return f"{low} – {high}{'+' if r.open_ended else ''}"


def _quantity(text: str | None, lang: str) -> str:
    return "" if text is None else str(format_decimal(Decimal(text), locale=lang))


def build(
    quote: QuoteOut, patient: Any, lang: str, converted: Converted | None
) -> summaries.Document:
    """The quote as a ``summaries.Document`` in ``lang``."""
    _ = summaries.Words(lang)
    cur = quote.currency
    facts = [
        (_("Quote"), quote.reference),
        (_("Version"), str(quote.version)),
        (_("Made on"), i18n.fmt_date(clinic_day(quote.created_at), lang)),
        (_("Valid until"), i18n.fmt_date(quote.valid_until, lang)),
        (_("Prepared for"), f"{patient.last_name}, {patient.first_name}"),
        (_("Based on"), _(c.BASES[quote.basis])),
        (_("Severity of the asthma"), _(c.SEVERITIES[quote.severity])),
        (
            _("Co-existing conditions"),
            ", ".join(_(c.COMORBIDITIES[k]) for k in quote.comorbidities) or _("none"),
        ),
        (_("Price list"), _("version %(version)s", version=quote.price_list_version)),
        (_("Payable in"), cur),
    ]
    rows = [
        [
            texts.line_text(line, quote.severity, _),
            line.code,
            _quantity(line.quantity, lang),
            "" if line.unit_price is None else texts.amount_for(line.unit_price, cur, lang),
            texts.amount_for(line.amount, cur, lang),
        ]
        for line in quote.lines
    ]
    rows.append([_("Total"), "", "", "", texts.amount_for(quote.total, cur, lang)])
    table = summaries.Table(
        caption=_(
            "Each amount is the quantity times the unit price, rounded half up to the "
            "currency's smallest unit; the total is the sum of the amounts. Prices from "
            "price list version %(version)s.",
            version=quote.price_list_version,
        ),
        header=[_("Service"), _("Code"), _("Quantity"), _("Unit price"), _("Amount")],
        rows=rows,
        strong=frozenset((len(rows) - 1, col) for col in range(5)),
        widths=(4.0, 1.6, 1.2, 1.5, 1.6),
    )
    price = summaries.Section("price", _("The price"), [table])
    if converted is not None:
        price.blocks.append(
            summaries.Paragraph(
                _(
                    "For information: about %(amount)s at %(rate)s %(to)s per %(from)s on "
                    "%(date)s (%(source)s). The quote is payable in %(currency)s.",
                    amount=texts.amount_for(converted.amount, converted.currency, lang),
                    rate=converted.rate,
                    to=converted.currency,
                    **{"from": converted.from_currency},
                    date=i18n.fmt_date(converted.on_date, lang),
                    source=converted.source,
                    currency=cur,
                ),
                "note",
            )
        )
    sections = [
        summaries.Section("quote", _("About this quote"), [summaries.Facts(facts)]),
        price,
        summaries.Section(
            "included", _("What is included"), [summaries.Paragraph(_(t)) for t in c.INCLUDED]
        ),
        summaries.Section(
            "excluded", _("What is not included"), [summaries.Paragraph(_(t)) for t in c.EXCLUDED]
        ),
        summaries.Section("validity", _("Validity"), [summaries.Paragraph(_validity(quote, _))]),
        _context(lang, _),
    ]
    if quote.notes:
        notes = summaries.Paragraph(quote.notes, "quote")
        sections.insert(3, summaries.Section("notes", _("Notes from your coordinator"), [notes]))
    marked = quote.status in MARKED_STATES
    return summaries.Document(
        lang=lang,
        title=_(TITLE),
        version_line=_(
            "%(reference)s, version %(version)s", reference=quote.reference, version=quote.version
        ),
        letterhead=summaries.letterhead_lines(_),
        patient_line=_(
            "%(name)s, born %(born)s, record number %(mrn)s",
            name=f"{patient.last_name}, {patient.first_name}",
            born=i18n.fmt_date(patient.date_of_birth, lang),
            mrn=patient.medical_record_number,
        ),
        intro=_(
            "The cost of your treatment programme at our clinic, as planned today, in "
            "%(language)s.",
            language=i18n.language_name(lang),
        ),
        sections=sections,
        signature=[_acceptance(quote, lang, _)],
        draft=marked,
        draft_mark=_(c.STATES[quote.status]).upper() if marked else "",
        page_label=_("Page %(page)s of %(pages)s"),
        author=get_settings().clinic_name,
    )


def _validity(quote: QuoteOut, _: summaries.Words) -> str:
    return _(
        "This quote is valid until %(date)s. After that date, or once a newer version "
        "replaces it, it can no longer be accepted.",
        date=i18n.fmt_date(quote.valid_until, _.lang),
    )


def _acceptance(quote: QuoteOut, lang: str, _: summaries.Words) -> str:
    if quote.status == "accepted" and quote.accepted_at is not None:
        return _(
            "Accepted on %(date)s (%(how)s).",
            date=i18n.fmt_date(clinic_day(quote.accepted_at), lang),
            how=_(c.ACCEPTANCE_WAYS.get(quote.accepted_how or "", quote.accepted_how or "")),
        )
    return _(
        "To accept this quote, accept it in your patient portal, or sign it and give it "
        "back to your coordinator."
    )


def _context(lang: str, _: summaries.Words) -> summaries.Section:
    ref = c.reference_ranges()
    table = summaries.Table(
        caption=_(ref.qualifier),
        header=[_("Region"), _("Published range for a full course")],
        rows=[[_(c.REGIONS[r.region]), _range_text(r, lang)] for r in ref.ranges],
        widths=(1.0, 2.0),
    )
    note = _(
        "Source: %(source)s (%(year)s). These ranges are published context, not a promise "
        "and not part of this quote: the price of your treatment is the total above.",
        source=_(ref.source),
        year=ref.year,
    )
    return summaries.Section(
        "context", _("Regional reference ranges"), [table, summaries.Paragraph(note, "note")]
    )


def pdf_file(
    session: Session,
    actor: Actor,
    quote_id: int,
    lang: str | None = None,
    converted: Converted | None = None,
) -> QuotePdf:
    """The quote's PDF in ``lang`` (one of Respira's languages), by default the
    patient's preferred language (English when Respira does not write it)."""
    quote = get_quote(session, actor, quote_id)
    patient = patients_service.get_visible(session, actor, quote.patient_id)
    if lang is None:
        lang = patient_language(patient.preferred_language)
    elif lang not in i18n.available_languages():
        raise InvalidInput(
            {"lang": f"quotes are printed in {', '.join(i18n.available_languages())}, not {lang!r}"}
        )
    data = summaries.render_pdf(build(quote, patient, lang, converted))
    filename = f"{quote.reference}-v{quote.version}-{lang}.pdf"
    return QuotePdf(filename, data, hashlib.sha256(data).hexdigest(), lang)
