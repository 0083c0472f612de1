"""Who triages consultation requests: coordinators and admins."""

from __future__ import annotations

from respira.kit.actors import Role

TRIAGE_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})
