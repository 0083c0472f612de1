"""Medical summaries: the discharge and follow-up summaries, e-signed and frozen as PDF,
in the patient's language and in English."""

from respira.kit.step import Step

STEP = Step(
    name="summaries",
    package=__name__,
    has_templates=False,
)
