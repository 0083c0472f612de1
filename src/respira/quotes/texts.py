"""How the quotes step writes to a reader in their language: amounts as their language
writes money, a quote's lines (the severity, surcharge and discount lines are written
from what they are, not from the English text stored with them), the refusals a
patient may meet, and the email that tells a patient their quote is ready."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_currency

from respira.kit.marks import N_
from respira.kit.texts import Gettext, Msg
from respira.quotes import money
from respira.quotes.catalogue import COMORBIDITIES, COMORBIDITY_LINE, SEVERITIES, SEVERITY_LINE

# Why a quote cannot be accepted (the 409's message; a patient reads it in the portal).
NOT_SENT = N_("This quote has not been sent to the patient yet: send it first.")
ALREADY_ACCEPTED = N_("This quote was already accepted.")
DECLINED = N_("This quote was declined and can no longer be accepted.")
SUPERSEDED = N_(
    "This quote was replaced by version %(version)s and can no longer be accepted: accept "
    "the newest version."
)
EXPIRED = N_(
    "This quote expired on %(date)s and can no longer be accepted: ask your coordinator to "
    "re-issue it."
)
DISCOUNT_PREFIX = N_("Discount: %(description)s")

EMAIL_SUBJECT = N_("Your cost estimate from %(clinic)s")
EMAIL_OPENING = (
    N_("Dear %(name)s,"),
    N_(
        "your cost estimate %(reference)s (version %(version)s) is ready in your patient "
        "portal. It is valid until %(valid_until)s."
    ),
)
EMAIL_LINK = N_(
    "Open it with this link, which signs you in once and works for %(hours)s hours: %(link)s"
)
EMAIL_LOGIN = N_("Sign in to your patient portal to read it: %(login)s")
EMAIL_CLOSING = (
    N_(
        "There you can read it, download it as a PDF and accept it. If you have questions, "
        "answer your coordinator."
    ),
    N_("Kind regards, %(clinic)s"),
)


def money_for(minor: int, currency: str, lang: str) -> str:
    """An amount as the reader's language writes money ("2.333,33 €", "¥333,333"):
    exactly the currency's minor digits."""
    return str(format_currency(money.to_decimal(minor, currency), currency, locale=lang))


def amount_for(text: str, currency: str, lang: str) -> str:
    """An amount in the API's form ("2333.33") as the reader's language writes it."""
    return str(format_currency(Decimal(text), currency, locale=lang))


def line_text(line: Any, severity: str, gettext: Gettext) -> str:
    """A quote line's description in the reader's language. Items keep the price
    list's own description; the adjustments are written from what they are."""
    if line.kind == "severity":
        return gettext(SEVERITY_LINE) % {
            "severity": gettext(SEVERITIES[severity]),
            "factor": line.rate,
        }
    if line.kind == "comorbidity":
        category = line.code.removeprefix("COMORBIDITY-").lower()
        return gettext(COMORBIDITY_LINE) % {
            "category": gettext(COMORBIDITIES.get(category, category)),
            "percent": line.rate,
        }
    if line.kind == "discount":
        return gettext(DISCOUNT_PREFIX) % {"description": line.description}
    return str(line.description)


def refusal(status: str, *, valid_until: str, newer_version: int | None) -> Msg | None:
    """Why a quote in ``status`` (the derived state) cannot be accepted, or None."""
    if status == "draft":
        return Msg(NOT_SENT)
    if status == "accepted":
        return Msg(ALREADY_ACCEPTED)
    if status == "declined":
        return Msg(DECLINED)
    if status == "superseded":
        return Msg(SUPERSEDED, version=newer_version or "?")
    if status == "expired":
        return Msg(EXPIRED, date=valid_until)
    return None
