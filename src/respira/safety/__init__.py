"""Safety: adverse events graded with CTCAE, seriousness, expectedness and causality,
serious-event alerts and reports, the on-call roster, and the safety views."""

from respira.kit.step import Step

STEP = Step(
    name="safety",
    package=__name__,
    has_templates=False,
)
