"""Who may do what in the protocol step."""

from __future__ import annotations

from respira.kit.actors import Role

WRITE_ROLES = frozenset({Role.PHYSICIAN})
# The ward (nurses), travel (coordinators) and dose preparation (lab) read courses; a
# patient reads their own approved ones.
READ_ROLES = frozenset(
    {Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.COORDINATOR, Role.LAB, Role.PATIENT}
)
LIMITS_READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN})
LIMITS_ADMIN_ROLES = frozenset({Role.ADMIN})
