"""Use cases of the cell product, and what the step offers the others.

Where the cells come from (a screened, consenting donor for allogeneic lots; a patient's
own harvest for autologous ones), the lot and its passages, quality control against the
current release specification (the newest result per attribute counts), the QA
e-signature that releases a lot for clinical use (only when every specification passes,
the donor is eligible and the lot has not expired), quarantine holds, discard and the
e-signed recall that blocks every unit at once, units with their ISBT 128 DIN, and one
chain of identity per unit read from the origin records and the custody ledger.

Sources: clinical.md §5.1-5.2 (release specifications), §5.4 (what to record of donor
and product), §5.5 (ISBT 128 DIN, FACT-JACIE labelling and traceability).
Who may do what: the ``*_ROLES`` below (least privilege; tests/products/access_policy.py).
Other steps use ``get_harvest``, ``bedside_facts``, ``lock_unit_for_administration``,
``mark_administered`` and ``record_event`` (docs/decisions/2026-12-01-treatment-steps.md).
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from respira.kit import audit, records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.validation import today_utc
from respira.patients import service as patients_service
from respira.products import din as dins
from respira.products import specs
from respira.products.models import (
    MARKERS,
    CustodyEvent,
    Donor,
    Harvest,
    Lot,
    LotPassage,
    QcResult,
    ReleaseSpecification,
    Unit,
)
from respira.products.schemas import (
    ChainEvent,
    ChainOut,
    CustodyIn,
    DonorIn,
    DonorOut,
    DosePreparationIn,
    DosePreparationOut,
    HarvestIn,
    HarvestOut,
    LotIn,
    LotOut,
    LotSummary,
    PassageIn,
    PassageOut,
    QcCheck,
    QcIn,
    QcResultOut,
    ScreeningPanel,
    SpecificationIn,
    SpecificationOut,
    SpecItem,
    StorageIn,
    UnitFacts,
    UnitOut,
)

# --- who may do what ---------------------------------------------------------------------

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

RELEASE_MEANING = "released for clinical use"
RECALL_MEANING = "recalled from clinical use"


def _iso(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).isoformat(timespec="microseconds")


# --- release specifications ---------------------------------------------------------------


def _spec_out(row: ReleaseSpecification | None) -> SpecificationOut:
    if row is None:
        return SpecificationOut(
            version=specs.DEFAULT_VERSION,
            source=specs.DEFAULT_SOURCE,
            passage_limit=specs.DEFAULT_PASSAGE_LIMIT,
            items=[SpecItem.model_validate(i) for i in specs.DEFAULT_ITEMS],
            created_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
            created_by="Respira (shipped default)",
        )
    return SpecificationOut(
        version=row.version,
        source=row.source,
        passage_limit=row.passage_limit,
        items=[SpecItem.model_validate(i) for i in json.loads(row.items_json)],
        created_at=row.created_at,
        created_by=row.created_by_name,
    )


def _newest_spec(session: Session) -> ReleaseSpecification | None:
    return session.scalars(
        select(ReleaseSpecification).order_by(ReleaseSpecification.id.desc()).limit(1)
    ).first()


def _current_spec(session: Session) -> SpecificationOut:
    """The specification in force: the newest stored version, or the shipped default
    while none is stored (it is stored on the first release that uses it)."""
    return _spec_out(_newest_spec(session))


def _install_default(session: Session, actor: Actor) -> None:
    if _newest_spec(session) is not None:
        return
    try:
        with session.begin_nested():
            row = ReleaseSpecification(
                version=specs.DEFAULT_VERSION,
                items_json=audit.canonical_json(specs.DEFAULT_ITEMS),
                passage_limit=specs.DEFAULT_PASSAGE_LIMIT,
                source=specs.DEFAULT_SOURCE,
                created_at=utcnow(),
                created_by_name="Respira (shipped default)",
            )
            session.add(row)
            session.flush()
    except IntegrityError:
        return  # a parallel writer installed it first
    audit.record(
        session,
        actor,
        entity_type="release_specification",
        entity_id=row.id,
        action="create",
        after={"version": row.version, "installed": "shipped default"},
    )


def current_viability_minimum(session: Session) -> float | None:
    """The viability minimum of the specification in force (post-thaw viability is held
    to it before a dose is dispensed)."""
    item = next((i for i in _current_spec(session).items if i.attribute == "viability"), None)
    return item.min if item is not None else None


def current_specification(session: Session, actor: Actor) -> SpecificationOut:
    require_role(actor, READ_ROLES)
    return _current_spec(session)


def list_specifications(session: Session, actor: Actor) -> list[SpecificationOut]:
    require_role(actor, READ_ROLES)
    rows = session.scalars(
        select(ReleaseSpecification).order_by(ReleaseSpecification.id.desc())
    ).all()
    return [_spec_out(r) for r in rows] or [_spec_out(None)]


def create_specification(session: Session, actor: Actor, data: SpecificationIn) -> SpecificationOut:
    """A new version of the release specifications; it counts from now on (lots released
    earlier keep the version they were released under)."""
    require_role(actor, SPEC_ADMIN_ROLES)
    taken = session.scalar(
        select(ReleaseSpecification.id).where(ReleaseSpecification.version == data.version)
    )
    if taken is not None or (data.version == specs.DEFAULT_VERSION):
        raise InvalidInput({"version": f"version {data.version!r} exists already; name a new one"})
    _install_default(session, actor)
    items = [i.model_dump(exclude_none=True, exclude_defaults=False) for i in data.items]
    row = ReleaseSpecification(
        version=data.version,
        items_json=audit.canonical_json(items),
        passage_limit=data.passage_limit,
        source=data.source,
        created_at=utcnow(),
        created_by_name=actor.name,
    )
    with records.flush_or_conflict(session, f"version {data.version!r} was stored at this moment"):
        session.add(row)
    audit.record(
        session,
        actor,
        entity_type="release_specification",
        entity_id=row.id,
        action="create",
        after={
            "version": row.version,
            "passage_limit": row.passage_limit,
            "items": items,
            "source": row.source,
        },
    )
    session.commit()
    return _spec_out(row)


# --- donors -------------------------------------------------------------------------------

MARKER_NAMES = {
    "hiv": "HIV-1/2",
    "hbv": "HBV",
    "hcv": "HCV",
    "htlv": "HTLV-I/II",
    "syphilis": "syphilis",
    "cmv": "CMV",
}


def donor_ineligible_reasons(consent: bool, panel: dict[str, str | None]) -> list[str]:
    """Why a donor cannot give a releasable lot: no consent, or a screening marker that
    is reactive or was not tested (clinical.md §5.2, adventitious agents)."""
    reasons = [] if consent else ["no documented consent"]
    for marker in MARKERS:
        result = panel.get(marker)
        if result is None:
            reasons.append(f"{MARKER_NAMES[marker]} not tested")
        elif result != "non-reactive":
            reasons.append(f"{MARKER_NAMES[marker]} {result}")
    return reasons


def _donor_out(row: Donor) -> DonorOut:
    panel = {m: getattr(row, m) for m in MARKERS}
    reasons = donor_ineligible_reasons(row.consent, panel)
    return DonorOut(
        id=row.id,
        code=row.code,
        consent=row.consent,
        screening=ScreeningPanel.model_validate(panel),
        eligible=not reasons,
        ineligible_reasons=reasons,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by_name,
    )


def create_donor(session: Session, actor: Actor, data: DonorIn) -> DonorOut:
    require_role(actor, LAB_ROLES)
    if session.scalar(select(Donor.id).where(Donor.code == data.code)) is not None:
        raise InvalidInput({"code": f"donor code {data.code!r} is taken"})
    row = Donor(
        code=data.code,
        consent=data.consent,
        recorded_at=utcnow(),
        recorded_by_name=actor.name,
        **data.screening.model_dump(),
    )
    with records.flush_or_conflict(session, "the donor code was taken at this moment"):
        session.add(row)
    out = _donor_out(row)
    audit.record(
        session,
        actor,
        entity_type="donor",
        entity_id=row.id,
        action="create",
        after=out.model_dump(mode="json"),
    )
    session.commit()
    return out


def list_donors(session: Session, actor: Actor) -> list[DonorOut]:
    require_role(actor, DONOR_READ_ROLES)
    return [_donor_out(r) for r in session.scalars(select(Donor).order_by(Donor.code))]


def get_donor(session: Session, actor: Actor, donor_id: int) -> DonorOut:
    require_role(actor, DONOR_READ_ROLES)
    row = session.get(Donor, donor_id)
    if row is None:
        raise NotFound("no such donor")
    return _donor_out(row)


# --- harvests -----------------------------------------------------------------------------


def create_harvest(session: Session, actor: Actor, data: HarvestIn) -> HarvestOut:
    require_role(actor, LAB_ROLES)
    if not patients_service.exists(session, data.patient_id):
        raise InvalidInput({"patient_id": "no patient has this id"})
    if data.harvested_on > today_utc():
        raise InvalidInput({"harvested_on": "a harvest date cannot be in the future"})
    row = Harvest(**data.model_dump(), recorded_at=utcnow(), recorded_by_name=actor.name)
    return records.store(session, actor, row, entity_type="harvest", out=HarvestOut)


def get_harvest(session: Session, actor: Actor, harvest_id: int) -> HarvestOut:
    """One harvest (the protocol step reads the harvest an autologous course names)."""
    require_role(actor, READ_ROLES)
    row = session.get(Harvest, harvest_id)
    if row is None:
        raise NotFound("no such harvest")
    return HarvestOut.model_validate(row)


def list_harvests(
    session: Session, actor: Actor, patient_id: int | None = None
) -> list[HarvestOut]:
    require_role(actor, READ_ROLES)
    stmt = select(Harvest).order_by(Harvest.harvested_on.desc(), Harvest.id.desc())
    if patient_id is not None:
        stmt = stmt.where(Harvest.patient_id == patient_id)
    return [HarvestOut.model_validate(r) for r in session.scalars(stmt)]


# --- lots ---------------------------------------------------------------------------------


def _qc_out(row: QcResult) -> QcResultOut:
    return QcResultOut(
        id=row.id,
        attribute=row.attribute,
        value=row.value,
        unit=row.unit,
        method=row.method,
        tested_on=row.tested_on,
        operator=row.recorded_by_name,
        recorded_at=row.recorded_at,
    )


def _latest_results(session: Session, lot_ids: Iterable[int]) -> dict[int, dict[str, QcResult]]:
    """The newest result per attribute of each lot (by id: results are never edited)."""
    ids = list(lot_ids)
    out: dict[int, dict[str, QcResult]] = {i: {} for i in ids}
    if not ids:
        return out
    rows = session.scalars(
        select(QcResult).where(QcResult.lot_id.in_(ids)).order_by(QcResult.id)
    ).all()
    for row in rows:
        out[row.lot_id][row.attribute] = row
    return out


def _evaluate(spec: SpecificationOut, latest: dict[str, QcResult]) -> list[QcCheck]:
    checks = []
    for item in spec.items:
        data = item.model_dump()
        result = latest.get(item.attribute)
        outcome = "missing" if result is None else specs.check(data, result.value)
        checks.append(
            QcCheck(
                attribute=item.attribute,
                label=item.label or item.attribute,
                unit=item.unit,
                requirement=specs.requirement(data),
                result=_qc_out(result) if result is not None else None,
                outcome=outcome,
            )
        )
    return checks


def _passages(session: Session, lot_id: int) -> list[LotPassage]:
    return list(
        session.scalars(
            select(LotPassage).where(LotPassage.lot_id == lot_id).order_by(LotPassage.passage)
        )
    )


def _unit_out(row: Unit, lot_code: str) -> UnitOut:
    return UnitOut(
        id=row.id,
        din=row.din,
        check_character=row.check_character,
        eye_readable=dins.format_din(row.din),
        lot_id=row.lot_id,
        lot_code=lot_code,
        status=row.status,
        cells_million=row.cells_million,
        volume_ml=row.volume_ml,
        thawed_at=row.thawed_at,
        thaw_expires_at=row.thaw_expires_at,
        post_thaw_viability_pct=row.post_thaw_viability_pct,
    )


def _blocking(
    lot: Lot,
    checks: list[QcCheck],
    donor_reasons: list[str] | None,
    today: dt.date,
) -> list[str]:
    """Why the lot cannot be released now (empty: it can)."""
    out = []
    if lot.status != "quarantine":
        out.append(f"the lot is {lot.status}")
    if lot.quarantine_reason:
        out.append(f"the lot is on quarantine hold: {lot.quarantine_reason}")
    if lot.expiry < today:
        out.append(f"the lot expired on {lot.expiry.isoformat()}")
    if donor_reasons:
        out.append("the donor is not eligible: " + "; ".join(donor_reasons))
    for c in checks:
        if c.outcome == "missing":
            out.append(f"{c.label}: no result")
        elif c.outcome == "fail":
            assert c.result is not None
            out.append(f"{c.label}: {c.result.value} does not meet {c.requirement}")
    return out


def _lot_out(session: Session, lot: Lot, spec: SpecificationOut | None = None) -> LotOut:
    spec = spec or _current_spec(session)
    passages = _passages(session, lot.id)
    newest = passages[-1] if passages else None
    checks = _evaluate(spec, _latest_results(session, [lot.id])[lot.id])
    donor = session.get(Donor, lot.donor_id) if lot.donor_id is not None else None
    harvest = session.get(Harvest, lot.harvest_id) if lot.harvest_id is not None else None
    donor_reasons = (
        donor_ineligible_reasons(donor.consent, {m: getattr(donor, m) for m in MARKERS})
        if donor is not None
        else None
    )
    today = today_utc()
    blocking = _blocking(lot, checks, donor_reasons, today)
    units = session.scalars(select(Unit).where(Unit.lot_id == lot.id).order_by(Unit.id)).all()
    passage = newest.passage if newest else 0
    storage = None
    if lot.freezer:
        storage = f"freezer {lot.freezer}, rack {lot.rack}, box {lot.box}, position {lot.position}"
    return LotOut(
        id=lot.id,
        code=lot.code,
        origin=lot.origin,
        donor_id=lot.donor_id,
        donor_code=donor.code if donor else None,
        harvest_id=lot.harvest_id,
        patient_id=harvest.patient_id if harvest else None,
        status=lot.status,
        quarantine_reason=lot.quarantine_reason,
        passage=passage,
        passage_limit=spec.passage_limit,
        past_passage_limit=passage > spec.passage_limit,
        viable_cells_million=newest.viable_cells_million if newest else 0.0,
        population_doublings=newest.population_doublings if newest else None,
        passages=[PassageOut.model_validate(p) for p in passages],
        medium=lot.medium,
        cryoprotectant=lot.cryoprotectant,
        cryopreserved_on=lot.cryopreserved_on,
        storage=storage,
        expiry=lot.expiry,
        expired=lot.expiry < today,
        spec_version=spec.version,
        qc=checks,
        qc_complete=all(c.outcome != "missing" for c in checks),
        all_specs_pass=all(c.outcome == "pass" for c in checks),
        donor_eligible=None if donor_reasons is None else not donor_reasons,
        releasable=not blocking,
        blocking=blocking,
        released_at=lot.released_at,
        released_by=lot.released_by_name,
        recalled_at=lot.recalled_at,
        recall_reason=lot.recall_reason,
        discarded_at=lot.discarded_at,
        discard_reason=lot.discard_reason,
        units=[_unit_out(u, lot.code) for u in units],
        created_at=lot.created_at,
        version=lot.version,
    )


def _load_lot(session: Session, lot_id: int, *, lock: bool = False) -> Lot:
    row = records.lock_row(session, Lot, lot_id) if lock else session.get(Lot, lot_id)
    if row is None:
        raise NotFound("no such lot")
    return row


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
    today = today_utc()
    if data.expiry <= today:
        errors["expiry"] = "the expiry date must be after today"
    if data.cryopreserved_on is not None and data.cryopreserved_on > today:
        errors["cryopreserved_on"] = "cannot be in the future"
    if data.passaged_on is not None and data.passaged_on > today:
        errors["passaged_on"] = "cannot be in the future"
    storage = [data.freezer, data.rack, data.box, data.position]
    if any(storage) and not all(storage):
        errors["freezer"] = "give the whole storage location: freezer, rack, box and position"
    if errors:
        raise InvalidInput(errors)
    now = utcnow()
    lot = Lot(
        code=data.code,
        origin=data.origin,
        donor_id=data.donor_id,
        harvest_id=data.harvest_id,
        medium=data.medium,
        cryoprotectant=data.cryoprotectant,
        cryopreserved_on=data.cryopreserved_on,
        freezer=data.freezer,
        rack=data.rack,
        box=data.box,
        position=data.position,
        expiry=data.expiry,
        status="quarantine",
        created_at=now,
        created_by_name=actor.name,
    )
    with records.flush_or_conflict(session, "the lot code was taken at this moment"):
        session.add(lot)
    session.add(
        LotPassage(
            lot_id=lot.id,
            passage=data.passage,
            passaged_on=data.passaged_on or today,
            viable_cells_million=data.viable_cells_million,
            population_doublings=data.population_doublings,
            recorded_at=now,
            recorded_by_name=actor.name,
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        entity_type="lot",
        entity_id=lot.id,
        action="create",
        after=data.model_dump(mode="json"),
    )
    session.commit()
    return _lot_out(session, lot)


def record_passage(session: Session, actor: Actor, lot_id: int, data: PassageIn) -> LotOut:
    require_role(actor, LAB_ROLES)
    lot = _load_lot(session, lot_id, lock=True)
    if lot.status != "quarantine":
        raise Conflict(f"the lot is {lot.status}; its culture record is closed")
    passages = _passages(session, lot_id)
    if passages and data.passage <= passages[-1].passage:
        raise InvalidInput(
            {"passage": f"must be above the last recorded passage (P{passages[-1].passage})"}
        )
    if data.passaged_on > today_utc():
        raise InvalidInput({"passaged_on": "cannot be in the future"})
    if passages and data.passaged_on < passages[-1].passaged_on:
        raise InvalidInput({"passaged_on": "cannot be before the last passage's date"})
    row = LotPassage(
        lot_id=lot_id, **data.model_dump(), recorded_at=utcnow(), recorded_by_name=actor.name
    )
    with records.flush_or_conflict(session, "this passage was recorded at this moment"):
        session.add(row)
    audit.record(
        session,
        actor,
        entity_type="lot",
        entity_id=lot_id,
        action="passage",
        after=data.model_dump(mode="json"),
    )
    session.commit()
    return _lot_out(session, lot)


def record_storage(session: Session, actor: Actor, lot_id: int, data: StorageIn) -> LotOut:
    require_role(actor, LAB_ROLES)
    lot = _load_lot(session, lot_id, lock=True)
    if lot.status in ("recalled", "discarded"):
        raise Conflict(f"the lot is {lot.status}")
    if data.cryopreserved_on > today_utc():
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
    audit.record(
        session, actor, entity_type="lot", entity_id=lot_id, action="store", before=b, after=a
    )
    session.commit()
    return _lot_out(session, lot)


def get_lot(session: Session, actor: Actor, lot_id: int) -> LotOut:
    require_role(actor, READ_ROLES)
    return _lot_out(session, _load_lot(session, lot_id))


def get_lot_by_code(session: Session, actor: Actor, code: str) -> LotOut:
    require_role(actor, READ_ROLES)
    row = session.scalar(select(Lot).where(Lot.code == code))
    if row is None:
        raise NotFound("no such lot")
    return _lot_out(session, row)


def list_lots(session: Session, actor: Actor) -> list[LotSummary]:
    require_role(actor, READ_ROLES)
    spec = _current_spec(session)
    lots = session.scalars(select(Lot).order_by(Lot.created_at.desc(), Lot.id.desc())).all()
    latest = _latest_results(session, [lot.id for lot in lots])
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
    today = today_utc()
    out = []
    for lot in lots:
        checks = _evaluate(spec, latest[lot.id])
        donor = donors.get(lot.donor_id) if lot.donor_id is not None else None
        reasons = (
            donor_ineligible_reasons(donor.consent, {m: getattr(donor, m) for m in MARKERS})
            if donor is not None
            else None
        )
        passage = newest_passage.get(lot.id, 0)
        out.append(
            LotSummary(
                id=lot.id,
                code=lot.code,
                origin=lot.origin,
                status=lot.status,
                passage=passage,
                past_passage_limit=passage > spec.passage_limit,
                expiry=lot.expiry,
                qc_complete=all(c.outcome != "missing" for c in checks),
                all_specs_pass=all(c.outcome == "pass" for c in checks),
                releasable=not _blocking(lot, checks, reasons, today),
                quarantine_reason=lot.quarantine_reason,
                created_at=lot.created_at,
                units_available=available.get(lot.id, 0),
            )
        )
    return out


def lab_board(session: Session, actor: Actor) -> dict[str, list[LotSummary]]:
    """The laboratory's home: lots started today, lots whose QC is incomplete, lots
    waiting for release (every specification passes, not yet released), lots on hold."""
    lots = list_lots(session, actor)
    today = today_utc()
    open_lots = [s for s in lots if s.status == "quarantine"]
    return {
        "today": [s for s in lots if s.created_at.astimezone(dt.UTC).date() == today],
        "qc_due": [s for s in open_lots if not s.qc_complete and not s.quarantine_reason],
        "release_waiting": [s for s in open_lots if s.releasable],
        "on_hold": [s for s in open_lots if s.quarantine_reason],
        "released": [s for s in lots if s.status == "released"],
    }


# --- quality control ----------------------------------------------------------------------


def record_qc(session: Session, actor: Actor, lot_id: int, data: QcIn) -> QcResultOut:
    """One QC result (the newest per attribute counts): method, operator (the signed-in
    user) and date are kept with it."""
    require_role(actor, LAB_ROLES)
    lot = _load_lot(session, lot_id, lock=True)
    if lot.status != "quarantine":
        raise Conflict(f"the lot is {lot.status}; its quality control is closed")
    spec = _current_spec(session)
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
    tested_on = data.tested_on or today_utc()
    if tested_on > today_utc():
        raise InvalidInput({"tested_on": "cannot be in the future"})
    row = QcResult(
        lot_id=lot_id,
        attribute=attribute,
        value=data.value,
        unit=item.unit,
        method=data.method,
        tested_on=tested_on,
        recorded_at=utcnow(),
        recorded_by_name=actor.name,
    )
    session.add(row)
    session.flush()
    out = _qc_out(row)
    audit.record(
        session,
        actor,
        entity_type="qc_result",
        entity_id=row.id,
        action="create",
        after={"lot_id": lot_id, **out.model_dump(mode="json")},
    )
    session.commit()
    return out


# --- release, hold, discard, recall -------------------------------------------------------


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


def release_lot(
    session: Session, actor: Actor, lot_id: int, *, password: str, meaning: str
) -> LotOut:
    """The QA e-signature "released for clinical use": only a lot in quarantine whose
    every specification passes (newest result per attribute), not on hold, not expired,
    and, for a donor lot, of an eligible donor."""
    require_role(actor, LAB_ROLES)
    lot = _load_lot(session, lot_id, lock=True)
    if lot.status != "quarantine":
        raise Conflict(f"the lot is {lot.status}; only a lot in quarantine can be released")
    _install_default(session, actor)
    out = _lot_out(session, lot)
    if out.blocking:
        raise Conflict("the lot cannot be released: " + "; ".join(out.blocking))
    signature = audit.esign(
        session,
        actor,
        password=password,
        meaning=meaning,
        allowed_meanings=[RELEASE_MEANING],
        entity_type="lot",
        entity_id=lot.id,
        content=_release_content(lot, out),
    )
    lot.status = "released"
    lot.released_at = signature.signed_at
    lot.released_by_name = actor.name
    lot.release_signature_id = signature.id
    lot.release_spec_version = out.spec_version
    records.flush(session, "the lot was released or changed by someone else at this moment")
    audit.record(
        session,
        actor,
        entity_type="lot",
        entity_id=lot.id,
        action="release",
        before={"status": "quarantine"},
        after={"status": "released", "signature_id": signature.id, "spec": out.spec_version},
    )
    session.commit()
    return _lot_out(session, lot)


def quarantine_lot(session: Session, actor: Actor, lot_id: int, reason: str) -> LotOut:
    """Put a lot on quarantine hold (out of specification, a deviation): it cannot be
    released while held; it may be discarded."""
    require_role(actor, LAB_ROLES)
    lot = _load_lot(session, lot_id, lock=True)
    if lot.status != "quarantine":
        raise Conflict(f"the lot is {lot.status}; a released lot is recalled, not quarantined")
    if lot.quarantine_reason:
        raise Conflict("the lot is on quarantine hold already")
    lot.quarantine_reason = reason
    records.flush(session, "the lot was changed by someone else at this moment")
    audit.record(
        session,
        actor,
        entity_type="lot",
        entity_id=lot.id,
        action="quarantine",
        after={"quarantine_reason": reason},
        reason=reason,
    )
    session.commit()
    return _lot_out(session, lot)


def discard_lot(session: Session, actor: Actor, lot_id: int, reason: str) -> LotOut:
    """Discard a lot that was never released (out of specification, expired): its
    units are discarded with it."""
    require_role(actor, LAB_ROLES)
    lot = _load_lot(session, lot_id, lock=True)
    if lot.status != "quarantine":
        raise Conflict(f"the lot is {lot.status}; only an unreleased lot is discarded")
    now = utcnow()
    lot.status = "discarded"
    lot.discarded_at = now
    lot.discard_reason = reason
    units = session.scalars(select(Unit).where(Unit.lot_id == lot_id)).all()
    for unit in units:
        unit.status = "discarded"
        _append(session, actor, unit.id, "discarded", f"lot discarded: {reason}")
    records.flush(session, "the lot was changed by someone else at this moment")
    audit.record(
        session,
        actor,
        entity_type="lot",
        entity_id=lot.id,
        action="discard",
        before={"status": "quarantine"},
        after={"status": "discarded", "units": len(units)},
        reason=reason,
    )
    session.commit()
    return _lot_out(session, lot)


def recall_lot(
    session: Session, actor: Actor, lot_id: int, *, password: str, reason: str
) -> LotOut:
    """The e-signed recall of a released lot: from this moment every unit of it is
    blocked (its lot status is what the bedside check reads)."""
    require_role(actor, LAB_ROLES)
    lot = _load_lot(session, lot_id, lock=True)
    if lot.status != "released":
        raise Conflict(f"the lot is {lot.status}; only a released lot can be recalled")
    signature = audit.esign(
        session,
        actor,
        password=password,
        meaning=RECALL_MEANING,
        allowed_meanings=[RECALL_MEANING],
        entity_type="lot",
        entity_id=lot.id,
        content={"lot_id": lot.id, "lot_code": lot.code, "reason": reason},
    )
    lot.status = "recalled"
    lot.recalled_at = signature.signed_at
    lot.recalled_by_name = actor.name
    lot.recall_signature_id = signature.id
    lot.recall_reason = reason
    units = session.scalars(select(Unit).where(Unit.lot_id == lot_id)).all()
    for unit in units:
        if unit.status != "administered":
            _append(session, actor, unit.id, "recalled", f"lot recalled: {reason}")
    records.flush(session, "the lot was changed by someone else at this moment")
    audit.record(
        session,
        actor,
        entity_type="lot",
        entity_id=lot.id,
        action="recall",
        before={"status": "released"},
        after={"status": "recalled", "signature_id": signature.id},
        reason=reason,
    )
    session.commit()
    return _lot_out(session, lot)


# --- units and DINs -----------------------------------------------------------------------


def _lock_serials(session: Session, facility: str, year: int) -> None:
    """Serialise serial-number allocation per facility and year: on PostgreSQL with a
    transaction-scoped advisory lock, on SQLite by its single writer. The unique
    (facility, year, serial) key is the last line of defence."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"respira-din:{facility}:{year}".encode())
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def create_units(
    session: Session,
    actor: Actor,
    lot_id: int,
    count: int,
    *,
    cells_million: float | None = None,
    volume_ml: float = 10.0,
) -> list[UnitOut]:
    """Divide a lot into ``count`` dispensable units, each with a new DIN (serial numbers
    never repeat per facility and year) and a ``labelled`` custody event."""
    require_role(actor, LAB_ROLES)
    lot = _load_lot(session, lot_id, lock=True)
    if lot.status not in ("quarantine", "released"):
        raise Conflict(f"the lot is {lot.status}; no units can be made from it")
    if lot.quarantine_reason:
        raise Conflict("the lot is on quarantine hold")
    passages = _passages(session, lot_id)
    total = passages[-1].viable_cells_million if passages else 0.0
    per_unit = cells_million if cells_million is not None else round(total / count, 1)
    if per_unit <= 0:
        raise InvalidInput({"cells_million": "give the cell count per unit (×10⁶)"})
    facility = get_settings().facility_code
    now = utcnow()
    year = now.year % 100
    _lock_serials(session, facility, year)
    last = session.scalar(
        select(func.max(Unit.serial)).where(Unit.facility_code == facility, Unit.year == year)
    )
    serial = last or 0
    created = []
    for _ in range(count):
        serial += 1
        d = dins.build(facility, year, serial)
        unit = Unit(
            lot_id=lot_id,
            din=d.text,
            check_character=d.check_character,
            facility_code=facility,
            year=year,
            serial=serial,
            cells_million=per_unit,
            volume_ml=volume_ml,
            status="available",
            created_at=now,
        )
        created.append(unit)
    with records.flush_or_conflict(
        session, "serial numbers were taken at this moment; please retry"
    ):
        session.add_all(created)
    for unit in created:
        _append(
            session,
            actor,
            unit.id,
            "labelled",
            f"unit {dins.format_din(unit.din)} of lot {lot.code}: "
            f"{unit.cells_million:g} ×10⁶ cells in {unit.volume_ml:g} mL",
            location=_storage_text(lot),
        )
    audit.record(
        session,
        actor,
        entity_type="lot",
        entity_id=lot.id,
        action="units",
        after={"dins": [u.din for u in created], "cells_million": per_unit},
    )
    session.commit()
    return [_unit_out(u, lot.code) for u in created]


