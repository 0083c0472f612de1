"""Units: a lot divided into dispensable units, each with a new ISBT 128 DIN (serial
numbers never repeat per facility and year), reading a unit, the facts its label prints
(clinical.md §5.5, FACT-JACIE label content) and the DIN's text forms."""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from respira.kit import audit, records
from respira.kit.actors import Actor, require_role
from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput
from respira.patients import service as patients_service
from respira.products import din as dins
from respira.products.models import Harvest, Lot, Unit
from respira.products.roles import CHAIN_ROLES, LAB_ROLES
from respira.products.rows import (
    append_event,
    load_unit,
    lock_lot_in,
    lot_passages,
    unit_out,
)
from respira.products.schemas import UnitOut, UnitsIn


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
    lot = lock_lot_in(session, lot_id, ("quarantine", "released"), "no units can be made from it")
    if lot.quarantine_reason:
        raise Conflict("the lot is on quarantine hold")
    passages = lot_passages(session, lot_id)
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
        append_event(
            session,
            actor,
            unit.id,
            "labelled",
            f"unit {dins.format_din(unit.din)} of lot {lot.code}: "
            f"{unit.cells_million:g} ×10⁶ cells in {unit.volume_ml:g} mL",
            location=storage_text(lot),
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
    return [unit_out(u, lot.code) for u in created]


def make_units(session: Session, actor: Actor, lot_id: int, data: UnitsIn) -> list[UnitOut]:
    """``create_units`` as the routes post it: the count, cells and volume of ``UnitsIn``."""
    return create_units(
        session,
        actor,
        lot_id,
        data.count,
        cells_million=data.cells_million,
        volume_ml=data.volume_ml,
    )


def storage_text(lot: Lot) -> str | None:
    if not lot.freezer:
        return None
    return f"{lot.freezer}/{lot.rack}/{lot.box}/{lot.position}"


def get_unit(session: Session, actor: Actor, din: str) -> UnitOut:
    require_role(actor, CHAIN_ROLES)
    unit = load_unit(session, din)
    lot = session.get(Lot, unit.lot_id)
    assert lot is not None
    return unit_out(unit, lot.code)


def label_facts(session: Session, actor: Actor, din: str) -> dict[str, Any]:
    """What the label of a unit prints (clinical.md §5.5, FACT-JACIE label content)."""
    require_role(actor, LAB_ROLES)
    unit = load_unit(session, din)
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
        passages = lot_passages(session, lot.id)
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


def parse_din(text: str) -> str:
    """The 13 characters of a DIN, from the 13 characters or the eye-readable form with
    its check character ("G1234 98 654321 H", which must be right); ``ValueError`` with
    a message for people otherwise."""
    return dins.parse(text).text


def format_din(text: str) -> str:
    """The eye-readable form of a DIN: "G1234 98 654321 H"."""
    return dins.format_din(text)
