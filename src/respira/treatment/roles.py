"""Who may do what in the stay: nurses and physicians do the ward work (admissions,
bedside checks, administrations, supporting sessions); admins read; coordinators read
the ward board (they organise the stay) but no administration detail; the laboratory
has no part here; a patient reads their own administrations."""

from __future__ import annotations

from respira.kit.actors import CARE_TEAM_ROLES, Role
from respira.patients import service as patients_service
from respira.products import service as products_service

WARD_ROLES = frozenset({Role.NURSE, Role.PHYSICIAN})
READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE})
BOARD_ROLES = CARE_TEAM_ROLES
ADMINISTRATION_READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.PATIENT})
WITNESS_ROLES = frozenset({Role.NURSE, Role.PHYSICIAN})
# The chain of identity is the products step's ledger: its readers who may also read
# the patient's record (the laboratory reads units, not patients).
CHAIN_ROLES = products_service.CHAIN_ROLES & patients_service.READ_ROLES
