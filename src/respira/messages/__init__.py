"""Messages: secure threads between a patient and the care team, the staff queue of
unanswered threads."""

from respira.kit.step import Step

STEP = Step(
    name="messages",
    package=__name__,
    has_templates=False,
)
