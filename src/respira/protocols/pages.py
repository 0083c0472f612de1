"""HTML pages of the protocol step: the "Treatment courses" section of the patient's
page, the course form (new, repeat, revision), the course page with its approval
form, the printable day-by-day schedule, and the programme limits."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from respira.kit.web.deps import PageAccess, get_db
from respira.kit.web.forms import Refused, attempt, error_message, parse, posted_form
from respira.kit.web.templating import patient_banner, render
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut
from respira.protocols import service
from respira.protocols.schemas import (
    MODALITY_LABELS,
    SOURCE_LABELS,
    ApproveIn,
    CourseIn,
    CourseOut,
    LimitsIn,
)

router = APIRouter(include_in_schema=False)

INFUSION_ROWS = 6
NEBULISATION_ROWS = 8
STATUS_TEXT = {"draft": "Draft", "approved": "Approved", "superseded": "Superseded"}
STATUS_BADGE = {"draft": "unknown", "approved": "ok", "superseded": "bad"}
LIMIT_FIELDS: list[tuple[str, str, str]] = [
    ("dose_min_million_cells_per_kg", "Lowest dose per IV infusion", "×10^6 cells/kg"),
    ("dose_max_million_cells_per_kg", "Highest dose per IV infusion", "×10^6 cells/kg"),
    ("max_infusions_per_course", "Most IV infusions per course", "infusions"),
    ("stay_min_days", "Shortest stay", "days"),
    ("stay_max_days", "Longest stay", "days"),
    ("lead_time_bone_marrow_days", "Lead time from a bone marrow harvest", "days"),
    ("lead_time_adipose_days", "Lead time from an adipose harvest", "days"),
    ("infusion_chairs_per_day", "Infusion chairs a day", "chairs"),
]


def _common() -> dict[str, Any]:
    return {
        "source_labels": SOURCE_LABELS,
        "modality_labels": MODALITY_LABELS,
        "status_text": STATUS_TEXT,
        "status_badge": STATUS_BADGE,
    }


# --- the patient's page -------------------------------------------------------------------


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    if actor.role not in service.READ_ROLES:
        return None
    can_plan = actor.role in service.WRITE_ROLES
    return {
        **_common(),
        "patient_id": patient.id,
        "courses": service.list_courses(session, actor, patient.id),
        "can_plan": can_plan,
        "eligibility": service.eligibility(session, actor, patient.id) if can_plan else None,
    }


# --- the course form ----------------------------------------------------------------------


def _days(text: str) -> list[Any]:
    """ "1, 3, 5" as [1, 3, 5]; a word that is not a number stays a word, so that the
    schema names it."""
    return [int(t) if t.isdigit() else t for t in re.split(r"[\s,;]+", text.strip()) if t]


def _body(data: dict[str, str]) -> tuple[dict[str, Any], dict[str, dict[int, str]]]:
    """The posted form as the API's body, and for each list the form row of each item
    (so that an error of item 2 of the body lands next to its row of the form)."""
    body: dict[str, Any] = {}
    for key in ("source", "start_date", "stay_days", "weight_kg", "weight_measured_on"):
        body[key] = data.get(key, "").strip() or None
    for key in ("premedication", "harvest_id", "repeat_of_id"):
        value = data.get(key, "").strip()
        if value:
            body[key] = value
    rows: dict[str, dict[int, str]] = {"infusions": {}, "nebulisations": {}, "supporting": {}}
    body["infusions"] = []
    for n in range(INFUSION_ROWS):
        day = data.get(f"infusions.{n}.day", "").strip()
        dose = data.get(f"infusions.{n}.dose_million_cells_per_kg", "").strip()
        if day or dose:
            rows["infusions"][len(body["infusions"])] = str(n)
            body["infusions"].append(
                {"day": day or None, "dose_million_cells_per_kg": dose or None}
            )
    body["nebulisations"] = []
    for n in range(NEBULISATION_ROWS):
        day = data.get(f"nebulisations.{n}.day", "").strip()
        amount = data.get(f"nebulisations.{n}.amount_million_cells", "").strip()
        if day or amount:
            rows["nebulisations"][len(body["nebulisations"])] = str(n)
            body["nebulisations"].append(
                {"day": day or None, "amount_million_cells": amount or None}
            )
    body["supporting"] = []
    for modality in MODALITY_LABELS:
        count = data.get(f"supporting.{modality}.count", "").strip()
        days = data.get(f"supporting.{modality}.days", "").strip()
        if count or days:
            rows["supporting"][len(body["supporting"])] = modality
            body["supporting"].append(
                {"modality": modality, "count": count or None, "days": _days(days)}
            )
    second = data.get("override.second_physician_id", "").strip()
    password = data.get("override.password", "")
    reason = data.get("override.reason", "").strip()
    if second or password or reason:
        body["override"] = {
            "second_physician_id": second or None,
            "password": password,
            "reason": reason,
        }
    return body, rows


def _field_key(parts: list[str], rows: dict[str, dict[int, str]]) -> str:
    """An error's place in the body (``infusions.1.day``) as the form field's name."""
    if len(parts) >= 2 and parts[0] in rows and parts[1].isdigit():
        parts = [parts[0], rows[parts[0]].get(int(parts[1]), parts[1]), *parts[2:3]]
    return ".".join(parts[:3]) if parts else "__all__"


def _form_errors(errors: dict[str, str], rows: dict[str, dict[int, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, message in errors.items():
        out.setdefault(_field_key(key.split("."), rows), message)
    return out


def _parse(data: dict[str, str]) -> tuple[CourseIn | None, dict[str, str], dict[str, Any]]:
    body, rows = _body(data)
    try:
        return CourseIn.model_validate(body), {}, rows
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            parts = [str(p) for p in err.get("loc", ())]
            errors.setdefault(_field_key(parts, rows), error_message(dict(err)))
        return None, errors, rows


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
            **_common(),
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
    return _course_form(
        request,
        session,
        actor,
        patient,
        form,
        {},
        action=f"/patients/{patient_id}/courses",
        title="Repeat course" if first else "Plan a course",
        repeat_of=first,
    )


@router.post("/patients/{patient_id}/courses")
def create_course(
    request: Request,
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WRITE_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    patient = patients_service.get_patient(session, actor, patient_id)
    kept = {k: v for k, v in data.items() if k != "override.password"}
    first = None
    if data.get("repeat_of_id", "").isdigit():
        try:
            first = service.get_course(session, actor, int(data["repeat_of_id"]))
        except NotFound:
            first = None
    body, errors, rows = _parse(data)

    def again(errs: dict[str, str], code: int) -> Response:
        return _course_form(
            request,
            session,
            actor,
            patient,
            kept,
            errs,
            action=f"/patients/{patient_id}/courses",
            title="Repeat course" if first else "Plan a course",
            repeat_of=first,
            status_code=code,
        )

    if body is None:
        return again(errors, 422)
    outcome = attempt(
        session,
        lambda: service.draft_course(session, actor, patient_id, body),
        refusals=(InvalidInput, Conflict, Forbidden),
        message_field={Forbidden: "override.password"},
    )
    if isinstance(outcome, Refused):
        return again(_form_errors(outcome.errors, rows), outcome.status_code)
    return RedirectResponse(f"/courses/{outcome.id}?drafted=1", status_code=303)


@router.get("/courses/{course_id}/revise")
def revise_form(
    request: Request,
    course_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WRITE_ROLES)),
) -> Response:
    course = service.get_course(session, actor, course_id)
    patient = patients_service.get_patient(session, actor, course.patient_id)
    return _course_form(
        request,
        session,
        actor,
        patient,
        service.form_values(course),
        {},
        action=f"/courses/{course_id}/revise",
        title=f"Revise course {course.number} (version {course.version + 1})",
        revising=course,
    )


@router.post("/courses/{course_id}/revise")
def revise_course(
    request: Request,
    course_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WRITE_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    course = service.get_course(session, actor, course_id)
    patient = patients_service.get_patient(session, actor, course.patient_id)
    kept = {k: v for k, v in data.items() if k != "override.password"}
    body, errors, rows = _parse(data)

    def again(errs: dict[str, str], code: int) -> Response:
        return _course_form(
            request,
            session,
            actor,
            patient,
            kept,
            errs,
            action=f"/courses/{course_id}/revise",
            title=f"Revise course {course.number} (version {course.version + 1})",
            revising=course,
            status_code=code,
        )

    if body is None:
        return again(errors, 422)
    outcome = attempt(
        session,
        lambda: service.revise_course(session, actor, course_id, body),
        refusals=(InvalidInput, Conflict, Forbidden),
        message_field={Forbidden: "override.password"},
    )
    if isinstance(outcome, Refused):
        return again(_form_errors(outcome.errors, rows), outcome.status_code)
    return RedirectResponse(f"/courses/{outcome.id}?drafted=1", status_code=303)


# --- the course page ----------------------------------------------------------------------


def _course_page(
    request: Request,
    session: Session,
    actor: Actor,
    course_id: int,
    *,
    approve_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    course = service.get_course(session, actor, course_id)
    # The laboratory reads courses (dose preparation) but not the registry: the banner
    # comes from the patient row the course names, after the visibility rule.
    patient = patients_service.get_visible(session, actor, course.patient_id)
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
            **patient_banner(patient),
            **_common(),
            "course": course,
            "schedule": service.day_by_day(course),
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
    body, errors = parse(
        ApproveIn, {"password": data.get("password", ""), "meaning": data.get("meaning", "")}
    )
    if body is None:
        return _course_page(
            request, session, actor, course_id, approve_errors=errors, status_code=422
        )
    outcome = attempt(
        session,
        lambda: service.approve_course(
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
    course = service.get_course(session, actor, course_id)
    patient = patients_service.get_visible(session, actor, course.patient_id)
    return render(
        request,
        "protocols/schedule.html",
        {
            **patient_banner(patient),
            **_common(),
            "course": course,
            "schedule": service.day_by_day(course),
        },
    )


# --- programme limits ---------------------------------------------------------------------


def _limits_page(
    request: Request,
    session: Session,
    actor: Actor,
    form: dict[str, Any] | None,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    versions = service.list_limits(session, actor)
    current = versions[0]
    if form is None:
        form = {name: f"{getattr(current, name):g}" for name, _, _ in LIMIT_FIELDS}
    return render(
        request,
        "protocols/limits.html",
        {
            "current": current,
            "versions": versions,
            "fields": LIMIT_FIELDS,
            "form": form,
            "errors": errors,
            "can_edit": actor.role in service.LIMITS_ADMIN_ROLES,
            "flash": "New version stored; it is in force now."
            if request.query_params.get("stored")
            else None,
        },
        status_code,
    )


@router.get("/programme-limits")
def limits_page(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.LIMITS_READ_ROLES)),
) -> Response:
    return _limits_page(request, session, actor, None, {})


@router.post("/programme-limits")
def store_limits(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.LIMITS_ADMIN_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    form = {name: data.get(name, "") for name, _, _ in LIMIT_FIELDS}
    form["reason"] = data.get("reason", "")
    body, errors = parse(LimitsIn, {k: (v.strip() or None) for k, v in form.items()})
    if body is None:
        return _limits_page(request, session, actor, form, errors, 422)
    outcome = attempt(session, lambda: service.create_limits(session, actor, body))
    if isinstance(outcome, Refused):
        return _limits_page(request, session, actor, form, outcome.errors, outcome.status_code)
    return RedirectResponse("/programme-limits?stored=1", status_code=303)
