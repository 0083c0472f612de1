"""JSON routes of the follow-up: a patient's check-ins, one in full, answering it,
retracting an answer entered in error, phone calls, the coordinators' list and the
plan."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from respira.followup import service
from respira.followup.schemas import (
    Board,
    CheckInIn,
    CheckInOut,
    ContactIn,
    ContactOut,
    FollowUpDetail,
    FollowUpOut,
    PlanIn,
    PlanOut,
    RetractionIn,
)
from respira.kit import i18n
from respira.kit.actors import Actor
from respira.kit.web.deps import ApiAccess, get_db

router = APIRouter(prefix="/api/v1", tags=["followup"])


@router.get("/patients/{patient_id}/follow-ups", response_model=list[FollowUpOut])
def list_follow_ups(
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.READ_ROLES)),
) -> list[FollowUpOut]:
    return service.list_for_patient(session, actor, patient_id)


@router.get("/follow-ups", response_model=Board)
def follow_up_board(
    view: str = Query(default="due", pattern="^(" + "|".join(service.BOARD_VIEWS) + ")$"),
    q: str | None = Query(default=None, max_length=100),
    course_number: int | None = Query(default=None, ge=1),
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.STAFF_ROLES)),
) -> Board:
    return service.board(session, actor, view=view, q=q, course_number=course_number)


@router.get("/follow-ups/{follow_up_id}", response_model=FollowUpDetail)
def read_follow_up(
    follow_up_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.READ_ROLES)),
) -> FollowUpDetail:
    return service.get_follow_up(session, actor, follow_up_id)


@router.post("/follow-ups/{follow_up_id}/check-in", response_model=CheckInOut, status_code=201)
def check_in(
    follow_up_id: int,
    body: CheckInIn,
    request: Request,
    response: Response,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.CHECK_IN_ROLES)),
) -> CheckInOut:
    """Answer a check-in (a patient: their own, while or after its window is open;
    physicians and coordinators on the patient's behalf). The language recorded is the
    request's ``Accept-Language`` among Respira's languages."""
    lang = i18n.negotiate(None, None, request.headers.get("accept-language"))
    out = service.record_check_in(session, actor, follow_up_id, body, language=lang)
    response.headers["Location"] = f"/api/v1/follow-ups/{follow_up_id}"
    return out


@router.post("/follow-ups/{follow_up_id}/check-in/retract", response_model=CheckInOut)
def retract_check_in(
    follow_up_id: int,
    body: RetractionIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.ON_BEHALF_ROLES)),
) -> CheckInOut:
    return service.retract_check_in(session, actor, follow_up_id, body.reason)


@router.post("/follow-ups/{follow_up_id}/contacts", response_model=ContactOut, status_code=201)
def record_contact(
    follow_up_id: int,
    body: ContactIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.CONTACT_ROLES)),
) -> ContactOut:
    return service.record_contact(session, actor, follow_up_id, body)


@router.get("/follow-up-plan", response_model=PlanOut)
def read_plan(
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.PLAN_READ_ROLES)),
) -> PlanOut:
    return service.get_plan(session, actor)


@router.post("/follow-up-plan", response_model=PlanOut, status_code=201)
def set_plan(
    body: PlanIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.PLAN_WRITE_ROLES)),
) -> PlanOut:
    return service.set_plan(session, actor, body)
