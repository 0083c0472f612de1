"""International patient coordination: each stay's checklist (visa letter, flights,
airport pickup, accommodation, interpreter, meals), the coordinator board and the
patient's travel plan."""

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Nav, Section, Step
from respira.logistics.roles import BOARD_ROLES, STAY_READ_ROLES

STEP = Step(
    name="logistics",
    package=__name__,
    routers=("api:router", "pages:router", "travel_pages:router"),
    sections=(Section(55, "logistics/_section.html", "pages:patient_section"),),
    nav=(
        Nav(N_("Coordinator board"), "/logistics/board", BOARD_ROLES, 58),
        Nav(N_("Stays"), "/logistics/stays", STAY_READ_ROLES, 59),
        Nav(N_("My travel"), "/my/travel", frozenset({Role.PATIENT}), 21),
    ),
)
