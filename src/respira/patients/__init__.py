"""The patient registry: register, search and edit patients; the patient's page that
every other step adds a section to."""

from respira.kit.actors import Role
from respira.kit.step import Nav, Step

STEP = Step(
    name="patients",
    package=__name__,
    models=("models",),
    routers=("api:router", "pages:router"),
    nav=(
        Nav(
            "Patients",
            "/patients",
            frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.COORDINATOR}),
            10,
        ),
        Nav("My record", "/me", frozenset({Role.PATIENT}), 10),
    ),
    demo="demo:seed",
)
