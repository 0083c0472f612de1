"""Screening: eligibility criteria as versioned data, their evaluation against the
patient's record, diagnostics and screening findings (met / not met / unknown with
evidence), and the physician's e-signed decision, which is never edited, only
superseded."""

from respira.kit.marks import N_
from respira.kit.step import Nav, Section, Step
from respira.screening.roles import CRITERIA_READ_ROLES

STEP = Step(
    name="screening",
    package=__name__,
    sections=(Section(40, "screening/_section.html", "pages:patient_section"),),
    nav=(Nav(N_("Screening criteria"), "/screening/criteria", CRITERIA_READ_ROLES, 60),),
    worklists=("worklist:items",),
)
