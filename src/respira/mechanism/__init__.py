"""The mechanism step: the mechanistic model of the allergic cascade and of how MSCs are
thought to act (``reference/mechanistic_model.md``), for people. A public page that
explains it ("How asthma develops and how MSCs are thought to act": the cascade as a
diagram and a scenario panel with server-made charts), the panel opened by staff from a
patient's page, and ``respira model`` (single runs, virtual cohorts to Parquet, on one
machine or a Ray cluster, and global sensitivity analysis). No tables.

Everything it shows is labelled as an uncalibrated hypothesis, never a prediction for a
person."""

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Nav, Section, Step

STEP = Step(
    name="mechanism",
    package=__name__,
    models=(),
    demo=None,
    routers=("pages:router",),
    sections=(Section(90, "mechanism/_section.html", "pages:patient_section"),),
    # Signed-in users reach the (public) page from the menu; visitors from the home page.
    nav=(
        Nav(
            N_("Asthma model"),
            "/model",
            frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.COORDINATOR, Role.PATIENT}),
            90,
        ),
    ),
    cli={"model": "cli:app"},
)
