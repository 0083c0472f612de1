"""Mail: the outbox of every email Respira sends, the worker that sends it with
retries, and the admins' outbox page."""

from respira.kit.step import Step

STEP = Step(
    name="mail",
    package=__name__,
    has_templates=False,
)