def _storage_text(lot: Lot) -> str | None:
    if not lot.freezer:
        return None
    return f"{lot.freezer}/{lot.rack}/{lot.box}/{lot.position}"


def _load_unit(session: Session, din: str, *, lock: bool = False) -> Unit:
    try:
        parsed = dins.parse(din)
    except ValueError:
        raise NotFound("no such unit") from None
    stmt = select(Unit).where(Unit.din == parsed.text)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = session.scalar(stmt)
    if row is None:
        raise NotFound("no such unit")
    return row


def get_unit(session: Session, actor: Actor, din: str) -> UnitOut:
    require_role(actor, CHAIN_ROLES)
    unit = _load_unit(session, din)
    lot = session.get(Lot, unit.lot_id)
    assert lot is not None
    return _unit_out(unit, lot.code)


def label_facts(session: Session, actor: Actor, din: str) -> dict[str, Any]:
    """What the label of a unit prints (clinical.md §5.5, FACT-JACIE label content)."""
    require_role(actor, LAB_ROLES)
    unit = _load_unit(session, din)
    lot = session.get(Lot, unit.lot_id)
    assert lot is not None
    harvest = session.get(Harvest, lot.harvest_id) if lot.harvest_id else None
    recipient = None
    collected: dt.date
    if harvest is not None:
        patient = patients_service.find(session, harvest.patient_id)
        assert patient is not None
        recipient = {
            "name": f"{patient.first_name} {patient.last_name}",
            "record_number": patient.medical_record_number,
            "date_of_birth": patient.date_of_birth.isoformat(),
        }
        collected = harvest.harvested_on
        tissue = "bone marrow" if harvest.tissue == "bone_marrow" else "adipose tissue"
        product = f"Mesenchymal stromal cells, {tissue}, autologous, cryopreserved"
    else:
        passages = _passages(session, lot.id)
        collected = passages[0].passaged_on if passages else lot.created_at.date()
        product = "Mesenchymal stromal cells, umbilical cord, allogeneic, cryopreserved"
    d = dins.parse(unit.din)
    return {
        "din": unit.din,
        "din_spaced": f"{d.facility_code} {d.year:02d} {d.serial:06d}",
        "check_character": unit.check_character,
        "flag": dins.flag_check(unit.din),
        "product": product,
        "lot_code": lot.code,
        "recipient": recipient,
        "autologous": harvest is not None,
        "collection_date": collected.isoformat(),
        "expiry": lot.expiry.isoformat(),
        "volume_ml": unit.volume_ml,
        "cells_million": unit.cells_million,
        "cryoprotectant": lot.cryoprotectant,
        "storage_temperature": "Store at or below -150 °C (vapour phase of liquid nitrogen)",
        "facility_code": unit.facility_code,
        "status": lot.status,
    }


