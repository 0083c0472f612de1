"""Follow-up: the check-in schedule after discharge (1, 3, 6 and 12 months), reminders,
check-ins and the coordinators' follow-up list."""

from respira.kit.step import Step

STEP = Step(
    name="followup",
    package=__name__,
    has_templates=False,
)
