"""Medical summaries: the discharge and follow-up summaries, e-signed and frozen as PDF,
in the patient's language and in English."""

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Nav, Section, Step

STEP = Step(
    name="summaries",
    package=__name__,
    sections=(Section(90, "summaries/_section.html", "pages:patient_section"),),
    nav=(Nav(N_("My summaries"), "/my/summaries", frozenset({Role.PATIENT}), 6),),
)
