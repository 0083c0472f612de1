"""Who may do what in the follow-up: coordinators run it (the list of who is due,
phone calls, check-ins entered on a patient's behalf) with the physicians; admins read
it and set the plan with the physicians; a patient reads and answers their own
check-ins; the ward (nurses) and the laboratory have no part in it."""

from __future__ import annotations

from respira.kit.actors import Role

READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR, Role.PATIENT})
STAFF_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR})
CHECK_IN_ROLES = frozenset({Role.PHYSICIAN, Role.COORDINATOR, Role.PATIENT})
ON_BEHALF_ROLES = frozenset({Role.PHYSICIAN, Role.COORDINATOR})
CONTACT_ROLES = frozenset({Role.PHYSICIAN, Role.COORDINATOR})
PLAN_READ_ROLES = STAFF_ROLES
PLAN_WRITE_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN})
