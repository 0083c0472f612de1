"""Messages: secure threads between a patient and the care team, the staff queue of
unanswered threads."""

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Nav, Section, Step
from respira.messages.roles import CARE_TEAM

STEP = Step(
    name="messages",
    package=__name__,
    sections=(Section(16, "messages/_section.html", "pages:patient_section"),),
    nav=(
        Nav(N_("Messages"), "/messages", CARE_TEAM, 25),
        Nav(N_("My messages"), "/my/messages", frozenset({Role.PATIENT}), 6),
    ),
)
