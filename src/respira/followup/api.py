"""JSON routes of the follow-up: a patient's check-ins, one in full, answering it,
retracting an answer entered in error, phone calls, the coordinators' list and the
plan."""

from __future__ import annotations

from fastapi import APIRouter, Query

from respira.followup import schemas, service
from respira.kit import i18n
from respira.kit.web.deps import ApiAccess
from respira.kit.web.routes import Call, uses

router = APIRouter(prefix="/api/v1", tags=["followup"])

READ = uses(ApiAccess(*service.READ_ROLES))


@router.get("/patients/{patient_id}/follow-ups", response_model=list[schemas.FollowUpOut])
def list_follow_ups(patient_id: int, call: Call = READ) -> list[schemas.FollowUpOut]:
    return service.list_for_patient(call.session, call.actor, patient_id)


@router.get("/follow-ups", response_model=schemas.Board)
def follow_up_board(
    view: str = Query(default="due", pattern="^(" + "|".join(service.BOARD_VIEWS) + ")$"),
    q: str | None = Query(default=None, max_length=100),
    course_number: int | None = Query(default=None, ge=1),
    call: Call = uses(ApiAccess(*service.STAFF_ROLES)),
) -> schemas.Board:
    return service.board(call.session, call.actor, view=view, q=q, course_number=course_number)


@router.get("/follow-ups/{follow_up_id}", response_model=schemas.FollowUpDetail)
def read_follow_up(follow_up_id: int, call: Call = READ) -> schemas.FollowUpDetail:
    return service.get_follow_up(call.session, call.actor, follow_up_id)


@router.post(
    "/follow-ups/{follow_up_id}/check-in", response_model=schemas.CheckInOut, status_code=201
)
def check_in(
    follow_up_id: int,
    body: schemas.CheckInIn,
    call: Call = uses(ApiAccess(*service.CHECK_IN_ROLES)),
) -> schemas.CheckInOut:
    """Answer a check-in (a patient: their own, while or after its window is open;
    physicians and coordinators on the patient's behalf). The language recorded is the
    request's ``Accept-Language`` among Respira's languages."""
    lang = i18n.negotiate(None, None, call.request.headers.get("accept-language"))
    out = service.record_check_in(call.session, call.actor, follow_up_id, body, language=lang)
    return call.created(out, f"/api/v1/follow-ups/{follow_up_id}")


@router.post("/follow-ups/{follow_up_id}/check-in/retract", response_model=schemas.CheckInOut)
def retract_check_in(
    follow_up_id: int,
    body: schemas.RetractionIn,
    call: Call = uses(ApiAccess(*service.ON_BEHALF_ROLES)),
) -> schemas.CheckInOut:
    return service.retract_check_in(call.session, call.actor, follow_up_id, body.reason)


@router.post(
    "/follow-ups/{follow_up_id}/contacts", response_model=schemas.ContactOut, status_code=201
)
def record_contact(
    follow_up_id: int, body: schemas.ContactIn, call: Call = uses(ApiAccess(*service.CONTACT_ROLES))
) -> schemas.ContactOut:
    return service.record_contact(call.session, call.actor, follow_up_id, body)


@router.get("/follow-up-plan", response_model=schemas.PlanOut)
def read_plan(call: Call = uses(ApiAccess(*service.PLAN_READ_ROLES))) -> schemas.PlanOut:
    return service.get_plan(call.session, call.actor)


@router.post("/follow-up-plan", response_model=schemas.PlanOut, status_code=201)
def set_plan(
    body: schemas.PlanIn, call: Call = uses(ApiAccess(*service.PLAN_WRITE_ROLES))
) -> schemas.PlanOut:
    return service.set_plan(call.session, call.actor, body)
