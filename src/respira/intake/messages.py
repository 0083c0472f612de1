"""Patient-facing text that is written in Python rather than in a template: the
consent wording, the names of the kinds of request, and the messages of the public
form's validation rules. ``N_`` marks a string for Babel's extraction without
translating it here; the page translates it in the visitor's language.

The English text is the message id; the API answers in English, the page in the
visitor's language (see ``respira.intake.pages``).
"""

from __future__ import annotations

from respira.kit.marks import N_

# The wording of the consent, versioned: the stored ``consent_text_version`` says which
# wording a person agreed to. Changing this text (or its meaning in a translation)
# requires a new version; tests/intake/test_consent.py pins the text to the version.
CONSENT_TEXT_VERSION = "2026-11-23"
CONSENT_TEXT = N_(
    "I agree that the clinic processes the personal data in this request, including "
    "what I write about my health, in order to answer my request and to arrange a "
    "consultation or a call-back. Only the clinic's coordinators and physicians see it. "
    "I can withdraw my consent at any time by writing to the clinic; the data are then "
    "deleted unless the law requires the clinic to keep them."
)

KIND_LABELS = {
    "consultation": N_("Online consultation with a physician"),
    "callback": N_("Call-back: a coordinator phones you"),
}

# Validation rules of the public form: code → message (python-format placeholders).
ERRORS: dict[str, str] = {
    "required": N_("Please fill in this field."),
    "too_long": N_("Please use at most %(max)d characters."),
    "one_line": N_("Please write this on one line."),
    "control_chars": N_("This text contains characters that are not allowed."),
    "not_text": N_("This value is not valid."),
    "email": N_("Please enter a valid email address, such as name@example.com."),
    "phone": N_(
        "Please enter a phone number of 7 to 15 digits with the country code, "
        "for example +49 30 1234567."
    ),
    "country": N_("Please choose a country from the list."),
    "language": N_("Please choose a language from the list."),
    "kind": N_("Please choose an online consultation or a call-back."),
    "contact": N_("Please give an email address or a phone number (or both)."),
    "callback_phone": N_("For a call-back we need your phone number."),
    "description": N_("Please describe your asthma in a few sentences."),
    "consent": N_("We can only process your request with your consent."),
    "consent_version": N_(
        "The consent text has changed since this page was opened. Please read it again and confirm."
    ),
}


def error_text(code: str, **params: object) -> str:
    """The English message of a rule (what the API answers)."""
    template = ERRORS[code]
    return template % params if params else template
