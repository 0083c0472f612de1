"""The custody of a unit: hand-overs, the events other steps write into its ledger, the
facts a bedside check reads and the administration, and the unit's whole chain of
identity read from the origin records and the ledger (clinical.md §5.5 traceability).

Dose preparations are imported where they are used: importing the step's public face
must not import the protocols step (its service imports ours)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit import audit, records
from respira.kit.actors import Actor, require_role
from respira.kit.errors import Conflict, NotFound
from respira.patients import service as patients_service
from respira.products import specs
from respira.products.donors import ineligible_reasons
from respira.products.models import CustodyEvent, Donor, Harvest, Lot, QcResult, Unit
from respira.products.roles import CHAIN_ROLES, CUSTODY_ROLES, WARD_ROLES
from respira.products.rows import append_event, load_unit, lot_passages
from respira.products.schemas import ChainEvent, ChainOut, CustodyIn, UnitFacts
from respira.products.specifications import current_spec


def record_event(
    session: Session,
    actor: Actor,
    unit_id: int,
    kind: str,
    detail: str,
    *,
    location: str | None = None,
    temperature_c: float | None = None,
) -> None:
    """Append one event to a unit's custody ledger in the caller's transaction (the
    treatment step writes its ``bedside_check`` and ``administration`` here; the caller
    commits)."""
    require_role(actor, WARD_ROLES)
    if session.get(Unit, unit_id) is None:
        raise NotFound("no such unit")
    after = {"unit_id": unit_id, "kind": kind, "detail": detail, "location": location}
    append_event(
        session,
        actor,
        unit_id,
        kind,
        detail,
        location=location,
        temperature_c=temperature_c,
        audit_after=after,
    )


def record_custody(session: Session, actor: Actor, din: str, data: CustodyIn) -> ChainOut:
    """A hand-over (lab → courier → ward), with who, when, where and temperature."""
    require_role(actor, CUSTODY_ROLES)
    unit = load_unit(session, din, lock=True)
    if unit.status in ("administered", "discarded"):
        raise Conflict(f"the unit is {unit.status}; its custody has ended")
    detail = f"{data.kind}: {data.from_party} → {data.to_party}"
    after = {"unit_id": unit.id, **data.model_dump(mode="json")}
    append_event(
        session,
        actor,
        unit.id,
        data.kind,
        detail,
        location=data.location,
        temperature_c=data.temperature_c,
        audit_after=after,
    )
    session.commit()
    return unit_chain(session, actor, din)


def _allocation(session: Session, unit_id: int) -> tuple[int | None, int | None]:
    """The course and infusion day a unit is allocated to (dose preparations)."""
    from respira.products import preparations

    return preparations.allocation_of(session, unit_id)


def _facts(session: Session, unit: Unit) -> UnitFacts:
    lot = session.get(Lot, unit.lot_id)
    assert lot is not None
    harvest = session.get(Harvest, lot.harvest_id) if lot.harvest_id else None
    course_id, infusion_day = _allocation(session, unit.id)
    return UnitFacts(
        unit_id=unit.id,
        din=unit.din,
        lot_id=lot.id,
        lot_status=lot.status,
        lot_expiry=lot.expiry,
        unit_status=unit.status,
        autologous_patient_id=harvest.patient_id if harvest else None,
        course_id=course_id,
        infusion_day=infusion_day,
        thawed_at=unit.thawed_at,
        thaw_expires_at=unit.thaw_expires_at,
    )


def bedside_facts(session: Session, din: str) -> UnitFacts | None:
    """Everything a bedside check needs about a unit, or None for an unknown DIN."""
    try:
        unit = load_unit(session, din)
    except NotFound:
        return None
    return _facts(session, unit)


def lock_unit_for_administration(session: Session, din: str) -> UnitFacts:
    """The same facts, with the unit's row locked (``FOR UPDATE``) to the end of the
    caller's transaction: two administrations of one unit cannot both pass."""
    unit = load_unit(session, din, lock=True)
    return _facts(session, unit)


def mark_administered(session: Session, actor: Actor, unit_id: int, administration_id: int) -> None:
    """The unit becomes ``administered`` (in the caller's transaction, with a custody
    event and an audit record; the caller commits)."""
    require_role(actor, WARD_ROLES)
    unit = records.lock_row(session, Unit, unit_id)
    if unit is None:
        raise NotFound("no such unit")
    if unit.status == "administered":
        raise Conflict("this unit was administered already")
    if unit.status == "discarded":
        raise Conflict("this unit was discarded")
    lot = session.get(Lot, unit.lot_id)
    assert lot is not None
    if lot.status != "released":
        raise Conflict(f"lot {lot.code} is {lot.status}: its units may not be administered")
    before = unit.status
    unit.status = "administered"
    unit.administration_id = administration_id
    records.flush(session, "the unit was changed by someone else at this moment")
    append_event(session, actor, unit.id, "administered", f"administration {administration_id}")
    audit.record(
        session,
        actor,
        entity_type="unit",
        entity_id=unit.id,
        action="administer",
        before={"status": before},
        after={"status": "administered", "administration_id": administration_id},
    )


