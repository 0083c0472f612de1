"""JSON routes of the safety step: adverse events (record, list, read, correct, retract,
acknowledge, reports), the CTCAE catalogue, the reference list of expected reactions,
the on-call roster, and the views per lot and per programme."""

from __future__ import annotations

from fastapi import APIRouter, Header, Response

from respira.kit.web.deps import ApiAccess
from respira.kit.web.http import parse_if_match
from respira.kit.web.routes import Call, uses
from respira.safety import service
from respira.safety.schemas import (
    AdverseEventDetail,
    AdverseEventIn,
    AdverseEventOut,
    CatalogueOut,
    CorrectionIn,
    ExpectedListIn,
    ExpectedListOut,
    LotDetail,
    LotHoldIn,
    LotSafety,
    OnCallIn,
    OnCallOut,
    ProgrammeOut,
    ReasonIn,
    ReportIn,
    ReportOut,
)

router = APIRouter(prefix="/api/v1", tags=["safety"])
EVENT = "/adverse-events/{event_id}"
RECORD = uses(ApiAccess(*service.RECORD_ROLES))
READ = uses(ApiAccess(*service.READ_ROLES))
SIGN = uses(ApiAccess(*service.SIGN_ROLES))
SIGN_REPORT = uses(ApiAccess(*service.SIGN_ROLES), signature="password")
OVERVIEW = uses(ApiAccess(*service.OVERVIEW_ROLES))
ROSTER = uses(ApiAccess(*service.ROSTER_ROLES))


@router.post(
    "/patients/{patient_id}/adverse-events", response_model=AdverseEventOut, status_code=201
)
def record_event(patient_id: int, body: AdverseEventIn, call: Call = RECORD) -> AdverseEventOut:
    out = service.record_event(call.session, call.actor, patient_id, body)
    return call.tagged(call.created(out, f"/api/v1/adverse-events/{out.id}"))


@router.get("/patients/{patient_id}/adverse-events", response_model=list[AdverseEventOut])
def list_events(patient_id: int, call: Call = READ) -> list[AdverseEventOut]:
    return service.list_events(call.session, call.actor, patient_id)


@router.get(EVENT, response_model=AdverseEventDetail)
def read_event(event_id: int, call: Call = READ) -> AdverseEventDetail:
    """The event with its reports and its history (every change, with its reason)."""
    return call.tagged(service.get_detail(call.session, call.actor, event_id))


@router.patch(EVENT, response_model=AdverseEventOut)
def correct_event(
    event_id: int,
    body: CorrectionIn,
    if_match: str | None = Header(default=None),
    call: Call = RECORD,
) -> AdverseEventOut:
    """A correction: the fields that change and the reason (If-Match: the version read)."""
    version = parse_if_match(if_match, read_from="GET /api/v1/adverse-events/{id}")
    return call.tagged(service.correct_event(call.session, call.actor, event_id, body, version))


@router.post(EVENT + "/retract", response_model=AdverseEventOut)
def retract_event(event_id: int, body: ReasonIn, call: Call = SIGN) -> AdverseEventOut:
    return service.retract_event(call.session, call.actor, event_id, body.reason)


@router.post(EVENT + "/acknowledge", response_model=AdverseEventOut)
def acknowledge(event_id: int, call: Call = SIGN) -> AdverseEventOut:
    return service.acknowledge(call.session, call.actor, event_id)


@router.post(EVENT + "/reports", response_model=ReportOut, status_code=201)
def sign_report(event_id: int, body: ReportIn, call: Call = SIGN_REPORT) -> ReportOut:
    """The initial report (kind "initial") or a follow-up, e-signed with the password."""
    return service.sign_report(call.session, call.actor, event_id, body)


@router.get("/safety/ctcae", response_model=CatalogueOut)
def ctcae_catalogue(call: Call = READ) -> CatalogueOut:
    return service.catalogue_view()


@router.get("/safety/programme", response_model=ProgrammeOut)
def programme(call: Call = OVERVIEW) -> ProgrammeOut:
    return service.programme(call.session, call.actor)


@router.get("/safety/lots", response_model=list[LotSafety])
def lot_flags(call: Call = OVERVIEW) -> list[LotSafety]:
    return service.lot_flags(call.session, call.actor)


@router.get("/safety/lots/{lot_id}", response_model=LotDetail)
def lot_detail(lot_id: int, call: Call = uses(ApiAccess(*service.LOT_ROLES))) -> LotDetail:
    return service.lot_detail(call.session, call.actor, lot_id)


@router.post("/safety/lots/{lot_id}/hold", response_model=LotDetail)
def hold_lot(
    lot_id: int,
    body: LotHoldIn,
    call: Call = uses(ApiAccess(*service.LOT_HOLD_ROLES), signature="password"),
) -> LotDetail:
    return service.hold_lot(
        call.session, call.actor, lot_id, reason=body.reason, password=body.password
    )


@router.get("/safety/expected-reactions", response_model=list[ExpectedListOut])
def expected_lists(
    call: Call = uses(ApiAccess(*service.EXPECTED_READ_ROLES)),
) -> list[ExpectedListOut]:
    return service.expected_list_versions(call.session, call.actor)


@router.post("/safety/expected-reactions", response_model=ExpectedListOut, status_code=201)
def publish_expected_list(
    body: ExpectedListIn, call: Call = uses(ApiAccess(*service.EXPECTED_WRITE_ROLES))
) -> ExpectedListOut:
    return service.publish_expected_list(call.session, call.actor, body)


@router.get("/safety/on-call", response_model=list[OnCallOut])
def roster(call: Call = ROSTER) -> list[OnCallOut]:
    return service.roster(call.session, call.actor)


@router.post("/safety/on-call", response_model=OnCallOut, status_code=201)
def add_shift(body: OnCallIn, call: Call = ROSTER) -> OnCallOut:
    return service.add_shift(call.session, call.actor, body)


@router.delete("/safety/on-call/{shift_id}", status_code=204)
def remove_shift(shift_id: int, call: Call = ROSTER) -> Response:
    service.remove_shift(call.session, call.actor, shift_id)
    return Response(status_code=204)
