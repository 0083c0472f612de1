"""HTML pages of an invoice for staff: its lines, the currency it is payable in, the
payments recorded against it and the balance, the credit notes that correct it, and the
forms that record a payment, retract one entered in error and issue a credit note (the
payment form's fields are ``amount``, ``paid_on``, ``method``, ``reference``; the
credit note's ``credit_amount`` and ``credit_reason``, so that both forms can stand on
one page)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, uses
from respira.kit.web.templating import gettext_for, patient_banner, request_lang
from respira.patients import service as patients_service
from respira.quotes import service, views
from respira.quotes.schemas import CreditNoteIn, PaymentIn, RetractionIn

router = APIRouter(include_in_schema=False)

STAFF = uses(PageAccess(*service.STAFF_READ_ROLES))
WRITE_POST = posts(PageAccess(*service.WRITE_ROLES))
DONE = {
    "issued": N_("The invoice was issued."),
    "paid": N_("The payment was recorded."),
    "retracted": N_("The payment was marked as entered in error."),
    "credited": N_("The credit note was issued."),
}


def invoice_context(call: Call, invoice_id: int) -> dict[str, Any]:
    """What an invoice's page shows, for staff and for the patient."""
    invoice = service.get_invoice(call.session, call.actor, invoice_id)
    quote = service.get_quote(call.session, call.actor, invoice.quote_id)
    lang = request_lang(call.request)
    gettext = gettext_for(call.request)
    cur = invoice.currency

    def money(text: str) -> str:
        return service.amount_for(text, cur, lang)

    return {
        "inv": invoice,
        "quote": quote,
        "rows": views.line_rows(quote, invoice.lines, gettext, lang),
        "shown": {k: money(getattr(invoice, k)) for k in ("total", "credited", "paid", "balance")},
        "payments": [(p, money(p.amount)) for p in invoice.payments],
        "credit_notes": [(c, money(c.amount)) for c in invoice.credit_notes],
        "labels": views.LABELS,
        "created_at": views.clinic_time(invoice.created_at, lang),
    }


def _invoice_page(
    call: Call, invoice_id: int, refused: Refused | None = None, open_form: str | None = None
) -> Response:
    context = invoice_context(call, invoice_id)
    patient = patients_service.get_patient(call.session, call.actor, context["inv"].patient_id)
    errors = refused.errors if refused else {}
    context.update(
        {
            **patient_banner(patient),
            "can_write": call.actor.role in service.WRITE_ROLES,
            "today": service.clinic_today().isoformat(),
            "form": call.data if isinstance(call, Post) else {},
            "errors": views.translated(errors, gettext_for(call.request)),
            "open_form": open_form,
            "flash": call.flash(DONE),
        }
    )
    return call.render("quotes/invoice.html", context, refused.status_code if refused else 200)


@router.get("/invoices/{invoice_id}")
def invoice_page(invoice_id: int, call: Call = STAFF) -> Response:
    return _invoice_page(call, invoice_id)


def _after(post: Post, invoice_id: int, key: str, outcome: Any) -> Response:
    return post.answer(
        outcome,
        lambda refused: _invoice_page(post, invoice_id, refused, key),
        f"/invoices/{invoice_id}?{key}=1",
    )


@router.post("/invoices/{invoice_id}/payments")
def record_payment(invoice_id: int, post: Post = WRITE_POST) -> Response:
    fields = {k: post.data.get(k, "") for k in ("amount", "paid_on", "method", "reference")}
    outcome = post.submit(PaymentIn, fields, service.record_payment, invoice_id)
    return _after(post, invoice_id, "paid", outcome)


@router.post("/invoices/{invoice_id}/payments/{payment_id}/retract")
def retract_payment(invoice_id: int, payment_id: int, post: Post = WRITE_POST) -> Response:
    fields = {"reason": post.data.get("retraction_reason", "")}
    outcome = post.submit(
        RetractionIn,
        fields,
        lambda session, actor, body: service.retract_payment(
            session, actor, invoice_id, payment_id, body.reason
        ),
    )
    if isinstance(outcome, Refused) and "reason" in outcome.errors:
        outcome.errors["retraction_reason"] = outcome.errors.pop("reason")
    return _after(post, invoice_id, "retracted", outcome)


@router.post("/invoices/{invoice_id}/credit-notes")
def issue_credit_note(invoice_id: int, post: Post = WRITE_POST) -> Response:
    fields = {
        "amount": post.data.get("credit_amount", ""),
        "reason": post.data.get("credit_reason", ""),
    }
    outcome = post.submit(CreditNoteIn, fields, service.issue_credit_note, invoice_id)
    if isinstance(outcome, Refused):
        renamed = {f"credit_{k}" if k in fields else k: v for k, v in outcome.errors.items()}
        outcome = Refused(renamed, outcome.status_code, outcome.stale)
    return _after(post, invoice_id, "credited", outcome)
