"""Who is acting: the roles of the clinic and the ``Actor`` every use case receives.

Services take the actor explicitly (never a global "current user") so that each use
case can check permission and write who did what into the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from respira.kit.marks import N_


class Role(StrEnum):
    ADMIN = "admin"
    PHYSICIAN = "physician"
    NURSE = "nurse"  # ward staff: admissions, bedside checks, administrations, vital signs
    COORDINATOR = "coordinator"
    LAB = "lab"
    PATIENT = "patient"


# A role in words, as the header of every page names the signed-in user's (translated
# there); the audit trail uses the same message ids.
ROLE_WORDS: dict[str, str] = {
    "admin": N_("administrator"),
    "physician": N_("physician"),
    "nurse": N_("nurse"),
    "coordinator": N_("coordinator"),
    "lab": N_("laboratory"),
    "patient": N_("patient"),
}

ALL_ROLES: frozenset[Role] = frozenset(Role)
STAFF_ROLES: frozenset[Role] = frozenset(
    {Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.COORDINATOR, Role.LAB}
)
# The staff who look after patients (everyone but the laboratory): the patient registry,
# the ward board, appointments.
CARE_TEAM_ROLES: frozenset[Role] = STAFF_ROLES - {Role.LAB}

# The audit trail's role for an unauthenticated member of the public (a consultation
# request from the public page) and for the command line run by an operator.
PUBLIC_ROLE = "public"
SYSTEM_ROLE = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None
    role: str
    name: str
    patient_id: int | None = None

    @classmethod
    def public(cls) -> Actor:
        return cls(user_id=None, role=PUBLIC_ROLE, name="public")

    @classmethod
    def system(cls, name: str = "respira-cli") -> Actor:
        return cls(user_id=None, role=SYSTEM_ROLE, name=name)

    def has(self, roles: frozenset[Role] | set[Role]) -> bool:
        return self.role in roles


def require_role(actor: Actor, roles: frozenset[Role] | set[Role]) -> None:
    """Raise ``Forbidden`` unless the actor has one of the roles. The operator at the
    command line (``system``) may do what any role may: they hold the database file."""
    from respira.kit.errors import Forbidden

    if actor.role != SYSTEM_ROLE and actor.role not in roles:
        raise Forbidden(N_("your role may not do this"))
