"""The patient portal: a patient's own course, results, check-ins, appointments and
messages, and the invitation and one-time sign-in links that bring them there."""

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Job, Nav, Section, Step

STEP = Step(
    name="portal",
    package=__name__,
    routers=("pages:router",),
    sections=(Section(15, "portal/_section.html", "pages:patient_section"),),
    nav=(Nav(N_("My page"), "/my", frozenset({Role.PATIENT}), 5),),
    listens={
        "intake.converted": "service:on_converted",
        "treatment.discharged": "service:on_discharged",
    },
    jobs=(Job("portal.invitations", "service:send_due", every_s=60),),
)
