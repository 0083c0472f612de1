"""Consultation and call-back requests: the public form, its abuse resistance, the
coordinators' triage queue and the conversion of a request into a patient."""

from respira.intake.roles import TRIAGE_ROLES
from respira.kit.marks import N_
from respira.kit.step import Nav, Section, Step

STEP = Step(
    name="intake",
    package=__name__,
    routers=("api:router", "pages:public_router", "pages:router"),
    sections=(Section(5, "intake/_patient_origin.html", "pages:patient_section"),),
    nav=(Nav(N_("Consultation requests"), "/consultation-requests", TRIAGE_ROLES, 5),),
    worklists=("worklist:items",),
)
