"""Transparent outcomes: the outcome registry (a projection of the clinical record), the
outcome report for staff, the public transparency page, and the de-identified export."""

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Job, Nav, Section, Step

STEP = Step(
    name="outcomes",
    package=__name__,
    routers=(
        "export_pages:router",
        "api:router",
        "pages:router",
        "public:router",
        "exits_api:router",
        "exits_pages:router",
    ),
    sections=(Section(68, "outcomes/_exits_section.html", "exits_pages:patient_section"),),
    listens={
        "treatment.discharged": "projection:on_course_changed",
        "followup.check_in_recorded": "projection:on_course_changed",
        "followup.check_in_retracted": "projection:on_course_changed",
        "safety.adverse_event_recorded": "projection:on_patient_changed",
        "safety.adverse_event_corrected": "projection:on_patient_changed",
        "safety.adverse_event_retracted": "projection:on_patient_changed",
    },
    jobs=(Job("outcomes.refresh", "projection:refresh", every_s=300),),
    nav=(
        Nav(N_("Outcomes"), "/outcomes/report", frozenset({Role.ADMIN, Role.PHYSICIAN}), 80),
        Nav(N_("De-identified export"), "/admin/outcomes/export", frozenset({Role.ADMIN}), 81),
    ),
    cli={"outcomes": "cli:app"},
)
