"""Use cases of the quotes step, as one public face. They live in

- ``respira.quotes.money`` — currencies, minor units and the one rounding rule;
- ``respira.quotes.price_lists`` — versioned price lists, the one in force;
- ``respira.quotes.pricing`` — the lines a course or a plan proposes, and the priced
  lines (pure);
- ``respira.quotes.quoting`` — quotes: made, re-issued, sent, accepted, declined, read;
- ``respira.quotes.billing`` — invoices (gapless numbers per year), payments, credit
  notes, and the ``logistics.stay_booked`` listener (``on_stay_booked``);
- ``respira.quotes.rates`` — currency rates and amounts shown in another currency;
- ``respira.quotes.document`` — the quote's PDF in the patient's language;

and who may do what in ``respira.quotes.roles``. Other steps (logistics: the accepted
quotes a stay is booked against, ``accepted_quotes``), the routes, the demo and the
tests write ``service.X``.
"""

from __future__ import annotations

from respira.kit.clinic_time import clinic_day, clinic_today
from respira.quotes.billing import (
    get_invoice,
    issue_credit_note,
    issue_invoice,
    list_invoices,
    next_number,
    on_stay_booked,
    record_payment,
    retract_payment,
)
from respira.quotes.catalogue import (
    ACCEPTANCE_WAYS,
    BASES,
    CATEGORIES,
    COMORBIDITIES,
    MEDICAL_CATEGORIES,
    PAYMENT_METHODS,
    SEVERITIES,
    STAFF_ACCEPTANCE_WAYS,
    STATES,
    reference_ranges,
)
from respira.quotes.document import QuotePdf, pdf_file
from respira.quotes.money import CURRENCIES, MINOR_DIGITS
from respira.quotes.price_lists import (
    create_price_list,
    get_price_list,
    list_price_lists,
)
from respira.quotes.quoting import (
    accept_quote,
    accepted_quotes,
    create_quote,
    decline_quote,
    get_quote,
    list_quotes,
    proposal,
    quote_form,
    recent_quotes,
    refusal_text,
    reissue_quote,
    send_quote,
)
from respira.quotes.rates import add_rate, converted, list_rates
from respira.quotes.roles import (
    ACCEPT_ROLES,
    PRICE_ADMIN_ROLES,
    PRICE_READ_ROLES,
    READ_ROLES,
    STAFF_READ_ROLES,
    WRITE_ROLES,
)
from respira.quotes.texts import amount_for, line_text, money_for

__all__ = [
    "ACCEPTANCE_WAYS",
    "ACCEPT_ROLES",
    "BASES",
    "CATEGORIES",
    "COMORBIDITIES",
    "CURRENCIES",
    "MEDICAL_CATEGORIES",
    "MINOR_DIGITS",
    "PAYMENT_METHODS",
    "PRICE_ADMIN_ROLES",
    "PRICE_READ_ROLES",
    "READ_ROLES",
    "SEVERITIES",
    "STAFF_ACCEPTANCE_WAYS",
    "STAFF_READ_ROLES",
    "STATES",
    "WRITE_ROLES",
    "QuotePdf",
    "accept_quote",
    "accepted_quotes",
    "add_rate",
    "amount_for",
    "clinic_day",
    "clinic_today",
    "converted",
    "create_price_list",
    "create_quote",
    "decline_quote",
    "get_invoice",
    "get_price_list",
    "get_quote",
    "issue_credit_note",
    "issue_invoice",
    "line_text",
    "list_invoices",
    "list_price_lists",
    "list_quotes",
    "list_rates",
    "money_for",
    "next_number",
    "on_stay_booked",
    "pdf_file",
    "proposal",
    "quote_form",
    "recent_quotes",
    "record_payment",
    "reference_ranges",
    "refusal_text",
    "reissue_quote",
    "retract_payment",
    "send_quote",
]