# --- custody ledger -----------------------------------------------------------------------


def _append(
    session: Session,
    actor: Actor,
    unit_id: int,
    kind: str,
    detail: str,
    *,
    location: str | None = None,
    temperature_c: float | None = None,
    at: dt.datetime | None = None,
) -> CustodyEvent:
    row = CustodyEvent(
        unit_id=unit_id,
        at=at or utcnow(),
        kind=kind,
        actor_id=actor.user_id,
        actor_name=actor.name,
        detail=detail,
        location=location,
        temperature_c=temperature_c,
    )
    session.add(row)
    session.flush()
    return row


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
    row = _append(
        session, actor, unit_id, kind, detail, location=location, temperature_c=temperature_c
    )
    audit.record(
        session,
        actor,
        entity_type="custody_event",
        entity_id=row.id,
        action="create",
        after={"unit_id": unit_id, "kind": kind, "detail": detail, "location": location},
    )


def record_custody(session: Session, actor: Actor, din: str, data: CustodyIn) -> ChainOut:
    """A hand-over (lab → courier → ward), with who, when, where and temperature."""
    require_role(actor, CUSTODY_ROLES)
    unit = _load_unit(session, din, lock=True)
    if unit.status in ("administered", "discarded"):
        raise Conflict(f"the unit is {unit.status}; its custody has ended")
    detail = f"{data.kind}: {data.from_party} → {data.to_party}"
    row = _append(
        session,
        actor,
        unit.id,
        data.kind,
        detail,
        location=data.location,
        temperature_c=data.temperature_c,
    )
    audit.record(
        session,
        actor,
        entity_type="custody_event",
        entity_id=row.id,
        action="create",
        after={"unit_id": unit.id, **data.model_dump(mode="json")},
    )
    session.commit()
    return unit_chain(session, actor, din)