_ORDER = {"donor": 0, "harvest": 0, "lot": 1, "passage": 2, "qc": 3, "release": 4}


def _origin_events(session: Session, lot: Lot) -> list[tuple[dt.datetime, int, ChainEvent]]:
    events: list[tuple[dt.datetime, int, ChainEvent]] = []

    def add(at: dt.datetime, kind: str, actor: str, detail: str) -> None:
        events.append(
            (at, _ORDER.get(kind, 5), ChainEvent(at=at, kind=kind, actor=actor, detail=detail))
        )

    if lot.donor_id is not None:
        donor = session.get(Donor, lot.donor_id)
        assert donor is not None
        reasons = ineligible_reasons(donor)
        status = "eligible" if not reasons else "not eligible (" + "; ".join(reasons) + ")"
        add(
            donor.recorded_at,
            "donor",
            donor.recorded_by_name,
            f"donor {donor.code}: consent {'given' if donor.consent else 'missing'}; "
            f"screening {status}",
        )
    if lot.harvest_id is not None:
        harvest = session.get(Harvest, lot.harvest_id)
        assert harvest is not None
        add(
            harvest.recorded_at,
            "harvest",
            harvest.recorded_by_name,
            f"{harvest.tissue.replace('_', ' ')} harvest of patient {harvest.patient_id} on "
            f"{harvest.harvested_on.isoformat()}, {harvest.volume_ml:g} mL, "
            f"operator {harvest.operator}",
        )
    add(lot.created_at, "lot", lot.created_by_name, f"lot {lot.code} ({lot.origin})")
    for p in lot_passages(session, lot.id):
        pd = f", {p.population_doublings:g} PD" if p.population_doublings is not None else ""
        add(
            p.recorded_at,
            "passage",
            p.recorded_by_name,
            f"P{p.passage} on {p.passaged_on.isoformat()}: "
            f"{p.viable_cells_million:g} ×10⁶ viable cells{pd}",
        )
    spec = {i.attribute: i.model_dump() for i in current_spec(session).items}
    for r in session.scalars(
        select(QcResult).where(QcResult.lot_id == lot.id).order_by(QcResult.id)
    ):
        item = spec.get(r.attribute)
        outcome = specs.check(item, r.value) if item else "no specification"
        unit = f" {r.unit}" if r.unit else ""
        add(
            r.recorded_at,
            "qc",
            r.recorded_by_name,
            f"{r.attribute} {r.value}{unit} ({r.method}, {r.tested_on.isoformat()}): {outcome}",
        )
    if lot.released_at is not None:
        add(
            lot.released_at,
            "release",
            lot.released_by_name or "",
            f"released for clinical use (e-signed; specification {lot.release_spec_version})",
        )
    if lot.recalled_at is not None:
        add(lot.recalled_at, "recall", lot.recalled_by_name or "", f"recalled: {lot.recall_reason}")
    if lot.discarded_at is not None:
        add(lot.discarded_at, "discard", "", f"discarded: {lot.discard_reason}")
    return events


def _chain(session: Session, unit: Unit) -> ChainOut:
    lot = session.get(Lot, unit.lot_id)
    assert lot is not None
    events = _origin_events(session, lot)
    # Lot-level recall and discard events are shown once, from the lot; the unit's own
    # ledger adds everything that happened to this unit.
    ledger = session.scalars(
        select(CustodyEvent)
        .where(CustodyEvent.unit_id == unit.id)
        .order_by(CustodyEvent.at, CustodyEvent.id)
    ).all()
    for e in ledger:
        if e.kind in ("recalled",) and lot.recalled_at is not None:
            continue
        detail = e.detail
        extra = []
        if e.location:
            extra.append(f"at {e.location}")
        if e.temperature_c is not None:
            extra.append(f"{e.temperature_c:g} °C")
        if extra:
            detail = f"{detail} ({', '.join(extra)})"
        events.append(
            (e.at, 10, ChainEvent(at=e.at, kind=e.kind, actor=e.actor_name, detail=detail))
        )
    events.sort(key=lambda t: (t[0], t[1]))
    return ChainOut(din=unit.din, events=[e for _, _, e in events])


def unit_chain(session: Session, actor: Actor, din: str) -> ChainOut:
    """A unit's whole chain of identity as one timeline: donor or harvest → lot →
    passages → QC → release → unit → hand-overs → thaw → bedside check → administration."""
    require_role(actor, CHAIN_ROLES)
    return _chain(session, load_unit(session, din))


def patient_chains(session: Session, actor: Actor, patient_id: int) -> list[ChainOut]:
    """The chain of every unit of a patient: units of the patient's harvests and units
    allocated to the patient's dose preparations."""
    require_role(actor, CHAIN_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    from respira.products import preparations

    unit_ids = set(
        session.scalars(
            select(Unit.id)
            .join(Lot, Lot.id == Unit.lot_id)
            .join(Harvest, Harvest.id == Lot.harvest_id)
            .where(Harvest.patient_id == patient_id)
        )
    )
    unit_ids |= set(preparations.units_of_patient(session, patient_id))
    units = session.scalars(select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.id)).all()
    return [_chain(session, u) for u in units]
