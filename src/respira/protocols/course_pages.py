"""HTML pages of a course: the course form (new, repeat, revision), the course page with
its approval form, and the printable day-by-day schedule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from respira.kit.web.deps import PageAccess, get_db
from respira.kit.web.forms import Refused, attempt, posted_form, submit
from respira.kit.web.templating import patient_banner, render
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut
from respira.protocols import service
from respira.protocols.course_form import (
    INFUSION_ROWS,
    NEBULISATION_ROWS,
    form_errors,
    parse_course,
)
from respira.protocols.page_router import router
from respira.protocols.schemas import MODALITY_LABELS, SOURCE_LABELS, ApproveIn, CourseIn, CourseOut

STATUS_TEXT = {"draft": "Draft", "approved": "Approved", "superseded": "Superseded"}
STATUS_BADGE = {"draft": "unknown", "approved": "ok", "superseded": "bad"}


def common() -> dict[str, Any]:
    """What every protocol page's template reads: the labels and the status badges."""
    return {
        "source_labels": SOURCE_LABELS,
        "modality_labels": MODALITY_LABELS,
        "status_text": STATUS_TEXT,
        "status_badge": STATUS_BADGE,
    }


# --- the course form ----------------------------------------------------------------------


def _course_form(
    request: Request,
    session: Session,
    actor: Actor,
    patient: PatientOut,
    form: dict[str, Any],
    errors: dict[str, str],
    *,
    action: str,
    title: str,
    revising: CourseOut | None = None,
    repeat_of: CourseOut | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "protocols/course_form.html",
        {
            **patient_banner(patient),
            **common(),
            "form": form,
            "errors": errors,
            "action": action,
            "title": title,
            "revising": revising,
            "repeat_of": repeat_of,
            "infusion_rows": range(INFUSION_ROWS),
            "nebulisation_rows": range(NEBULISATION_ROWS),
            "limits": service.limits_in_force(session),
            "harvests": service.patient_harvests(session, actor, patient.id),
            "physicians": service.other_physicians(session, actor),
            "eligibility": service.eligibility(session, actor, patient.id),
        },
        status_code,
    )


def _plan_args(patient_id: int, first: CourseOut | None) -> dict[str, Any]:
    """The course form of a new course (a repeat of ``first`` when given)."""
    return {
        "action": f"/patients/{patient_id}/courses",
        "title": "Repeat course" if first else "Plan a course",
        "repeat_of": first,
    }


def _revise_args(course: CourseOut) -> dict[str, Any]:
    """The course form of the next version of ``course``."""
    return {
        "action": f"/courses/{course.id}/revise",
        "title": f"Revise course {course.number} (version {course.version + 1})",
        "revising": course,
    }


def _submit(
    request: Request,
    session: Session,
    actor: Actor,
    patient: PatientOut,
    data: dict[str, str],
    store: Callable[[CourseIn], CourseOut],
    form_args: dict[str, Any],
) -> Response:
    """A posted course form: the stored draft's page, or the form again (without the
    password) with each refusal next to its field."""
    kept = {k: v for k, v in data.items() if k != "override.password"}
    body, errors, rows = parse_course(data)

    def again(errs: dict[str, str], code: int) -> Response:
        return _course_form(
            request, session, actor, patient, kept, errs, status_code=code, **form_args
        )

    if body is None:
        return again(errors, 422)
    parsed = body
    outcome = attempt(
        session,
        lambda: store(parsed),
        refusals=(InvalidInput, Conflict, Forbidden),
        message_field={Forbidden: "override.password"},
    )
    if isinstance(outcome, Refused):
        return again(form_errors(outcome.errors, rows), outcome.status_code)
    return RedirectResponse(f"/courses/{outcome.id}?drafted=1", status_code=303)


@router.get("/patients/{patient_id}/courses/new")
def new_course(
    request: Request,
    patient_id: int,
    repeat_of: int | None = Query(default=None, ge=1),
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WRITE_ROLES)),
) -> Response:
    patient = patients_service.get_patient(session, actor, patient_id)
    form: dict[str, Any] = {
        "weight_kg": f"{patient.weight_kg:g}" if patient.weight_kg else "",
    }
    first = None
    if repeat_of is not None:
        first = service.get_course(session, actor, repeat_of)
        if first.patient_id != patient_id:
            raise NotFound("no such course")
        form = {**service.form_values(first), "start_date": "", "weight_measured_on": ""}
        form["repeat_of_id"] = str(first.id)
    return _course_form(request, session, actor, patient, form, {}, **_plan_args(patient_id, first))


