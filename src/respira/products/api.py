"""JSON routes of the cell product: donors, harvests, lots, QC, release and recall,
units with their DIN and label, custody hand-overs and the chain of identity."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.web.deps import ApiAccess, get_db
from respira.products import label, service
from respira.products.schemas import (
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
    QcIn,
    QcResultOut,
    ReasonIn,
    RecallIn,
    SignatureIn,
    SpecificationIn,
    SpecificationOut,
    StorageIn,
    UnitOut,
    UnitsIn,
)

router = APIRouter(prefix="/api/v1", tags=["products"])

LAB = ApiAccess(*service.LAB_ROLES)
READ = ApiAccess(*service.READ_ROLES)


@router.post("/donors", response_model=DonorOut, status_code=201)
def create_donor(
    body: DonorIn, session: Session = Depends(get_db), actor: Actor = Depends(LAB)
) -> DonorOut:
    return service.create_donor(session, actor, body)


@router.get("/donors", response_model=list[DonorOut])
def list_donors(
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.DONOR_READ_ROLES)),
) -> list[DonorOut]:
    return service.list_donors(session, actor)


@router.post("/harvests", response_model=HarvestOut, status_code=201)
def create_harvest(
    body: HarvestIn, session: Session = Depends(get_db), actor: Actor = Depends(LAB)
) -> HarvestOut:
    return service.create_harvest(session, actor, body)


@router.get("/harvests/{harvest_id}", response_model=HarvestOut)
def read_harvest(
    harvest_id: int, session: Session = Depends(get_db), actor: Actor = Depends(READ)
) -> HarvestOut:
    return service.get_harvest(session, actor, harvest_id)


@router.post("/lots", response_model=LotOut, status_code=201)
def create_lot(
    body: LotIn,
    response: Response,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
) -> LotOut:
    out = service.create_lot(session, actor, body)
    response.headers["Location"] = f"/api/v1/lots/{out.id}"
    return out


@router.get("/lots", response_model=list[LotSummary])
def list_lots(session: Session = Depends(get_db), actor: Actor = Depends(READ)) -> list[LotSummary]:
    return service.list_lots(session, actor)


@router.get("/lots/{lot_id}", response_model=LotOut)
def read_lot(
    lot_id: int, session: Session = Depends(get_db), actor: Actor = Depends(READ)
) -> LotOut:
    return service.get_lot(session, actor, lot_id)


@router.post("/lots/{lot_id}/passages", response_model=LotOut, status_code=201)
def record_passage(
    lot_id: int, body: PassageIn, session: Session = Depends(get_db), actor: Actor = Depends(LAB)
) -> LotOut:
    return service.record_passage(session, actor, lot_id, body)


@router.post("/lots/{lot_id}/storage", response_model=LotOut)
def record_storage(
    lot_id: int, body: StorageIn, session: Session = Depends(get_db), actor: Actor = Depends(LAB)
) -> LotOut:
    return service.record_storage(session, actor, lot_id, body)


@router.get(
    "/release-specifications/current",
    response_model=SpecificationOut,
    response_model_exclude_none=True,
)
def current_specification(
    session: Session = Depends(get_db), actor: Actor = Depends(READ)
) -> SpecificationOut:
    return service.current_specification(session, actor)


@router.post(
    "/release-specifications",
    response_model=SpecificationOut,
    response_model_exclude_none=True,
    status_code=201,
)
def create_specification(
    body: SpecificationIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.SPEC_ADMIN_ROLES)),
) -> SpecificationOut:
    return service.create_specification(session, actor, body)


@router.post("/lots/{lot_id}/qc", response_model=QcResultOut, status_code=201)
def record_qc(
    lot_id: int, body: QcIn, session: Session = Depends(get_db), actor: Actor = Depends(LAB)
) -> QcResultOut:
    return service.record_qc(session, actor, lot_id, body)


@router.post("/lots/{lot_id}/release", response_model=LotOut)
def release_lot(
    lot_id: int, body: SignatureIn, session: Session = Depends(get_db), actor: Actor = Depends(LAB)
) -> LotOut:
    return service.release_lot(session, actor, lot_id, password=body.password, meaning=body.meaning)


@router.post("/lots/{lot_id}/recall", response_model=LotOut)
def recall_lot(
    lot_id: int, body: RecallIn, session: Session = Depends(get_db), actor: Actor = Depends(LAB)
) -> LotOut:
    return service.recall_lot(session, actor, lot_id, password=body.password, reason=body.reason)


@router.post("/lots/{lot_id}/quarantine", response_model=LotOut)
def quarantine_lot(
    lot_id: int, body: ReasonIn, session: Session = Depends(get_db), actor: Actor = Depends(LAB)
) -> LotOut:
    return service.quarantine_lot(session, actor, lot_id, body.reason)


@router.post("/lots/{lot_id}/discard", response_model=LotOut)
def discard_lot(
    lot_id: int, body: ReasonIn, session: Session = Depends(get_db), actor: Actor = Depends(LAB)
) -> LotOut:
    return service.discard_lot(session, actor, lot_id, body.reason)


@router.post("/lots/{lot_id}/units", response_model=list[UnitOut], status_code=201)
def create_units(
    lot_id: int, body: UnitsIn, session: Session = Depends(get_db), actor: Actor = Depends(LAB)
) -> list[UnitOut]:
    return service.make_units(session, actor, lot_id, body)


@router.get("/units/{din}", response_model=UnitOut)
def read_unit(
    din: str,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.CHAIN_ROLES)),
) -> UnitOut:
    return service.get_unit(session, actor, din)


@router.get("/units/{din}/chain", response_model=ChainOut)
def unit_chain(
    din: str,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.CHAIN_ROLES)),
) -> ChainOut:
    return service.unit_chain(session, actor, din)


@router.post("/units/{din}/custody", response_model=ChainOut, status_code=201)
def record_custody(
    din: str,
    body: CustodyIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.CUSTODY_ROLES)),
) -> ChainOut:
    return service.record_custody(session, actor, din, body)


@router.get("/units/{din}/label.pdf", response_class=Response)
def unit_label(
    din: str, session: Session = Depends(get_db), actor: Actor = Depends(LAB)
) -> Response:
    return label.pdf_response(service.label_facts(session, actor, din))


@router.get("/patients/{patient_id}/unit-chains", response_model=list[ChainOut])
def patient_chains(
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.CHAIN_ROLES)),
) -> list[ChainOut]:
    return service.patient_chains(session, actor, patient_id)


@router.post(
    "/courses/{course_id}/dose-preparations", response_model=DosePreparationOut, status_code=201
)
def prepare_dose(
    course_id: int,
    body: DosePreparationIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
) -> DosePreparationOut:
    return service.prepare_dose(session, actor, course_id, body)


@router.get("/courses/{course_id}/dose-preparations", response_model=list[DosePreparationOut])
def list_dose_preparations(
    course_id: int, session: Session = Depends(get_db), actor: Actor = Depends(READ)
) -> list[DosePreparationOut]:
    return service.list_dose_preparations(session, actor, course_id)
