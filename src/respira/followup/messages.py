"""Text of the follow-up that a patient reads and that is written in Python: the
questionnaire items in plain words, the check-in's error messages, and the reminder
emails. ``N_`` marks a string for Babel's extraction; it is translated where it is
shown, in the reader's language (``translate``).

A message with parameters is a ``Msg`` (``respira.kit.texts``): English for the API and
the audit trail, translated next to its field on a page.

The questionnaires' licensed wording (ACT: QualityMetric/GSK; ACQ: QOL Technologies;
clinical.md §1.1–1.3) is not reproduced: the items are our own plain-language domain
labels, in item order, and the answer scale is shown by its ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from respira.kit.marks import N_

# --- the questionnaires, in plain words ------------------------------------------------

ITEM_TEXT: dict[str, tuple[str, ...]] = {
    "act": (
        N_("Asthma kept me from getting things done at work, at school or at home"),
        N_("Shortness of breath"),
        N_("Waking at night or early in the morning because of asthma"),
        N_("Use of my reliever inhaler or nebuliser"),
        N_("How well my asthma was controlled, in my own view"),
    ),
    "cact": (
        N_("Child: how is your asthma today"),
        N_("Child: asthma was a problem when running, exercising or playing"),
        N_("Child: coughing because of asthma"),
        N_("Child: waking up at night because of asthma"),
        N_("Parent: days with asthma symptoms during the day"),
        N_("Parent: days with wheezing during the day"),
        N_("Parent: nights the child woke up because of asthma"),
    ),
    "acq": (
        N_("Waking at night because of asthma"),
        N_("Asthma symptoms when waking up in the morning"),
        N_("Asthma limited my activities"),
        N_("Shortness of breath because of asthma"),
        N_("Wheezing"),
        N_("Puffs of my reliever inhaler each day"),
    ),
}
RECALL_TEXT = {
    "act": N_("Think of the past 4 weeks."),
    "cact": N_("Think of the past 4 weeks."),
    "acq": N_("Think of the past week."),
}
SCALE_TEXT = {
    "act": N_("1 means the most trouble, 5 means no trouble at all."),
    "cact": N_("The lowest number means the most trouble, the highest number means no trouble."),
    "acq": N_("0 means no trouble at all, 6 means the most trouble."),
}
INSTRUMENT_NAMES = {
    "act": N_("Asthma Control Test (ACT)"),
    "cact": N_("Childhood Asthma Control Test (C-ACT)"),
    "acq5": N_("Asthma Control Questionnaire (ACQ-5)"),
    "acq6": N_("Asthma Control Questionnaire (ACQ-6)"),
    "acq7": N_("Asthma Control Questionnaire (ACQ-7)"),
}
STATE_TEXT = {
    "upcoming": N_("upcoming"),
    "open": N_("open"),
    "completed": N_("completed"),
    "completed_late": N_("completed late"),
    "missed": N_("missed"),
}
TREATMENT_TEXT = {
    "corticosteroid_course": N_("a course of corticosteroid tablets or injections"),
    "emergency_visit": N_("an emergency visit"),
    "hospitalisation": N_("a stay in hospital"),
}

#: How staff read an attack's severity (``checkins._exacerbations``).
SEVERITY_TEXT = {
    "severe": N_("severe exacerbation"),
    "moderate": N_("moderate exacerbation"),
}


def item_family(instrument: str) -> str:
    return "acq" if instrument.startswith("acq") else instrument


# --- errors of the check-in ---------------------------------------------------------

E_NUMBER = N_("Please enter a number.")
E_WHOLE = N_("Please enter a whole number.")
E_DATE = N_("Please enter a date, such as 2026-03-01.")
E_CHOOSE = N_("Please choose one answer.")
E_TOO_LONG = N_("Please use at most %(max)d characters.")
E_NOT_VALID = N_("This value is not valid.")
E_PUFFS = N_("Enter the puffs of your reliever inhaler per week: 0 to 400.")
E_OCS = N_("Enter the daily dose in mg prednisolone: 0 (none) to 100.")
E_MEDICATION = N_("Please say which regular medicine changed and how.")
E_NO_MEDICATION_CHANGE = N_(
    "You said your regular medicines did not change; leave this field empty."
)
E_FEV1_FVC_PAIR = N_("Enter FEV1 and FVC together, or neither.")
E_FEV1 = N_("FEV1 is between 0.2 and 8 litres; enter it in litres, such as 2.45.")
E_FVC = N_("FVC is between 0.2 and 10 litres; enter it in litres, such as 3.30.")
E_FEV1_OVER_FVC = N_(
    "FEV1 cannot be larger than FVC (by more than %(tolerance)s L); please check both values."
)
E_ANSWERS_COUNT = N_("This questionnaire has %(count)d questions; please answer each of them.")
E_ANSWER_RANGE = N_("Please choose an answer from %(low)s to %(high)s.")
E_EXACERBATION_DATE = N_("The attack cannot start after the day you answer.")
E_EXACERBATIONS_MANY = N_("At most %(max)d attacks can be entered; tell us more in the notes.")
E_NOT_OPEN_YET = N_("This check-in opens on %(date)s.")
E_ALREADY = N_("This check-in was already answered.")
E_HEIGHT = N_(
    "Your height is not in your record, so we cannot read your spirometry; leave FEV1 and "
    "FVC empty, or ask the clinic to record your height."
)
E_SPIROMETRY = N_("Your spirometry cannot be read against the reference values: %(reason)s")
E_ACQ7_NEEDS_FEV1 = N_("Your questionnaire includes your lung function: please enter FEV1 and FVC.")
E_ANSWERED_ON_STAFF = N_("Only staff entering a check-in for a patient give the date.")
E_ANSWERED_FUTURE = N_("The date cannot be in the future.")
E_ANSWERED_BEFORE = N_("The check-in window opened on %(date)s; the date cannot be earlier.")


# --- the reminder emails -----------------------------------------------------------

REMINDER_SUBJECT = {
    "window_open": N_("Your %(month)d-month check-in is open"),
    "closing": N_("Reminder: your %(month)d-month check-in closes on %(date)s"),
}
REMINDER_GREETING = N_("Dear %(name)s,")
REMINDER_OPENING = {
    "window_open": N_(
        "It is %(month)d months since your treatment, and your check-in is now open until "
        "%(date)s. It takes about ten minutes: a few questions about your asthma, your "
        "inhaler use and any attacks since the last check-in."
    ),
    "closing": N_(
        "Your %(month)d-month check-in is still open, until %(date)s. Your answers help us "
        "follow how you are after your treatment."
    ),
}
REMINDER_LINK = N_("Open your check-in with this link (it works once, for %(hours)d hours):")
REMINDER_EXPIRED = N_("If the link has expired, sign in as usual at %(login)s.")
REMINDER_WORSE = N_(
    "If your breathing is getting worse, do not wait for the check-in: contact your doctor "
    "or, in an emergency, call the emergency number."
)
REMINDER_SIGNATURE = N_("Your Respira clinic team")


def reminder_text(kind: str, gettext: Callable[[str], str], params: dict[str, Any]) -> str:
    """The reminder email's text in the language of ``gettext``, paragraph by paragraph."""
    paragraphs = [
        gettext(REMINDER_GREETING) % params,
        gettext(REMINDER_OPENING[kind]) % params,
        gettext(REMINDER_LINK) % params + "\n" + params["link"],
        gettext(REMINDER_EXPIRED) % params,
        gettext(REMINDER_WORSE),
        gettext(REMINDER_SIGNATURE),
    ]
    return "\n\n".join(paragraphs)
