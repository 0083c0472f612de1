"""JSON routes of the protocol step: courses (draft, read, approve, revise) and the
programme's limits."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.web.deps import ApiAccess, get_db
from respira.protocols import service
from respira.protocols.schemas import ApproveIn, CourseIn, CourseOut, LimitsIn, LimitsOut

router = APIRouter(prefix="/api/v1", tags=["protocols"])


def _created(response: Response, out: CourseOut) -> CourseOut:
    """A stored course version, with its address in the ``Location`` header."""
    response.headers["Location"] = f"/api/v1/courses/{out.id}"
    return out


@router.post("/patients/{patient_id}/courses", response_model=CourseOut, status_code=201)
def draft_course(
    patient_id: int,
    body: CourseIn,
    response: Response,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.WRITE_ROLES)),
) -> CourseOut:
    return _created(response, service.draft_course(session, actor, patient_id, body))


@router.get("/patients/{patient_id}/courses", response_model=list[CourseOut])
def list_courses(
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.READ_ROLES)),
) -> list[CourseOut]:
    return service.list_courses(session, actor, patient_id)


@router.get("/courses/{course_id}", response_model=CourseOut)
def read_course(
    course_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.READ_ROLES)),
) -> CourseOut:
    return service.get_course(session, actor, course_id)


@router.post("/courses/{course_id}/approve", response_model=CourseOut)
def approve_course(
    course_id: int,
    body: ApproveIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.WRITE_ROLES)),
) -> CourseOut:
    return service.approve_course(
        session, actor, course_id, password=body.password, meaning=body.meaning
    )


@router.post("/courses/{course_id}/revise", response_model=CourseOut, status_code=201)
def revise_course(
    course_id: int,
    body: CourseIn,
    response: Response,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.WRITE_ROLES)),
) -> CourseOut:
    return _created(response, service.revise_course(session, actor, course_id, body))


@router.get("/programme-limits/current", response_model=LimitsOut)
def current_limits(
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.LIMITS_READ_ROLES)),
) -> LimitsOut:
    return service.current_limits(session, actor)


@router.post("/programme-limits", response_model=LimitsOut, status_code=201)
def create_limits(
    body: LimitsIn,
    session: Session = Depends(get_db),
    actor: Actor = Depends(ApiAccess(*service.LIMITS_ADMIN_ROLES)),
) -> LimitsOut:
    return service.create_limits(session, actor, body)
