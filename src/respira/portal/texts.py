"""Patient-facing text the portal writes in Python: the invitation email and the plain
words for a patient's own results. ``N_`` marks a string for Babel's extraction; the
text is translated into the patient's language where it is used.

Results are described, never judged as a success of the treatment: "this shows how your
lungs worked on that day", not "the therapy improved your lungs" (DESIGN.md,
"Honest by construction").
"""

from __future__ import annotations

from respira.kit.marks import N_
from respira.kit.texts import gettext_in, paragraphs

INVITATION_SUBJECT = N_("Your personal page in the Respira patient portal")
INVITATION_LINES = (
    N_("Dear %(name)s,"),
    N_(
        "the clinic has opened your personal page in Respira, the clinic's patient "
        "portal. There you see your treatment course, your own results, your check-ins "
        "and appointments, and you can write to your care team."
    ),
    N_("To begin, choose your password with the link below. The link works once and for 7 days:"),
    "%(url)s",
    N_("Afterwards you sign in with this email address: %(email)s"),
    N_(
        "If the link has expired, ask the clinic for a new invitation. If you did not "
        "expect this email, you can ignore it."
    ),
    N_("Your care team"),
)


def invitation_email(lang: str, *, name: str, url: str, email: str) -> tuple[str, str]:
    """The invitation's subject and text in ``lang``."""
    _ = gettext_in(lang)
    return _(INVITATION_SUBJECT), paragraphs(
        _, INVITATION_LINES, {"name": name, "url": url, "email": email}
    )


# --- plain words for results (clinical.md §1.1, §1.2, §1.3, §2.1, §6) -------------------

FEV1_EXPLAINED = N_(
    "FEV1 is the amount of air you can blow out in the first second of a strong breath. "
    "The percentage compares it with the value expected for a healthy person of your "
    "age, height and sex."
)
FEV1_WITHIN = N_("Within the range expected for a healthy person of your age, height and sex.")
FEV1_BELOW = N_("Lower than the range expected for a healthy person of your age, height and sex.")
ON_THAT_DAY = N_(
    "This shows how your lungs worked on that day. Values vary from day to day; your "
    "physician explains what they mean for you."
)

# Instrument → (name, range of the score) as the patient reads it.
INSTRUMENTS: dict[str, tuple[str, str]] = {
    "act": (N_("Asthma Control Test (ACT)"), N_("5 to 25 points; higher is better")),
    "cact": (N_("Childhood Asthma Control Test (C-ACT)"), N_("0 to 27 points; higher is better")),
    "acq5": (N_("Asthma Control Questionnaire (ACQ-5)"), N_("0 to 6; lower is better")),
    "acq6": (N_("Asthma Control Questionnaire (ACQ-6)"), N_("0 to 6; lower is better")),
    "acq7": (N_("Asthma Control Questionnaire (ACQ-7)"), N_("0 to 6; lower is better")),
    "gina": (N_("GINA symptom control"), N_("0 to 4 questions answered yes; fewer is better")),
}

# (instrument family, band) → what the band says, in plain words. ACT: ≥20 well,
# 16–19 not well, ≤15 very poorly controlled (Nathan 2004; NAEPP EPR-3 2007; §1.1);
# C-ACT ≤19 not well, ≤12 very poorly (Liu 2007, 2010; §1.2); ACQ ≤0.75 well, ≥1.5 not
# well, between a grey zone (Juniper 2006; §1.3); GINA 0 well, 1–2 partly, 3–4
# uncontrolled (§2.1).
_FOUR_WEEKS = {
    "well_controlled": N_("Your asthma was well controlled in the 4 weeks before."),
    "not_well_controlled": N_("Your asthma was not well controlled in the 4 weeks before."),
    "very_poorly_controlled": N_("Your asthma was very poorly controlled in the 4 weeks before."),
    "partly_controlled": N_("Your asthma was partly controlled in the 4 weeks before."),
    "uncontrolled": N_("Your asthma was not controlled in the 4 weeks before."),
}
_ONE_WEEK = {
    "well_controlled": N_("Your asthma was well controlled in the week before."),
    "grey_zone": N_("Your asthma was between well and not well controlled in the week before."),
    "not_well_controlled": N_("Your asthma was not well controlled in the week before."),
}


def band_explained(instrument: str, band: str) -> str | None:
    """The band of a questionnaire in plain words (English; translate where shown)."""
    table = _ONE_WEEK if instrument.startswith("acq") else _FOUR_WEEKS
    return table.get(band)


# --- the password page and the sign-in page's notice ----------------------------------

PASSWORDS_DIFFER = N_("The two passwords are not the same. Please type the same password twice.")
# The accounts step shows this on the sign-in page for ``/login?notice=link-used``.
LINK_USED = N_("This link has already been used or has expired. Please sign in.")
CHOOSE_PASSWORD = N_("Please choose a password.")
