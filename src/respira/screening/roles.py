"""Who may do what in screening (docs/decisions/2026-11-23-screening-roles-and-signatures.md).

Physicians record findings, run screenings, annotate and sign them; only a physician
signs (least privilege: the signature carries medical responsibility, an admin account
does not). Admins manage criteria sets; admins and physicians read screenings and
findings; a patient reads their own (others are "not found"); coordinators and the
laboratory see no screening detail.
"""

from __future__ import annotations

from respira.kit.actors import Role

READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.PATIENT})
CLINICAL_ROLES = frozenset({Role.PHYSICIAN})
SIGN_ROLES = frozenset({Role.PHYSICIAN})
CRITERIA_READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN})
CRITERIA_ADMIN_ROLES = frozenset({Role.ADMIN})
# Coordinators see where a patient stands on the road (the decision and whether it is
# signed) on the patient's page, never the criteria or evidence.
STATUS_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR, Role.PATIENT})
# Staff who see the worklist of signed screenings resting on changed evidence.
WORKLIST_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN})