@router.post("/patients/{patient_id}/courses")
def create_course(
    request: Request,
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WRITE_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    patient = patients_service.get_patient(session, actor, patient_id)
    first = None
    if data.get("repeat_of_id", "").isdigit():
        try:
            first = service.get_course(session, actor, int(data["repeat_of_id"]))
        except NotFound:
            first = None

    def draft(body: CourseIn) -> CourseOut:
        return service.draft_course(session, actor, patient_id, body)

    return _submit(request, session, actor, patient, data, draft, _plan_args(patient_id, first))


def _course_and_patient(
    session: Session, actor: Actor, course_id: int
) -> tuple[CourseOut, PatientOut]:
    """The course to revise and its patient, from the registry (the physician's view)."""
    course = service.get_course(session, actor, course_id)
    return course, patients_service.get_patient(session, actor, course.patient_id)


@router.get("/courses/{course_id}/revise")
def revise_form(
    request: Request,
    course_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WRITE_ROLES)),
) -> Response:
    course, patient = _course_and_patient(session, actor, course_id)
    form = service.form_values(course)
    return _course_form(request, session, actor, patient, form, {}, **_revise_args(course))


@router.post("/courses/{course_id}/revise")
def revise_course(
    request: Request,
    course_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WRITE_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    course, patient = _course_and_patient(session, actor, course_id)

    def revise(body: CourseIn) -> CourseOut:
        return service.revise_course(session, actor, course_id, body)

    return _submit(request, session, actor, patient, data, revise, _revise_args(course))


# --- the course page ----------------------------------------------------------------------


def _course_view(
    session: Session, actor: Actor, course_id: int
) -> tuple[CourseOut, dict[str, Any]]:
    """The course and what both its page and its printable schedule show: the patient's
    banner, the labels, the course and its day-by-day schedule."""
    course = service.get_course(session, actor, course_id)
    # The laboratory reads courses (dose preparation) but not the registry: the banner
    # comes from the patient row the course names, after the visibility rule.
    patient = patients_service.get_visible(session, actor, course.patient_id)
    return course, {
        **patient_banner(patient),
        **common(),
        "course": course,
        "schedule": service.day_by_day(course),
    }


def _course_page(
    request: Request,
    session: Session,
    actor: Actor,
    course_id: int,
    *,
    approve_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    course, shown = _course_view(session, actor, course_id)
    is_physician = actor.role in service.WRITE_ROLES
    flash = None
    if request.query_params.get("approved"):
        flash = "Course approved. It can no longer change; a revision makes a new version."
    elif request.query_params.get("drafted"):
        flash = "Draft stored. Review it, then approve it with your signature."
    return render(
        request,
        "protocols/course.html",
        {
            **shown,
            "can_approve": is_physician and course.status == "draft",
            "can_revise": is_physician
            and course.status != "superseded"
            and course.revision_id is None,
            "can_repeat": is_physician and course.status == "approved",
            "approve_errors": approve_errors or {},
            "meaning": service.APPROVAL_MEANING,
            "flash": flash,
            "change_label": _change_label,
        },
        status_code,
    )


def _change_label(field: str) -> str:
    """``infusions.2.dose_million_cells_per_kg`` as "IV infusion 2: dose (×10^6/kg)"."""
    words = {
        "day": "day",
        "dose_million_cells_per_kg": "dose (×10^6 cells/kg)",
        "cells_total": "cells",
        "amount_million_cells": "amount (×10^6 cells)",
        "count": "sessions",
        "days": "days",
        "limits": "limits overridden",
        "reason": "reason for the override",
    }
    parts = field.split(".")
    if parts[0] == "infusions":
        return f"IV infusion {parts[1]}: {words[parts[2]]}"
    if parts[0] == "nebulisations":
        return f"Nebulised dose {parts[1]}: {words[parts[2]]}"
    if parts[0] == "supporting":
        return f"{MODALITY_LABELS.get(parts[1], parts[1])}: {words[parts[2]]}"
    if parts[0] == "override":
        return f"Override: {words[parts[1]]}"
    return field.replace("_", " ").capitalize()


@router.get("/courses/{course_id}")
def course_page(
    request: Request,
    course_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.READ_ROLES)),
) -> Response:
    return _course_page(request, session, actor, course_id)


@router.post("/courses/{course_id}/approve")
def approve_course(
    request: Request,
    course_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WRITE_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    outcome = submit(
        session,
        ApproveIn,
        {"password": data.get("password", ""), "meaning": data.get("meaning", "")},
        lambda body: service.approve_course(
            session, actor, course_id, password=body.password, meaning=body.meaning
        ),
        refusals=(InvalidInput, Forbidden, Conflict),
        message_field={Forbidden: "password"},
    )
    if isinstance(outcome, Refused):
        return _course_page(
            request,
            session,
            actor,
            course_id,
            approve_errors=outcome.errors,
            status_code=outcome.status_code,
        )
    return RedirectResponse(f"/courses/{course_id}?approved=1", status_code=303)


@router.get("/courses/{course_id}/schedule")
def schedule_page(
    request: Request,
    course_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.READ_ROLES)),
) -> Response:
    _, shown = _course_view(session, actor, course_id)
    return render(request, "protocols/schedule.html", shown)
