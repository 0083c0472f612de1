"""Who may do what with the cell product (least privilege; tests/products/access_policy.py),
and the meanings of its two e-signatures."""

from __future__ import annotations

from respira.kit.actors import Role
from respira.kit.marks import N_

LAB_ROLES = frozenset({Role.LAB})
# Donor records hold screening results: the laboratory and the admins, nobody else.
DONOR_READ_ROLES = frozenset({Role.ADMIN, Role.LAB})
# Physicians read lots and units (they prescribe from them); admins read everything.
READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.LAB})
# The ward reads a unit's chain of identity (the bedside check).
CHAIN_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.LAB})
SPEC_ADMIN_ROLES = frozenset({Role.ADMIN})
# Hand-overs: the laboratory hands over, the ward receives.
CUSTODY_ROLES = frozenset({Role.LAB, Role.NURSE})
# Who writes the bedside check and the administration into a unit's ledger.
WARD_ROLES = frozenset({Role.NURSE, Role.PHYSICIAN, Role.LAB})

# Stored in English with the signature; the page shows them in the reader's language.
RELEASE_MEANING = N_("released for clinical use")
RECALL_MEANING = N_("recalled from clinical use")