# --- DINs and dose preparation (the public face of din.py and preparations.py) -----------


def parse_din(text: str) -> str:
    """The 13 characters of a DIN, from the 13 characters or the eye-readable form with
    its check character ("G1234 98 654321 H", which must be right); ``ValueError`` with
    a message for people otherwise."""
    return dins.parse(text).text


def format_din(text: str) -> str:
    """The eye-readable form of a DIN: "G1234 98 654321 H"."""
    return dins.format_din(text)


def prepare_dose(
    session: Session, actor: Actor, course_id: int, data: DosePreparationIn
) -> DosePreparationOut:
    """Allocate units to an approved course's infusion and record their thaw (see
    ``respira.products.preparations`` for the rules); commits."""
    from respira.products import preparations

    return preparations.prepare_dose(session, actor, course_id, data)


def infusions_to_prepare(session: Session, actor: Actor, days: int = 7) -> list[dict[str, Any]]:
    """Infusions of approved courses in the coming ``days`` days not prepared yet."""
    require_role(actor, READ_ROLES)
    from respira.products import preparations

    return preparations.infusions_to_prepare(session, days)


def list_dose_preparations(
    session: Session, actor: Actor, course_id: int
) -> list[DosePreparationOut]:
    from respira.products import preparations

    return preparations.list_for_course(session, actor, course_id)


