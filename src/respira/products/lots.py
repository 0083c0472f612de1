"""Lots: made from a donor or a harvest, their passages and storage, what they show (QC
against the specification, why a lot cannot be released yet), the laboratory's board,
and the quarantine hold and discard of a lot never released."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from respira.kit import audit, records
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_day, clinic_today
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.rows import from_row
from respira.kit.texts import Msg
from respira.kit.validation import latest_today
from respira.products.donors import ineligible_reasons
from respira.products.models import Donor, Harvest, Lot, LotPassage, Unit
from respira.products.roles import LAB_ROLES, READ_ROLES
from respira.products.rows import (
    append_event,
    load_lot,
    lock_lot_in,
    lot_passages,
    lot_units,
    stamp,
    unit_out,
)
from respira.products.schemas import (
    LotIn,
    LotOut,
    LotSummary,
    PassageIn,
    PassageOut,
    QcCheck,
    SpecificationOut,
    StorageIn,
)
from respira.products.specifications import current_spec, evaluate, latest_results


def _named(check: QcCheck) -> str:
    """A check's attribute by its label, which a page writes in its reader's language."""
    return Msg(check.label) if check.label else check.attribute


def _blocking(
    lot: Lot,
    checks: list[QcCheck],
    donor_reasons: list[str] | None,
    today: dt.date,
) -> list[Msg]:
    """Why the lot cannot be released now (empty: it can): each a ``Msg`` (its ``str``
    the English the API answers) that a page writes in its reader's language."""
    out = []
    if lot.status != "quarantine":
        out.append(Msg(N_("the lot is %(status)s"), status=Msg(lot.status)))
    if lot.quarantine_reason:
        out.append(
            Msg(N_("the lot is on quarantine hold: %(reason)s"), reason=lot.quarantine_reason)
        )
    if lot.expiry < today:
        out.append(Msg(N_("the lot expired on %(date)s"), date=lot.expiry.isoformat()))
    if donor_reasons:
        out.append(
            Msg(N_("the donor is not eligible: %(reasons)s"), reasons="; ".join(donor_reasons))
        )
    for c in checks:
        if c.outcome == "missing":
            out.append(Msg(N_("%(attribute)s: no result"), attribute=_named(c)))
        elif c.outcome == "fail":
            assert c.result is not None
            out.append(
                Msg(
                    N_("%(attribute)s: %(value)s does not meet %(requirement)s"),
                    attribute=_named(c),
                    value=c.result.value,
                    requirement=c.requirement,
                )
            )
    return out


def lot_out(session: Session, lot: Lot, spec: SpecificationOut | None = None) -> LotOut:
    spec = spec or current_spec(session)
    passages = lot_passages(session, lot.id)
    newest = passages[-1] if passages else None
    checks = evaluate(spec, latest_results(session, [lot.id])[lot.id])
    donor = session.get(Donor, lot.donor_id) if lot.donor_id is not None else None
    harvest = session.get(Harvest, lot.harvest_id) if lot.harvest_id is not None else None
    donor_reasons = ineligible_reasons(donor) if donor is not None else None
    today = clinic_today()
    blocking = _blocking(lot, checks, donor_reasons, today)
    units = lot_units(session, lot.id)
    passage = newest.passage if newest else 0
    storage = None
    if lot.freezer:
        storage = f"freezer {lot.freezer}, rack {lot.rack}, box {lot.box}, position {lot.position}"
    return from_row(
        LotOut,
        lot,
        donor_code=donor.code if donor else None,
        patient_id=harvest.patient_id if harvest else None,
        passage=passage,
        passage_limit=spec.passage_limit,
        past_passage_limit=passage > spec.passage_limit,
        viable_cells_million=newest.viable_cells_million if newest else 0.0,
        population_doublings=newest.population_doublings if newest else None,
        passages=[PassageOut.model_validate(p) for p in passages],
        storage=storage,
        expired=lot.expiry < today,
        spec_version=spec.version,
        qc=checks,
        qc_complete=all(c.outcome != "missing" for c in checks),
        all_specs_pass=all(c.outcome == "pass" for c in checks),
        donor_eligible=None if donor_reasons is None else not donor_reasons,
        releasable=not blocking,
        blocking=blocking,
        released_by=lot.released_by_name,
        units=[unit_out(u, lot.code) for u in units],
    ).said(blocking)


