"""Where the cells come from: donors (consent and the screening panel of clinical.md §5.2,
which make a donor eligible or not) and patients' own harvests (autologous lots)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit import records
from respira.kit.actors import Actor, require_role
from respira.kit.errors import InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.rows import from_row
from respira.kit.validation import latest_today
from respira.patients import service as patients_service
from respira.products.models import MARKERS, Donor, Harvest
from respira.products.roles import DONOR_READ_ROLES, LAB_ROLES, READ_ROLES
from respira.products.rows import audit_created, stamp
from respira.products.schemas import DonorIn, DonorOut, HarvestIn, HarvestOut, ScreeningPanel

MARKER_NAMES = {
    "hiv": N_("HIV-1/2"),
    "hbv": N_("HBV"),
    "hcv": N_("HCV"),
    "htlv": N_("HTLV-I/II"),
    "syphilis": N_("syphilis"),
    "cmv": N_("CMV"),
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


def ineligible_reasons(donor: Donor) -> list[str]:
    """Why this donor cannot give a releasable lot (empty: eligible)."""
    return donor_ineligible_reasons(donor.consent, {m: getattr(donor, m) for m in MARKERS})


def donor_out(row: Donor) -> DonorOut:
    panel = {m: getattr(row, m) for m in MARKERS}
    reasons = donor_ineligible_reasons(row.consent, panel)
    return from_row(
        DonorOut,
        row,
        screening=ScreeningPanel.model_validate(panel),
        eligible=not reasons,
        ineligible_reasons=reasons,
        recorded_by=row.recorded_by_name,
    )


def create_donor(session: Session, actor: Actor, data: DonorIn) -> DonorOut:
    require_role(actor, LAB_ROLES)
    if session.scalar(select(Donor.id).where(Donor.code == data.code)) is not None:
        raise InvalidInput({"code": f"donor code {data.code!r} is taken"})
    row = Donor(
        code=data.code,
        consent=data.consent,
        **stamp(actor),
        **data.screening.model_dump(),
    )
    with records.flush_or_conflict(session, "the donor code was taken at this moment"):
        session.add(row)
    out = donor_out(row)
    audit_created(session, actor, "donor", row.id, out.model_dump(mode="json"))
    session.commit()
    return out


def list_donors(session: Session, actor: Actor) -> list[DonorOut]:
    require_role(actor, DONOR_READ_ROLES)
    return [donor_out(r) for r in session.scalars(select(Donor).order_by(Donor.code))]


def get_donor(session: Session, actor: Actor, donor_id: int) -> DonorOut:
    require_role(actor, DONOR_READ_ROLES)
    row = session.get(Donor, donor_id)
    if row is None:
        raise NotFound("no such donor")
    return donor_out(row)


def create_harvest(session: Session, actor: Actor, data: HarvestIn) -> HarvestOut:
    require_role(actor, LAB_ROLES)
    if not patients_service.exists(session, data.patient_id):
        raise InvalidInput({"patient_id": "no patient has this id"})
    if data.harvested_on > latest_today():
        raise InvalidInput({"harvested_on": "a harvest date cannot be in the future"})
    row = Harvest(**data.model_dump(), **stamp(actor))
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
