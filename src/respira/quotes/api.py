"""JSON routes of the quotes step (the API contract of issue 9): price lists, a
patient's quotes (made, re-issued, sent, accepted, declined, read, printed), invoices
with payments and credit notes, and currency rates. Money is a decimal string in the
currency's minor units."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import Response

from respira.kit.web.deps import ApiAccess
from respira.kit.web.routes import Call, uses
from respira.quotes import service
from respira.quotes.schemas import (
    AcceptIn,
    CreditNoteIn,
    CreditNoteOut,
    DeclineIn,
    InvoiceOut,
    PaymentIn,
    PaymentOut,
    PriceListIn,
    PriceListOut,
    QuoteIn,
    QuoteOut,
    RateIn,
    RateOut,
    RetractionIn,
)

router = APIRouter(prefix="/api/v1", tags=["quotes"])

PRICE_READ = uses(ApiAccess(*service.PRICE_READ_ROLES))
PRICE_ADMIN = uses(ApiAccess(*service.PRICE_ADMIN_ROLES))
READ = uses(ApiAccess(*service.READ_ROLES))
WRITE = uses(ApiAccess(*service.WRITE_ROLES))


def pdf_response(file: service.QuotePdf) -> Response:
    """A quote's PDF download: its name and SHA-256, never cached (a patient's
    document)."""
    return Response(
        file.data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Content-Language": file.language,
            "X-Content-SHA256": file.sha256,
            "Cache-Control": "no-store",
        },
    )


# --- price lists -------------------------------------------------------------------------------


@router.post("/price-lists", response_model=PriceListOut, status_code=201)
def create_price_list(body: PriceListIn, call: Call = PRICE_ADMIN) -> PriceListOut:
    out = service.create_price_list(call.session, call.actor, body)
    return call.created(out, f"/api/v1/price-lists/{out.id}")


@router.get("/price-lists", response_model=list[PriceListOut])
def list_price_lists(call: Call = PRICE_READ) -> list[PriceListOut]:
    return service.list_price_lists(call.session, call.actor)


@router.get("/price-lists/{price_list_id}", response_model=PriceListOut)
def read_price_list(price_list_id: int, call: Call = PRICE_READ) -> PriceListOut:
    return service.get_price_list(call.session, call.actor, price_list_id)


# --- quotes ------------------------------------------------------------------------------------


@router.post("/patients/{patient_id}/quotes", response_model=QuoteOut, status_code=201)
def create_quote(patient_id: int, body: QuoteIn, call: Call = WRITE) -> QuoteOut:
    out = service.create_quote(call.session, call.actor, patient_id, body)
    return call.created(out, f"/api/v1/quotes/{out.id}")


@router.get("/patients/{patient_id}/quotes", response_model=list[QuoteOut])
def list_quotes(patient_id: int, call: Call = READ) -> list[QuoteOut]:
    return service.list_quotes(call.session, call.actor, patient_id)


# The PDF is declared before ``/quotes/{quote_id}``, which would take "3.pdf".
@router.get("/quotes/{quote_id}.pdf", response_class=Response)
def quote_pdf(
    quote_id: int, lang: str | None = Query(default=None, max_length=8), call: Call = READ
) -> Response:
    """The quote as the patient receives it, in their language (``?lang=`` another)."""
    return pdf_response(service.pdf_file(call.session, call.actor, quote_id, lang))


@router.get("/quotes/{quote_id}", response_model=QuoteOut)
def read_quote(quote_id: int, call: Call = READ) -> QuoteOut:
    return service.get_quote(call.session, call.actor, quote_id)


@router.post("/quotes/{quote_id}/reissue", response_model=QuoteOut, status_code=201)
def reissue_quote(quote_id: int, body: QuoteIn, call: Call = WRITE) -> QuoteOut:
    out = service.reissue_quote(call.session, call.actor, quote_id, body)
    return call.created(out, f"/api/v1/quotes/{out.id}")


@router.post("/quotes/{quote_id}/send", response_model=QuoteOut)
def send_quote(quote_id: int, call: Call = WRITE) -> QuoteOut:
    return service.send_quote(call.session, call.actor, quote_id)


@router.post("/quotes/{quote_id}/accept", response_model=QuoteOut)
def accept_quote(
    quote_id: int,
    body: AcceptIn | None = None,
    call: Call = uses(ApiAccess(*service.ACCEPT_ROLES)),
) -> QuoteOut:
    """Staff send ``{how}`` (signed_paper, email, phone, in_person); a patient accepts
    their own quote and sends nothing (it is recorded as accepted in the portal)."""
    return service.accept_quote(call.session, call.actor, quote_id, body)


@router.post("/quotes/{quote_id}/decline", response_model=QuoteOut)
def decline_quote(quote_id: int, body: DeclineIn, call: Call = WRITE) -> QuoteOut:
    return service.decline_quote(call.session, call.actor, quote_id, body)


# --- invoices ---------------------------------------------------------------------------------


@router.post("/quotes/{quote_id}/invoice", response_model=InvoiceOut, status_code=201)
def issue_invoice(quote_id: int, call: Call = WRITE) -> InvoiceOut:
    out = service.issue_invoice(call.session, call.actor, quote_id)
    return call.created(out, f"/api/v1/invoices/{out.id}")


@router.get("/patients/{patient_id}/invoices", response_model=list[InvoiceOut])
def list_invoices(patient_id: int, call: Call = READ) -> list[InvoiceOut]:
    return service.list_invoices(call.session, call.actor, patient_id)


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut)
def read_invoice(invoice_id: int, call: Call = READ) -> InvoiceOut:
    return service.get_invoice(call.session, call.actor, invoice_id)


@router.post("/invoices/{invoice_id}/payments", response_model=PaymentOut, status_code=201)
def record_payment(invoice_id: int, body: PaymentIn, call: Call = WRITE) -> PaymentOut:
    out = service.record_payment(call.session, call.actor, invoice_id, body)
    return call.created(out, f"/api/v1/invoices/{invoice_id}")


@router.post("/invoices/{invoice_id}/payments/{payment_id}/retract", response_model=PaymentOut)
def retract_payment(
    invoice_id: int, payment_id: int, body: RetractionIn, call: Call = WRITE
) -> PaymentOut:
    return service.retract_payment(call.session, call.actor, invoice_id, payment_id, body.reason)


@router.post("/invoices/{invoice_id}/credit-notes", response_model=CreditNoteOut, status_code=201)
def issue_credit_note(invoice_id: int, body: CreditNoteIn, call: Call = WRITE) -> CreditNoteOut:
    out = service.issue_credit_note(call.session, call.actor, invoice_id, body)
    return call.created(out, f"/api/v1/invoices/{invoice_id}")


# --- currency rates ------------------------------------------------------------------------------


@router.get("/currency-rates", response_model=list[RateOut])
def list_rates(call: Call = PRICE_READ) -> list[RateOut]:
    return service.list_rates(call.session, call.actor)


@router.post("/currency-rates", response_model=RateOut, status_code=201)
def add_rate(body: RateIn, call: Call = PRICE_ADMIN) -> RateOut:
    out = service.add_rate(call.session, call.actor, body)
    return call.created(out, "/api/v1/currency-rates")
