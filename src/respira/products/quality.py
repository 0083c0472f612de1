"""Quality control and the QA decisions: QC results of a lot in quarantine, the e-signed
release for clinical use (only when every specification passes, the donor is eligible
and the lot has not expired) and the e-signed recall that blocks every unit at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from respira.kit import audit, records
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_today
from respira.kit.errors import Conflict, InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import Msg, Msgs
from respira.kit.validation import latest_today
from respira.products import specs
from respira.products.lots import lot_out, save_lot
from respira.products.models import Lot, QcResult
from respira.products.roles import LAB_ROLES, RECALL_MEANING, RELEASE_MEANING
from respira.products.rows import append_event, audit_created, lock_lot_in, lot_units, stamp
from respira.products.schemas import LotOut, QcIn, QcResultOut
from respira.products.specifications import current_spec, install_default, qc_out


def record_qc(session: Session, actor: Actor, lot_id: int, data: QcIn) -> QcResultOut:
    """One QC result (the newest per attribute counts): method, operator (the signed-in
    user) and date are kept with it."""
    require_role(actor, LAB_ROLES)
    lock_lot_in(session, lot_id, ("quarantine",), "its quality control is closed")
    spec = current_spec(session)
    items = {i.attribute: i for i in spec.items}
    attribute = data.attribute.strip().lower()
    item = items.get(attribute)
    if item is None:
        raise InvalidInput(
            {"attribute": "must be one of the release specifications: " + ", ".join(items)}
        )
    if item.unit and data.unit and data.unit != item.unit:
        raise InvalidInput({"unit": f"{attribute} is specified in {item.unit!r}"})
    problem = specs.valid_value(item.model_dump(), data.value)
    if problem:
        raise InvalidInput({"value": problem})
    tested_on = data.tested_on or clinic_today()
    if tested_on > latest_today():
        raise InvalidInput({"tested_on": "cannot be in the future"})
    row = QcResult(
        lot_id=lot_id,
        attribute=attribute,
        value=data.value,
        unit=item.unit,
        method=data.method,
        tested_on=tested_on,
        **stamp(actor),
    )
    session.add(row)
    session.flush()
    out = qc_out(row)
    audit_created(
        session, actor, "qc_result", row.id, {"lot_id": lot_id, **out.model_dump(mode="json")}
    )
    session.commit()
    return out


def _release_content(lot: Lot, out: LotOut) -> dict[str, Any]:
    """Exactly what the release signature covers."""
    return {
        "lot_id": lot.id,
        "lot_code": lot.code,
        "origin": lot.origin,
        "donor_id": lot.donor_id,
        "harvest_id": lot.harvest_id,
        "expiry": lot.expiry.isoformat(),
        "spec_version": out.spec_version,
        "results": [
            {
                "attribute": c.attribute,
                "result_id": c.result.id if c.result else None,
                "value": c.result.value if c.result else None,
                "outcome": c.outcome,
            }
            for c in out.qc
        ],
    }


def _sign(
    session: Session,
    actor: Actor,
    lot: Lot,
    password: str,
    meaning: str,
    allowed_meaning: str,
    content: dict[str, Any],
) -> audit.Signature:
    """The signer's e-signature of a decision on the lot (release or recall): their
    password again, the one meaning the decision allows, and what it covers."""
    return audit.esign(
        session,
        actor,
        password=password,
        meaning=meaning,
        allowed_meanings=[allowed_meaning],
        entity_type="lot",
        entity_id=lot.id,
        content=content,
    )


def release_lot(
    session: Session, actor: Actor, lot_id: int, *, password: str, meaning: str
) -> LotOut:
    """The QA e-signature "released for clinical use": only a lot in quarantine whose
    every specification passes (newest result per attribute), not on hold, not expired,
    and, for a donor lot, of an eligible donor."""
    require_role(actor, LAB_ROLES)
    lot = lock_lot_in(session, lot_id, ("quarantine",), "only a lot in quarantine can be released")
    install_default(session, actor)
    out = lot_out(session, lot)
    if out.blocking:
        raise Conflict(
            Msg(N_("the lot cannot be released: %(reasons)s"), reasons=Msgs(out.blocking_text))
        )
    signature = _sign(
        session, actor, lot, password, meaning, RELEASE_MEANING, _release_content(lot, out)
    )
    lot.status = "released"
    lot.released_at = signature.signed_at
    lot.released_by_name = actor.name
    lot.release_signature_id = signature.id
    lot.release_spec_version = out.spec_version
    records.flush(session, "the lot was released or changed by someone else at this moment")
    return save_lot(
        session,
        actor,
        lot,
        "release",
        before={"status": "quarantine"},
        after={"status": "released", "signature_id": signature.id, "spec": out.spec_version},
    )


def recall_lot(
    session: Session, actor: Actor, lot_id: int, *, password: str, reason: str
) -> LotOut:
    """The e-signed recall of a released lot: from this moment every unit of it is
    blocked (its lot status is what the bedside check reads)."""
    require_role(actor, LAB_ROLES)
    lot = lock_lot_in(session, lot_id, ("released",), "only a released lot can be recalled")
    content = {"lot_id": lot.id, "lot_code": lot.code, "reason": reason}
    signature = _sign(session, actor, lot, password, RECALL_MEANING, RECALL_MEANING, content)
    lot.status = "recalled"
    lot.recalled_at = signature.signed_at
    lot.recalled_by_name = actor.name
    lot.recall_signature_id = signature.id
    lot.recall_reason = reason
    units = lot_units(session, lot_id)
    for unit in units:
        if unit.status != "administered":
            append_event(session, actor, unit.id, "recalled", f"lot recalled: {reason}")
    records.flush(session, "the lot was changed by someone else at this moment")
    return save_lot(
        session,
        actor,
        lot,
        "recall",
        before={"status": "released"},
        after={"status": "recalled", "signature_id": signature.id},
        reason=reason,
    )
