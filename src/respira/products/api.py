"""JSON routes of the cell product: donors, harvests, lots, QC, release and recall,
units with their DIN and label, custody hand-overs and the chain of identity."""

from __future__ import annotations

from fastapi import APIRouter, Response

from respira.kit.web.deps import ApiAccess
from respira.kit.web.routes import Call, uses
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

LAB = uses(ApiAccess(*service.LAB_ROLES))
LAB_SIGN = uses(ApiAccess(*service.LAB_ROLES), signature="password")
READ = uses(ApiAccess(*service.READ_ROLES))
CHAIN = uses(ApiAccess(*service.CHAIN_ROLES))


@router.post("/donors", response_model=DonorOut, status_code=201)
def create_donor(body: DonorIn, call: Call = LAB) -> DonorOut:
    return service.create_donor(call.session, call.actor, body)


@router.get("/donors", response_model=list[DonorOut])
def list_donors(call: Call = uses(ApiAccess(*service.DONOR_READ_ROLES))) -> list[DonorOut]:
    return service.list_donors(call.session, call.actor)


@router.post("/harvests", response_model=HarvestOut, status_code=201)
def create_harvest(body: HarvestIn, call: Call = LAB) -> HarvestOut:
    return service.create_harvest(call.session, call.actor, body)


@router.get("/harvests/{harvest_id}", response_model=HarvestOut)
def read_harvest(harvest_id: int, call: Call = READ) -> HarvestOut:
    return service.get_harvest(call.session, call.actor, harvest_id)


@router.post("/lots", response_model=LotOut, status_code=201)
def create_lot(body: LotIn, call: Call = LAB) -> LotOut:
    out = service.create_lot(call.session, call.actor, body)
    return call.created(out, f"/api/v1/lots/{out.id}")


@router.get("/lots", response_model=list[LotSummary])
def list_lots(call: Call = READ) -> list[LotSummary]:
    return service.list_lots(call.session, call.actor)


@router.get("/lots/{lot_id}", response_model=LotOut)
def read_lot(lot_id: int, call: Call = READ) -> LotOut:
    return service.get_lot(call.session, call.actor, lot_id)


@router.post("/lots/{lot_id}/passages", response_model=LotOut, status_code=201)
def record_passage(lot_id: int, body: PassageIn, call: Call = LAB) -> LotOut:
    return service.record_passage(call.session, call.actor, lot_id, body)


@router.post("/lots/{lot_id}/storage", response_model=LotOut)
def record_storage(lot_id: int, body: StorageIn, call: Call = LAB) -> LotOut:
    return service.record_storage(call.session, call.actor, lot_id, body)


@router.get(
    "/release-specifications/current",
    response_model=SpecificationOut,
    response_model_exclude_none=True,
)
def current_specification(call: Call = READ) -> SpecificationOut:
    return service.current_specification(call.session, call.actor)


@router.post(
    "/release-specifications",
    response_model=SpecificationOut,
    response_model_exclude_none=True,
    status_code=201,
)
def create_specification(
    body: SpecificationIn, call: Call = uses(ApiAccess(*service.SPEC_ADMIN_ROLES))
) -> SpecificationOut:
    return service.create_specification(call.session, call.actor, body)


@router.post("/lots/{lot_id}/qc", response_model=QcResultOut, status_code=201)
def record_qc(lot_id: int, body: QcIn, call: Call = LAB) -> QcResultOut:
    return service.record_qc(call.session, call.actor, lot_id, body)


@router.post("/lots/{lot_id}/release", response_model=LotOut)
def release_lot(lot_id: int, body: SignatureIn, call: Call = LAB_SIGN) -> LotOut:
    return service.release_lot(
        call.session, call.actor, lot_id, password=body.password, meaning=body.meaning
    )


@router.post("/lots/{lot_id}/recall", response_model=LotOut)
def recall_lot(lot_id: int, body: RecallIn, call: Call = LAB_SIGN) -> LotOut:
    return service.recall_lot(
        call.session, call.actor, lot_id, password=body.password, reason=body.reason
    )


@router.post("/lots/{lot_id}/quarantine", response_model=LotOut)
def quarantine_lot(lot_id: int, body: ReasonIn, call: Call = LAB) -> LotOut:
    return service.quarantine_lot(call.session, call.actor, lot_id, body.reason)


@router.post("/lots/{lot_id}/discard", response_model=LotOut)
def discard_lot(lot_id: int, body: ReasonIn, call: Call = LAB) -> LotOut:
    return service.discard_lot(call.session, call.actor, lot_id, body.reason)


@router.post("/lots/{lot_id}/units", response_model=list[UnitOut], status_code=201)
def create_units(lot_id: int, body: UnitsIn, call: Call = LAB) -> list[UnitOut]:
    return service.make_units(call.session, call.actor, lot_id, body)


@router.get("/units/{din}", response_model=UnitOut)
def read_unit(din: str, call: Call = CHAIN) -> UnitOut:
    return service.get_unit(call.session, call.actor, din)


@router.get("/units/{din}/chain", response_model=ChainOut)
def unit_chain(din: str, call: Call = CHAIN) -> ChainOut:
    return service.unit_chain(call.session, call.actor, din)


@router.post("/units/{din}/custody", response_model=ChainOut, status_code=201)
def record_custody(
    din: str, body: CustodyIn, call: Call = uses(ApiAccess(*service.CUSTODY_ROLES))
) -> ChainOut:
    return service.record_custody(call.session, call.actor, din, body)


@router.get("/units/{din}/label.pdf", response_class=Response)
def unit_label(din: str, call: Call = LAB) -> Response:
    return label.pdf_response(service.label_facts(call.session, call.actor, din))


@router.get("/patients/{patient_id}/unit-chains", response_model=list[ChainOut])
def patient_chains(patient_id: int, call: Call = CHAIN) -> list[ChainOut]:
    return service.patient_chains(call.session, call.actor, patient_id)


@router.post(
    "/courses/{course_id}/dose-preparations", response_model=DosePreparationOut, status_code=201
)
def prepare_dose(course_id: int, body: DosePreparationIn, call: Call = LAB) -> DosePreparationOut:
    return service.prepare_dose(call.session, call.actor, course_id, body)


@router.get("/courses/{course_id}/dose-preparations", response_model=list[DosePreparationOut])
def list_dose_preparations(course_id: int, call: Call = READ) -> list[DosePreparationOut]:
    return service.list_dose_preparations(call.session, call.actor, course_id)
