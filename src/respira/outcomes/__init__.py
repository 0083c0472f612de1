"""Transparent outcomes: the outcome registry (a projection of the clinical record), the
outcome report for staff, the public transparency page, and the de-identified export."""

from respira.kit.step import Step

STEP = Step(
    name="outcomes",
    package=__name__,
    routers=(),
    demo=None,
    cli={"outcomes": "cli:app"},
)
