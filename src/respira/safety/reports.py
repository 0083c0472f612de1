"""The reports of a serious adverse event: the initial report (number 1), e-signed by a
physician with the meaning "initial safety report", and follow-up reports (2, 3, ...)
that add to it, each e-signed "follow-up safety report". All are kept; a report is never
changed (a later follow-up corrects an earlier one, with its reason in its text).

The signature covers the report's text and the event as it stands at that moment
(``audit.esign``: the signer's password again, the meaning, the hash of the content;
21 CFR Part 11 style, DESIGN.md principle 3). Signing a report also acknowledges the
event's alert if nobody had: the signer has dealt with it.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from respira.kit import audit, records
from respira.kit.actors import Actor, require_role
from respira.kit.errors import Conflict
from respira.kit.marks import N_
from respira.safety import events
from respira.safety.models import SafetyReport
from respira.safety.roles import REPORT_MEANINGS, SIGN_ROLES
from respira.safety.schemas import AdverseEventOut, ReportIn, ReportOut


def sign_report(session: Session, actor: Actor, event_id: int, data: ReportIn) -> ReportOut:
    require_role(actor, SIGN_ROLES)
    row = events.live_for_update(session, event_id)
    if not row.serious:
        raise Conflict(N_("only a serious adverse event is reported"))
    count = session.scalar(
        select(func.count(SafetyReport.id)).where(SafetyReport.event_id == row.id)
    )
    if data.kind == "initial" and count:
        raise Conflict(N_("the initial report was signed already; add a follow-up report"))
    if data.kind == "follow_up" and not count:
        raise Conflict(N_("sign the initial report first; follow-up reports add to it"))
    number = (count or 0) + 1
    event = AdverseEventOut.model_validate(row).model_dump(mode="json")
    signature = audit.esign(
        session,
        actor,
        password=data.password,
        meaning=REPORT_MEANINGS[data.kind],
        allowed_meanings=REPORT_MEANINGS.values(),
        entity_type=events.ENTITY,
        entity_id=row.id,
        content={"event": event, "kind": data.kind, "number": number, "text": data.text},
    )
    report = SafetyReport(
        event_id=row.id,
        kind=data.kind,
        number=number,
        text=data.text,
        event_version=row.version,
        signature_id=signature.id,
        signed_at=signature.signed_at,
        signed_by_id=actor.user_id,
        signed_by_name=actor.name,
    )
    out = records.store(
        session, actor, report, entity_type="safety_report", out=ReportOut, commit=False
    )
    if row.acknowledged_at is None:
        events.acknowledge(session, actor, row.id, commit=False)
    session.commit()
    return out
