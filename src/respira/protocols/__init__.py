"""protocols step (being built: issue 10)."""

from respira.kit.step import Step

STEP = Step(name="protocols", package=__name__, has_templates=False)
