"""Follow-up: the check-in schedule after discharge (1, 3, 6 and 12 months after the
last infusion), reminders by email with a one-time sign-in link, check-ins (the
baseline questionnaire, rescue-inhaler use, exacerbations, oral corticosteroid,
medication changes, spirometry), and the coordinators' follow-up list."""

from respira.followup.roles import STAFF_ROLES
from respira.kit.marks import N_
from respira.kit.step import Job, Nav, Section, Step

STEP = Step(
    name="followup",
    package=__name__,
    sections=(Section(65, "followup/_section.html", "pages:patient_section"),),
    nav=(Nav(N_("Follow-up"), "/follow-ups", STAFF_ROLES, 60),),
    listens={"treatment.discharged": "service:on_discharge"},
    jobs=(Job("followup.reminders", "service:send_reminders", every_s=300),),
)
