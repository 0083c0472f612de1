"""The audit trail for people: an entity's history through the API and on a page, for
admins. The chain itself and e-signatures are the kit's (``respira.kit.audit``)."""

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Nav, Step

STEP = Step(
    name="audit_trail",
    package=__name__,
    models=(),
    demo=None,
    routers=("routes:api", "routes:pages"),
    nav=(Nav(N_("Audit trail"), "/audit", frozenset({Role.ADMIN}), 95),),
)
