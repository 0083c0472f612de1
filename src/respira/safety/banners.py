"""The banner every physician sees on every page while a serious adverse event waits
for acknowledgement (one per event, newest first, at most ``SHOWN`` and then one that
counts the rest). Asked for every page a signed-in user opens: one indexed query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from respira.kit.actors import Actor, Role
from respira.kit.marks import N_
from respira.kit.web.templating import Banner
from respira.patients import service as patients_service
from respira.safety.models import AdverseEvent

SHOWN = 3
_WAITING = (
    select(AdverseEvent.id, AdverseEvent.patient_id)
    .where(
        AdverseEvent.serious.is_(True),
        AdverseEvent.acknowledged_at.is_(None),
        AdverseEvent.retracted_at.is_(None),
    )
    .order_by(AdverseEvent.recorded_at.desc(), AdverseEvent.id.desc())
)


def serious_events(db: Any, actor: Actor) -> list[Banner]:
    if actor.role != Role.PHYSICIAN:
        return []
    with db.session() as session:
        waiting = session.execute(_WAITING).all()
        shown = [
            Banner(
                text=N_("Serious adverse event awaiting acknowledgement: patient %(mrn)s"),
                href=f"/adverse-events/{eid}",
                params={
                    "mrn": patients_service.get_visible(session, actor, pid).medical_record_number
                },
            )
            for eid, pid in waiting[:SHOWN]
        ]
    if len(waiting) > SHOWN:
        shown.append(
            Banner(
                text=N_("Further serious adverse events await acknowledgement: %(n)d"),
                href="/safety",
                params={"n": len(waiting) - SHOWN},
            )
        )
    return shown
