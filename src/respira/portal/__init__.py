"""The patient portal: a patient's own course, results, check-ins, appointments and
messages, and the invitation and one-time sign-in links that bring them there."""

from respira.kit.step import Step

STEP = Step(
    name="portal",
    package=__name__,
    has_templates=False,
)
