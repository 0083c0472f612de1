"""Who may do what with medical summaries (least privilege; tests/summaries/access_policy.py).

A physician writes a summary, signs it ("approved summary": the signature carries medical
responsibility) and corrects it with a new version. Admins and physicians read drafts and
their previews. Nurses read signed summaries (they hand them over at discharge); a
patient reads and downloads their own signed summaries and never a draft. Coordinators
and the laboratory have no part in a patient's medical summary.
"""

from __future__ import annotations

from respira.kit.actors import Role

WRITE_ROLES = frozenset({Role.PHYSICIAN})
DRAFT_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN})
READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.PATIENT})

SIGN_MEANING = "approved summary"
