"""The audit trail of one kind of record, named once.

A module that changes one kind of record declares its trail once,
``SLOTS = Trail("appointment_slot")``, and each change of it is one line:
``SLOTS.record(session, actor, slot.id, "cancel", before=..., after=...)``
(``respira.kit.audit.record``: appended in the caller's transaction, not committed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from respira.kit import audit
from respira.kit.actors import Actor


@dataclass(frozen=True)
class Trail:
    """The audit records of one ``entity_type``."""

    entity_type: str

    def record(
        self, session: Session, actor: Actor, row_id: object, action: str, **change: Any
    ) -> audit.AuditRecord:
        """One change (``action``) of the record ``row_id``; ``change`` is what
        ``respira.kit.audit.record`` takes besides: ``before`` and ``after`` (for an
        update the fields that changed, for a create the whole record) and ``reason``."""
        return audit.record(
            session, actor, entity_type=self.entity_type, entity_id=row_id, action=action, **change
        )
