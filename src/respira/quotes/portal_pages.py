"""The patient's own quotes and invoices in the portal (``/my/quotes``), in their
language unless they chose one: a quote's lines and total, what it includes and
excludes, its validity and the regional reference ranges as published context, its PDF,
and the button that accepts it; an invoice with its payments and balance. Another
patient's quote or invoice, or a draft, is "not found"."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.language import in_patient_language
from respira.kit.web.routes import Call, Post, posts, uses
from respira.kit.web.templating import gettext_for, request_lang
from respira.patients import service as patients_service
from respira.quotes import service, views
from respira.quotes.api import pdf_response
from respira.quotes.catalogue import EXCLUDED, INCLUDED, REGIONS
from respira.quotes.invoice_pages import invoice_context

router = APIRouter(include_in_schema=False)

PATIENT = PageAccess(Role.PATIENT)
ACCEPTED = N_("Thank you: your acceptance was recorded. Your coordinator will contact you.")


def _patient_id(call: Call) -> int:
    assert call.actor.patient_id is not None  # a patient account names its patient
    return call.actor.patient_id


@router.get("/my/quotes")
def my_quotes(call: Call = uses(PATIENT)) -> Response:
    in_patient_language(call, patients_service.get_visible)
    pid = _patient_id(call)
    quotes = service.list_quotes(call.session, call.actor, pid)
    invoices = service.list_invoices(call.session, call.actor, pid)
    lang = request_lang(call.request)
    return call.render(
        "quotes/my_quotes.html",
        {
            "quotes": quotes,
            "invoices": invoices,
            "shown": views.shown_amounts(quotes, ("total",), lang),
            "shown_invoices": views.shown_amounts(invoices, ("total", "balance"), lang),
            "labels": views.LABELS,
        },
    )


def _my_quote(call: Call, quote_id: int, refused: Refused | None = None) -> Response:
    quote = service.get_quote(call.session, call.actor, quote_id)
    lang = request_lang(call.request)
    gettext = gettext_for(call.request)
    ranges = service.reference_ranges()
    context = {
        "q": quote,
        "rows": views.line_rows(quote, quote.lines, gettext, lang),
        "total": service.amount_for(quote.total, quote.currency, lang),
        "refusal": service.refusal_text(quote, lang),
        "included": INCLUDED,
        "excluded": EXCLUDED,
        "ranges": [
            (
                REGIONS[r.region],
                service.amount_for(str(r.low), r.currency, lang),
                service.amount_for(str(r.high), r.currency, lang),
                r.open_ended,
            )
            for r in ranges.ranges
        ],
        "ranges_source": ranges,
        "accepted": call.request.query_params.get("accepted") == "1",
        "accepted_on": service.clinic_day(quote.accepted_at) if quote.accepted_at else None,
        "accepted_text": ACCEPTED,
        "errors": views.translated(refused.errors if refused else {}, gettext),
        "labels": views.LABELS,
    }
    return call.render("quotes/my_quote.html", context, refused.status_code if refused else 200)


# The PDF is declared before ``/my/quotes/{quote_id}``, which would take "3.pdf".
@router.get("/my/quotes/{quote_id}.pdf")
def my_quote_pdf(quote_id: int, call: Call = uses(PATIENT)) -> Response:
    """The PDF in the page's language (the patient's, unless they chose another)."""
    in_patient_language(call, patients_service.get_visible)
    lang = request_lang(call.request)
    return pdf_response(service.pdf_file(call.session, call.actor, quote_id, lang))


@router.get("/my/quotes/{quote_id}")
def my_quote(quote_id: int, call: Call = uses(PATIENT)) -> Response:
    in_patient_language(call, patients_service.get_visible)
    return _my_quote(call, quote_id)


@router.post("/my/quotes/{quote_id}/accept")
def accept_my_quote(quote_id: int, post: Post = posts(PATIENT)) -> Response:
    in_patient_language(post, patients_service.get_visible)
    outcome = post.attempt(lambda: service.accept_quote(post.session, post.actor, quote_id))
    return post.answer(
        outcome,
        lambda refused: _my_quote(post, quote_id, refused),
        f"/my/quotes/{quote_id}?accepted=1",
    )


@router.get("/my/invoices/{invoice_id}")
def my_invoice(invoice_id: int, call: Call = uses(PATIENT)) -> Response:
    in_patient_language(call, patients_service.get_visible)
    context = {**invoice_context(call, invoice_id), "can_write": False}
    return call.render("quotes/my_invoice.html", context)
