"""Dose preparation: units allocated to one infusion of an approved course, thawed.

The laboratory names the units (by DIN) for an infusion day of an approved course and
records the thaw time, the post-thaw viability and, if counted, the post-thaw viable
cells. Rules (clinical.md §5.2 post-thaw, §5.3 dose normalisation, §5.5 traceability):

- the course is approved and has an IV infusion on that day; one preparation per
  infusion;
- every unit is available (never allocated before), of one released, unexpired lot
  (unexpired on the infusion's date);
- an autologous course takes only units of its own harvest (a harvest belongs to one
  patient and can never supply another); an allogeneic course only units of donor lots;
- the viable cells delivered (the post-thaw count, or the units' cells × post-thaw
  viability) are within ±10 % of the prescribed cells (dose × the course's weight);
- post-thaw viability meets the release specification's viability minimum;
- the thaw is not in the future and has not expired: a thawed unit expires
  ``thaw_expiry_hours`` (setting) after the thaw.

Two lab users allocating the last unit at the same moment allocate it once: the units
are read ``FOR UPDATE`` (in id order, so that two preparations never wait on each
other crosswise) before their status is checked; a unit is in at most one preparation
(unique key).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit import records
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_today
from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.rows import from_row
from respira.products import din as dins
from respira.products.models import (
    DosePreparation,
    DosePreparationUnit,
    Harvest,
    Lot,
    Unit,
)
from respira.products.roles import LAB_ROLES, READ_ROLES
from respira.products.rows import append_event, audit_created, unit_out
from respira.products.schemas import DosePreparationIn, DosePreparationOut
from respira.products.specifications import current_viability_minimum
from respira.protocols import service as protocols_service

# A dose is met when the viable cells are within this fraction of the prescription.
DOSE_TOLERANCE = 0.10
# Clocks of the lab and the server may differ a little.
CLOCK_SKEW = dt.timedelta(minutes=5)


def allocation_of(session: Session, unit_id: int) -> tuple[int | None, int | None]:
    """The course and infusion day a unit is allocated to, or (None, None)."""
    row = session.execute(
        select(DosePreparation.course_id, DosePreparation.infusion_day)
        .join(DosePreparationUnit, DosePreparationUnit.preparation_id == DosePreparation.id)
        .where(DosePreparationUnit.unit_id == unit_id)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def units_of_patient(session: Session, patient_id: int) -> list[int]:
    return list(
        session.scalars(
            select(DosePreparationUnit.unit_id)
            .join(DosePreparation, DosePreparation.id == DosePreparationUnit.preparation_id)
            .where(DosePreparation.patient_id == patient_id)
        )
    )


def _out(session: Session, row: DosePreparation) -> DosePreparationOut:
    units = session.scalars(
        select(Unit)
        .join(DosePreparationUnit, DosePreparationUnit.unit_id == Unit.id)
        .where(DosePreparationUnit.preparation_id == row.id)
        .order_by(Unit.id)
    ).all()
    lot = session.get(Lot, row.lot_id)
    assert lot is not None
    return from_row(
        DosePreparationOut,
        row,
        dose_cells_million=row.dose_cells_total / 1e6,
        dose_cells_per_kg=row.dose_million_cells_per_kg,
        units=[unit_out(u, lot.code) for u in units],
        prepared_by=row.prepared_by_name,
    )


def list_for_course(session: Session, actor: Actor, course_id: int) -> list[DosePreparationOut]:
    require_role(actor, READ_ROLES)
    rows = session.scalars(
        select(DosePreparation)
        .where(DosePreparation.course_id == course_id)
        .order_by(DosePreparation.infusion_day)
    ).all()
    return [_out(session, r) for r in rows]


def prepare_dose(
    session: Session, actor: Actor, course_id: int, data: DosePreparationIn
) -> DosePreparationOut:
    require_role(actor, LAB_ROLES)
    course = protocols_service.get_course(session, actor, course_id)
    if course.status != "approved":
        raise Conflict(f"the course is {course.status}; only an approved course is prepared")
    infusion = next((i for i in course.infusions if i.day == data.infusion_day), None)
    if infusion is None:
        days = ", ".join(str(i.day) for i in course.infusions) or "none"
        raise InvalidInput(
            {
                "infusion_day": f"the course has no IV infusion on day {data.infusion_day} "
                f"(infusion days: {days})"
            }
        )
    taken = session.scalar(
        select(DosePreparation.id).where(
            DosePreparation.course_id == course_id,
            DosePreparation.infusion_day == data.infusion_day,
        )
    )
    if taken is not None:
        raise Conflict(f"the infusion on day {data.infusion_day} is prepared already")

    # The units, by DIN, then locked in id order.
    texts: list[str] = []
    for given in data.dins:
        try:
            texts.append(dins.parse(given).text)
        except ValueError as exc:
            raise InvalidInput({"dins": f"{given!r}: {exc}"}) from None
    if len(set(texts)) != len(texts):
        raise InvalidInput({"dins": "a unit is named twice"})
    found = dict(session.execute(select(Unit.din, Unit.id).where(Unit.din.in_(texts))).all())
    missing = [t for t in texts if t not in found]
    if missing:
        raise InvalidInput({"dins": "no unit has the DIN " + ", ".join(missing)})
    units: list[Unit] = []
    for unit_id in sorted(found.values()):
        unit = records.lock_row(session, Unit, unit_id)
        if unit is None:  # pragma: no cover - deleted between two statements: units never are
            raise NotFound("no such unit")
        units.append(unit)
    busy = [u for u in units if u.status != "available"]
    if busy:
        raise Conflict(
            "not available: " + ", ".join(f"{dins.format_din(u.din)} ({u.status})" for u in busy)
        )
    lot_ids = {u.lot_id for u in units}
    if len(lot_ids) != 1:
        raise InvalidInput({"dins": "a dose is prepared from the units of one lot"})
    lot = session.get(Lot, lot_ids.pop())
    assert lot is not None
    if lot.status != "released":
        raise Conflict(f"lot {lot.code} is {lot.status}; only a released lot is dispensed")
    if lot.expiry < infusion.date:
        raise Conflict(
            f"lot {lot.code} expires on {lot.expiry.isoformat()}, before the infusion "
            f"on {infusion.date.isoformat()}"
        )
    autologous = course.source != "allogeneic_cord"
    if autologous:
        harvest = session.get(Harvest, lot.harvest_id) if lot.harvest_id else None
        if (
            harvest is None
            or harvest.id != course.harvest_id
            or harvest.patient_id != course.patient_id
        ):
            raise InvalidInput(
                {
                    "dins": f"lot {lot.code} is not of this patient's harvest "
                    f"{course.harvest_id}: an autologous course takes only the patient's own cells"
                }
            )
    elif lot.origin != "donor":
        raise InvalidInput(
            {
                "dins": f"lot {lot.code} is a patient's own harvest: it can never supply another "
                "patient; an allogeneic course takes units of a donor lot"
            }
        )

    minimum = current_viability_minimum(session)
    if minimum is not None and data.post_thaw_viability_pct < minimum:
        raise InvalidInput(
            {
                "post_thaw_viability_pct": f"{data.post_thaw_viability_pct:g} % is below the "
                f"release specification's minimum of {minimum:g} %: do not infuse"
            }
        )
    now = utcnow()
    if lot.released_at is not None and data.thawed_at < lot.released_at - CLOCK_SKEW:
        raise InvalidInput({"thawed_at": "the thaw cannot be before the lot's release"})
    hours = get_settings().thaw_expiry_hours
    thaw_expires_at = data.thawed_at + dt.timedelta(hours=hours)
    if data.thawed_at > now + CLOCK_SKEW:
        raise InvalidInput({"thawed_at": "the thaw time cannot be in the future"})
    if thaw_expires_at <= now:
        raise InvalidInput(
            {
                "thawed_at": f"a thawed unit expires {hours:g} h after the thaw: this thaw has "
                "expired"
            }
        )
    cells = sum(u.cells_million for u in units)
    viable = (
        data.post_thaw_cells_million
        if data.post_thaw_cells_million is not None
        else cells * data.post_thaw_viability_pct / 100
    )
    prescribed = infusion.cells_total / 1e6
    if abs(viable - prescribed) > DOSE_TOLERANCE * prescribed:
        raise InvalidInput(
            {
                "dins": f"the units give {viable:.1f} ×10⁶ viable cells; the infusion needs "
                f"{prescribed:.1f} ×10⁶ ({infusion.dose_million_cells_per_kg:g} ×10⁶/kg × "
                f"{course.weight_kg:g} kg) within ±{DOSE_TOLERANCE:.0%}"
            }
        )

    row = DosePreparation(
        course_id=course_id,
        infusion_day=data.infusion_day,
        patient_id=course.patient_id,
        lot_id=lot.id,
        weight_kg=course.weight_kg,
        dose_million_cells_per_kg=infusion.dose_million_cells_per_kg,
        dose_cells_total=infusion.cells_total,
        viable_cells_million=viable,
        thawed_at=data.thawed_at.astimezone(dt.UTC),
        thaw_expires_at=thaw_expires_at.astimezone(dt.UTC),
        post_thaw_viability_pct=data.post_thaw_viability_pct,
        post_thaw_cells_million=data.post_thaw_cells_million,
        prepared_at=now,
        prepared_by_id=actor.user_id,
        prepared_by_name=actor.name,
    )
    with records.flush_or_conflict(
        session, "this infusion or one of its units was prepared at this moment"
    ):
        session.add(row)
        session.flush()
        for unit in units:
            session.add(DosePreparationUnit(preparation_id=row.id, unit_id=unit.id))
            unit.status = "thawed"
            unit.thawed_at = row.thawed_at
            unit.thaw_expires_at = row.thaw_expires_at
            unit.post_thaw_viability_pct = data.post_thaw_viability_pct
    for unit in units:
        append_event(
            session,
            actor,
            unit.id,
            "allocated",
            f"allocated to course {course_id} (patient {course.patient_id}), infusion day "
            f"{data.infusion_day}",
            at=row.thawed_at,
        )
        append_event(
            session,
            actor,
            unit.id,
            "thawed",
            f"thawed; post-thaw viability {data.post_thaw_viability_pct:g} %; use before "
            f"{row.thaw_expires_at.isoformat(timespec='minutes')}",
            at=row.thawed_at,
        )
    out = _out(session, row)
    audit_created(session, actor, "dose_preparation", row.id, out.model_dump(mode="json"))
    session.commit()
    return out


def infusions_to_prepare(session: Session, days: int = 7) -> list[dict[str, object]]:
    """The IV infusions of approved courses today and in the next ``days`` days with no
    dose preparation yet, soonest first (the laboratory's work list)."""
    today = clinic_today()
    prepared = set(
        session.execute(select(DosePreparation.course_id, DosePreparation.infusion_day)).all()
    )
    seen: set[tuple[int, int]] = set()
    out: list[dict[str, object]] = []
    for offset in range(days + 1):  # today and the next ``days`` days
        day = today + dt.timedelta(days=offset)
        for course in protocols_service.approved_courses_on(session, day):
            for infusion in course.infusions:
                key = (course.id, infusion.day)
                if infusion.date != day or key in prepared or key in seen:
                    continue
                seen.add(key)
                out.append(
                    {
                        "course_id": course.id,
                        "patient_id": course.patient_id,
                        "source": course.source,
                        "infusion_day": infusion.day,
                        "date": infusion.date,
                        "cells_million": infusion.cells_total / 1e6,
                        "dose_million_cells_per_kg": infusion.dose_million_cells_per_kg,
                    }
                )
    return out