def save_lot(
    session: Session,
    actor: Actor,
    lot: Lot,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> LotOut:
    """Audit a change of the lot (written in the caller's transaction), commit, and
    answer the lot as it stands now."""
    audit.record(
        session,
        actor,
        entity_type="lot",
        entity_id=lot.id,
        action=action,
        before=before,
        after=after,
        reason=reason,
    )
    session.commit()
    return lot_out(session, lot)


def create_lot(session: Session, actor: Actor, data: LotIn) -> LotOut:
    require_role(actor, LAB_ROLES)
    errors: dict[str, str] = {}
    if data.origin == "donor":
        if data.donor_id is None or session.get(Donor, data.donor_id) is None:
            errors["donor_id"] = "no donor has this id"
    elif data.harvest_id is None or session.get(Harvest, data.harvest_id) is None:
        errors["harvest_id"] = "no harvest has this id"
    if session.scalar(select(Lot.id).where(Lot.code == data.code)) is not None:
        errors["code"] = f"lot code {data.code!r} is taken"
    # The label's dates are days of the clinic's calendar (as at the bedside); a date
    # "in the future" is one that has not come yet in UTC nor there (``not_future``).
    today = clinic_today()
    latest = latest_today()
    if data.expiry <= today:
        errors["expiry"] = "the expiry date must be after today"
    if data.cryopreserved_on is not None and data.cryopreserved_on > latest:
        errors["cryopreserved_on"] = "cannot be in the future"
    if data.passaged_on is not None and data.passaged_on > latest:
        errors["passaged_on"] = "cannot be in the future"
    storage = [data.freezer, data.rack, data.box, data.position]
    if any(storage) and not all(storage):
        errors["freezer"] = "give the whole storage location: freezer, rack, box and position"
    if errors:
        raise InvalidInput(errors)
    now = utcnow()
    # What a new lot is sent: the lot's own columns and its first passage.
    first_passage = set(PassageIn.model_fields)
    lot = Lot(
        **data.model_dump(exclude=first_passage),
        status="quarantine",
        created_at=now,
        created_by_name=actor.name,
    )
    with records.flush_or_conflict(session, "the lot code was taken at this moment"):
        session.add(lot)
    passage = {**data.model_dump(include=first_passage), "passaged_on": data.passaged_on or today}
    session.add(LotPassage(lot_id=lot.id, **passage, recorded_at=now, recorded_by_name=actor.name))
    session.flush()
    return save_lot(session, actor, lot, "create", after=data.model_dump(mode="json"))


def record_passage(session: Session, actor: Actor, lot_id: int, data: PassageIn) -> LotOut:
    require_role(actor, LAB_ROLES)
    lot = lock_lot_in(session, lot_id, ("quarantine",), "its culture record is closed")
    passages = lot_passages(session, lot_id)
    if passages and data.passage <= passages[-1].passage:
        raise InvalidInput(
            {"passage": f"must be above the last recorded passage (P{passages[-1].passage})"}
        )
    if data.passaged_on > latest_today():
        raise InvalidInput({"passaged_on": "cannot be in the future"})
    if passages and data.passaged_on < passages[-1].passaged_on:
        raise InvalidInput({"passaged_on": "cannot be before the last passage's date"})
    row = LotPassage(lot_id=lot_id, **data.model_dump(), **stamp(actor))
    with records.flush_or_conflict(session, "this passage was recorded at this moment"):
        session.add(row)
    return save_lot(session, actor, lot, "passage", after=data.model_dump(mode="json"))


def record_storage(session: Session, actor: Actor, lot_id: int, data: StorageIn) -> LotOut:
    require_role(actor, LAB_ROLES)
    lot = load_lot(session, lot_id, lock=True)
    if lot.status in ("recalled", "discarded"):
        raise Conflict(f"the lot is {lot.status}")
    if data.cryopreserved_on > latest_today():
        raise InvalidInput({"cryopreserved_on": "cannot be in the future"})
    before = {
        "cryopreserved_on": lot.cryopreserved_on.isoformat() if lot.cryopreserved_on else None,
        "freezer": lot.freezer,
        "rack": lot.rack,
        "box": lot.box,
        "position": lot.position,
    }
    after = data.model_dump(mode="json")
    for key, value in data.model_dump().items():
        setattr(lot, key, value)
    records.flush(session, "the lot was changed by someone else at this moment")
    b, a = audit.diff(before, after)
    return save_lot(session, actor, lot, "store", before=b, after=a)


def get_lot(session: Session, actor: Actor, lot_id: int) -> LotOut:
    require_role(actor, READ_ROLES)
    return lot_out(session, load_lot(session, lot_id))


def get_lot_by_code(session: Session, actor: Actor, code: str) -> LotOut:
    require_role(actor, READ_ROLES)
    row = session.scalar(select(Lot).where(Lot.code == code))
    if row is None:
        raise NotFound("no such lot")
    return lot_out(session, row)


def list_lots(session: Session, actor: Actor) -> list[LotSummary]:
    require_role(actor, READ_ROLES)
    spec = current_spec(session)
    lots = session.scalars(select(Lot).order_by(Lot.created_at.desc(), Lot.id.desc())).all()
    latest = latest_results(session, [lot.id for lot in lots])
    newest_passage = dict(
        session.execute(
            select(LotPassage.lot_id, func.max(LotPassage.passage)).group_by(LotPassage.lot_id)
        ).all()
    )
    available = dict(
        session.execute(
            select(Unit.lot_id, func.count())
            .where(Unit.status == "available")
            .group_by(Unit.lot_id)
        ).all()
    )
    donors = {d.id: d for d in session.scalars(select(Donor))}
    today = clinic_today()
    out = []
    for lot in lots:
        checks = evaluate(spec, latest[lot.id])
        donor = donors.get(lot.donor_id) if lot.donor_id is not None else None
        reasons = ineligible_reasons(donor) if donor is not None else None
        passage = newest_passage.get(lot.id, 0)
        out.append(
            from_row(
                LotSummary,
                lot,
                passage=passage,
                past_passage_limit=passage > spec.passage_limit,
                qc_complete=all(c.outcome != "missing" for c in checks),
                all_specs_pass=all(c.outcome == "pass" for c in checks),
                releasable=not _blocking(lot, checks, reasons, today),
                units_available=available.get(lot.id, 0),
            )
        )
    return out


def lab_board(session: Session, actor: Actor) -> dict[str, list[LotSummary]]:
    """The laboratory's home: lots started today, lots whose QC is incomplete, lots
    waiting for release (every specification passes, not yet released), lots on hold."""
    lots = list_lots(session, actor)
    today = clinic_today()
    open_lots = [s for s in lots if s.status == "quarantine"]
    return {
        "today": [s for s in lots if clinic_day(s.created_at) == today],
        "qc_due": [s for s in open_lots if not s.qc_complete and not s.quarantine_reason],
        "release_waiting": [s for s in open_lots if s.releasable],
        "on_hold": [s for s in open_lots if s.quarantine_reason],
        "released": [s for s in lots if s.status == "released"],
    }


def quarantine_lot(session: Session, actor: Actor, lot_id: int, reason: str) -> LotOut:
    """Put a lot on quarantine hold (out of specification, a deviation): it cannot be
    released while held; it may be discarded."""
    require_role(actor, LAB_ROLES)
    lot = lock_lot_in(
        session, lot_id, ("quarantine",), "a released lot is recalled, not quarantined"
    )
    if lot.quarantine_reason:
        raise Conflict("the lot is on quarantine hold already")
    lot.quarantine_reason = reason
    records.flush(session, "the lot was changed by someone else at this moment")
    return save_lot(
        session, actor, lot, "quarantine", after={"quarantine_reason": reason}, reason=reason
    )


def discard_lot(session: Session, actor: Actor, lot_id: int, reason: str) -> LotOut:
    """Discard a lot that was never released (out of specification, expired): its
    units are discarded with it."""
    require_role(actor, LAB_ROLES)
    lot = lock_lot_in(session, lot_id, ("quarantine",), "only an unreleased lot is discarded")
    now = utcnow()
    lot.status = "discarded"
    lot.discarded_at = now
    lot.discard_reason = reason
    units = lot_units(session, lot_id)
    for unit in units:
        unit.status = "discarded"
        append_event(session, actor, unit.id, "discarded", f"lot discarded: {reason}")
    records.flush(session, "the lot was changed by someone else at this moment")
    return save_lot(
        session,
        actor,
        lot,
        "discard",
        before={"status": "quarantine"},
        after={"status": "discarded", "units": len(units)},
        reason=reason,
    )
