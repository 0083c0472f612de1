"""The patient registry: register, search and edit patients; the patient's page that
every other step adds a section to."""

from respira.kit.actors import CARE_TEAM_ROLES, Role
from respira.kit.marks import N_
from respira.kit.step import Nav, Step

STEP = Step(
    name="patients",
    package=__name__,
    nav=(
        Nav(N_("Patients"), "/patients", CARE_TEAM_ROLES, 10),
        Nav(N_("My record"), "/me", frozenset({Role.PATIENT}), 10),
    ),
    worklists=("worklist:items",),
)
