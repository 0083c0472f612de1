"""What other steps' pages use of the audit trail: a field of a record and the role of
the person who changed it, in the reader's words, as ``/audit`` says them (a request's
history on its own page, say)."""

from __future__ import annotations

from respira.audit_trail.describe import label as field_label
from respira.audit_trail.describe import role_label

__all__ = ["field_label", "role_label"]
