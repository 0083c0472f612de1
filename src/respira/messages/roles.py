"""Who may use the messages: the care team (physicians, nurses, coordinators) answers
every patient's threads; a patient reads and writes their own."""

from __future__ import annotations

from respira.kit.actors import Role

CARE_TEAM = frozenset({Role.PHYSICIAN, Role.NURSE, Role.COORDINATOR})
READ_ROLES = CARE_TEAM | {Role.PATIENT}
