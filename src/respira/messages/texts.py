"""Patient-facing and staff text of the messages written in Python: the notice emails
and the patient's form errors in plain words. ``N_`` marks a string for Babel's
extraction; it is translated where it is used."""

from __future__ import annotations

from respira.kit.marks import N_

PATIENT_SUBJECT = N_("A new message from your care team")
PATIENT_LINES = (
    N_("Dear %(name)s,"),
    N_(
        "a new message from your care team is waiting for you in the Respira patient "
        "portal. For your privacy this email does not contain the message. Please sign "
        "in to read it:"
    ),
    "%(link)s",
    N_("Your care team"),
)
STAFF_SUBJECT = N_("A patient message is waiting in Respira")
STAFF_TEXT = N_(
    "A patient's message is waiting for an answer from the care team in Respira. For the "
    "patient's privacy this email does not contain the message, its subject or the "
    "patient's name. Sign in to read it:"
)


# The patient's form errors, by field, in plain words (translated on the page).
PATIENT_ERRORS = {
    "subject": N_("Please write a subject on one line, at most 200 characters."),
    "body": N_("Please write your message, at most 5000 characters."),
}
