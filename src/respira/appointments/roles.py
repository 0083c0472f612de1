"""Who may do what with appointments: physicians, coordinators and admins publish and
withdraw slots, held by a physician, nurse or coordinator; coordinators book for any
patient and patients for themselves; a booking is cancelled by the patient, a
coordinator, a physician or an admin; all staff but the laboratory read the calendar;
a patient reads their own appointments and the slots they may book."""

from __future__ import annotations

from respira.kit.actors import CARE_TEAM_ROLES, Role

PUBLISH_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR})
HOLDER_ROLES = frozenset({Role.PHYSICIAN, Role.NURSE, Role.COORDINATOR})
STAFF_ROLES = CARE_TEAM_ROLES
READ_ROLES = STAFF_ROLES | {Role.PATIENT}
BOOK_ROLES = frozenset({Role.COORDINATOR, Role.PATIENT})
CANCEL_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR, Role.PATIENT})
