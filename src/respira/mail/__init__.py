"""Mail: the outbox of every email Respira sends, the worker that sends it with
retries, and the admins' outbox page."""

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Job, Nav, Step

STEP = Step(
    name="mail",
    package=__name__,
    demo=None,
    nav=(Nav(N_("Outbox"), "/admin/outbox", frozenset({Role.ADMIN}), 90),),
    jobs=(Job("mail.send", "service:send_due", every_s=15),),
    banners=("banners:outbox_needs_attention",),
)
