"""Use cases of the cell product, as one public face, and what the step offers the others.

Where the cells come from (a screened, consenting donor for allogeneic lots; a patient's
own harvest for autologous ones), the lot and its passages, quality control against the
current release specification (the newest result per attribute counts), the QA
e-signature that releases a lot for clinical use (only when every specification passes,
the donor is eligible and the lot has not expired), quarantine holds, discard and the
e-signed recall that blocks every unit at once, units with their ISBT 128 DIN, and one
chain of identity per unit read from the origin records and the custody ledger. The use
cases live in

- ``respira.products.donors`` — donors (consent, screening, eligibility) and harvests;
- ``respira.products.specifications`` — the release specifications and a lot's QC
  results held to them;
- ``respira.products.lots`` — lots, passages, storage, quarantine hold and discard, the
  laboratory's board;
- ``respira.products.quality`` — QC results, the e-signed release and recall;
- ``respira.products.units`` — units, DIN serial allocation, labels;
- ``respira.products.custody`` — hand-overs, the ledger events of other steps, bedside
  facts, administration and the chain of identity;
- ``respira.products.preparations`` — dose preparation (thaw and allocation);

on the shared rows of ``respira.products.rows``, and who may do what in
``respira.products.roles``. Callers outside the step (its routes, its demo, other steps,
tests) write ``service.X``.

Sources: clinical.md §5.1-5.2 (release specifications), §5.4 (what to record of donor
and product), §5.5 (ISBT 128 DIN, FACT-JACIE labelling and traceability).
Who may do what: the ``*_ROLES`` below (least privilege; tests/products/access_policy.py).
Other steps use ``get_harvest``, ``bedside_facts``, ``lock_unit_for_administration``,
``mark_administered`` and ``record_event`` (docs/decisions/2026-12-01-treatment-steps.md).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit.actors import Actor, require_role
from respira.products.custody import (
    bedside_facts,
    lock_unit_for_administration,
    mark_administered,
    patient_chains,
    record_custody,
    record_event,
    unit_chain,
)
from respira.products.donors import (
    MARKER_NAMES,
    create_donor,
    create_harvest,
    donor_ineligible_reasons,
    get_donor,
    get_harvest,
    list_donors,
    list_harvests,
)
from respira.products.lots import (
    create_lot,
    discard_lot,
    get_lot,
    get_lot_by_code,
    lab_board,
    list_lots,
    quarantine_lot,
    record_passage,
    record_storage,
)
from respira.products.models import Lot, Unit
from respira.products.quality import recall_lot, record_qc, release_lot
from respira.products.roles import (
    CHAIN_ROLES,
    CUSTODY_ROLES,
    DONOR_READ_ROLES,
    LAB_ROLES,
    READ_ROLES,
    RECALL_MEANING,
    RELEASE_MEANING,
    SPEC_ADMIN_ROLES,
    WARD_ROLES,
)
from respira.products.rows import unit_out
from respira.products.schemas import DosePreparationIn, DosePreparationOut, UnitOut
from respira.products.specifications import (
    create_specification,
    current_specification,
    current_viability_minimum,
    list_specifications,
)
from respira.products.units import (
    create_units,
    format_din,
    get_unit,
    label_facts,
    make_units,
    parse_din,
)

__all__ = [
    "CHAIN_ROLES",
    "CUSTODY_ROLES",
    "DONOR_READ_ROLES",
    "LAB_ROLES",
    "MARKER_NAMES",
    "READ_ROLES",
    "RECALL_MEANING",
    "RELEASE_MEANING",
    "SPEC_ADMIN_ROLES",
    "WARD_ROLES",
    "bedside_facts",
    "create_donor",
    "create_harvest",
    "create_lot",
    "create_specification",
    "create_units",
    "current_specification",
    "current_viability_minimum",
    "discard_lot",
    "donor_ineligible_reasons",
    "format_din",
    "get_donor",
    "get_harvest",
    "get_lot",
    "get_lot_by_code",
    "get_unit",
    "infusions_to_prepare",
    "lab_board",
    "label_facts",
    "list_donors",
    "list_dose_preparations",
    "list_harvests",
    "list_lots",
    "list_specifications",
    "lock_unit_for_administration",
    "make_units",
    "mark_administered",
    "parse_din",
    "patient_chains",
    "prepare_dose",
    "quarantine_lot",
    "recall_lot",
    "record_custody",
    "record_event",
    "record_passage",
    "record_qc",
    "record_storage",
    "release_lot",
    "unit_chain",
    "units_by_din",
]


# Dose preparation (``respira.products.preparations``) is imported where it is used:
# it stands on the protocols step, whose service imports this one.


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


def units_by_din(session: Session, actor: Actor, dins: Collection[str]) -> dict[str, UnitOut]:
    """The units with these DINs (as ``get_unit`` reads each), in one query: the FHIR
    export reads the units given to a page of patients at once."""
    require_role(actor, CHAIN_ROLES)
    rows = session.execute(
        select(Unit, Lot.code).join(Lot, Unit.lot_id == Lot.id).where(Unit.din.in_(dins))
    )
    return {unit.din: unit_out(unit, code) for unit, code in rows}