# --- facts for the bedside ----------------------------------------------------------------


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
        unit = _load_unit(session, din)
    except NotFound:
        return None
    return _facts(session, unit)


def lock_unit_for_administration(session: Session, din: str) -> UnitFacts:
    """The same facts, with the unit's row locked (``FOR UPDATE``) to the end of the
    caller's transaction: two administrations of one unit cannot both pass."""
    unit = _load_unit(session, din, lock=True)
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
    _append(session, actor, unit.id, "administered", f"administration {administration_id}")
    audit.record(
        session,
        actor,
        entity_type="unit",
        entity_id=unit.id,
        action="administer",
        before={"status": before},
        after={"status": "administered", "administration_id": administration_id},
    )


# --- the chain of identity ----------------------------------------------------------------

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
        reasons = donor_ineligible_reasons(donor.consent, {m: getattr(donor, m) for m in MARKERS})
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
    for p in _passages(session, lot.id):
        pd = f", {p.population_doublings:g} PD" if p.population_doublings is not None else ""
        add(
            p.recorded_at,
            "passage",
            p.recorded_by_name,
            f"P{p.passage} on {p.passaged_on.isoformat()}: "
            f"{p.viable_cells_million:g} ×10⁶ viable cells{pd}",
        )
    spec = {i.attribute: i.model_dump() for i in _current_spec(session).items}
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
    return _chain(session, _load_unit(session, din))


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
