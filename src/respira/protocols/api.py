"""JSON routes of the protocol step: courses (draft, read, approve, revise) and the
programme's limits."""

from __future__ import annotations

from fastapi import APIRouter

from respira.kit.web.deps import ApiAccess
from respira.kit.web.routes import Call, uses
from respira.protocols import service
from respira.protocols.schemas import ApproveIn, CourseIn, CourseOut, LimitsIn, LimitsOut

router = APIRouter(prefix="/api/v1", tags=["protocols"])

WRITE = uses(ApiAccess(*service.WRITE_ROLES))
# A course may carry a second physician's e-signed override of the limits.
PLAN = uses(ApiAccess(*service.WRITE_ROLES), signature="override.password")
SIGN = uses(ApiAccess(*service.WRITE_ROLES), signature="password")
READ = uses(ApiAccess(*service.READ_ROLES))


def _created(call: Call, out: CourseOut) -> CourseOut:
    """A stored course version, with its address in the ``Location`` header."""
    return call.created(out, f"/api/v1/courses/{out.id}")


@router.post("/patients/{patient_id}/courses", response_model=CourseOut, status_code=201)
def draft_course(patient_id: int, body: CourseIn, call: Call = PLAN) -> CourseOut:
    return _created(call, service.draft_course(call.session, call.actor, patient_id, body))


@router.get("/patients/{patient_id}/courses", response_model=list[CourseOut])
def list_courses(patient_id: int, call: Call = READ) -> list[CourseOut]:
    return service.list_courses(call.session, call.actor, patient_id)


@router.get("/courses/{course_id}", response_model=CourseOut)
def read_course(course_id: int, call: Call = READ) -> CourseOut:
    return service.get_course(call.session, call.actor, course_id)


@router.post("/courses/{course_id}/approve", response_model=CourseOut)
def approve_course(course_id: int, body: ApproveIn, call: Call = SIGN) -> CourseOut:
    return service.approve_course(
        call.session, call.actor, course_id, password=body.password, meaning=body.meaning
    )


@router.post("/courses/{course_id}/revise", response_model=CourseOut, status_code=201)
def revise_course(course_id: int, body: CourseIn, call: Call = PLAN) -> CourseOut:
    return _created(call, service.revise_course(call.session, call.actor, course_id, body))


@router.get("/programme-limits/current", response_model=LimitsOut)
def current_limits(call: Call = uses(ApiAccess(*service.LIMITS_READ_ROLES))) -> LimitsOut:
    return service.current_limits(call.session, call.actor)


@router.post("/programme-limits", response_model=LimitsOut, status_code=201)
def create_limits(
    body: LimitsIn, call: Call = uses(ApiAccess(*service.LIMITS_ADMIN_ROLES))
) -> LimitsOut:
    return service.create_limits(call.session, call.actor, body)
