"""The patient registry: register, search and edit patients; the patient's page that
every other step adds a section to."""

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Nav, Step

STEP = Step(
    name="patients",
    package=__name__,
    nav=(
        Nav(
            N_("Patients"),
            "/patients",
            frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.COORDINATOR}),
            10,
        ),
        Nav(N_("My record"), "/me", frozenset({Role.PATIENT}), 10),
    ),
)
