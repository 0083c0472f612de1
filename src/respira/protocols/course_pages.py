"""HTML pages of a course: the course form (new, repeat, revision), the course page with
its approval form, and the printable day-by-day schedule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Query
from fastapi.responses import Response

from respira.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.texts import Gettext, Msg, translate
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, uses
from respira.kit.web.templating import gettext_for, patient_banner, problem_text, request_lang
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

READ = uses(PageAccess(*service.READ_ROLES))
WRITE = uses(PageAccess(*service.WRITE_ROLES))
WRITE_POST = posts(PageAccess(*service.WRITE_ROLES))
PLAN_POST = posts(PageAccess(*service.WRITE_ROLES), signature="override.password")
SIGN_POST = posts(PageAccess(*service.WRITE_ROLES), signature="password")

STATUS_TEXT = {"draft": N_("Draft"), "approved": N_("Approved"), "superseded": N_("Superseded")}
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
    call: Call,
    patient: PatientOut,
    form: dict[str, Any],
    refused: Refused | None = None,
    *,
    action: str,
    title: str,
    revising: CourseOut | None = None,
    repeat_of: CourseOut | None = None,
) -> Response:
    session, actor = call.session, call.actor
    return call.render_form(
        "protocols/course_form.html",
        {
            **patient_banner(patient),
            **common(),
            "form": form,
            "action": action,
            "title": translate(title, gettext_for(call.request)),
            "revising": revising,
            "repeat_of": repeat_of,
            "infusion_rows": range(INFUSION_ROWS),
            "nebulisation_rows": range(NEBULISATION_ROWS),
            "limits": service.limits_in_force(session),
            "harvests": [
                (key, problem_text(label, request_lang(call.request)))
                for key, label in service.patient_harvests(session, actor, patient.id)
            ],
            "physicians": service.other_physicians(session, actor),
            "eligibility": service.eligibility(session, actor, patient.id),
        },
        refused,
    )


def _plan_args(patient_id: int, first: CourseOut | None) -> dict[str, Any]:
    """The course form of a new course (a repeat of ``first`` when given)."""
    return {
        "action": f"/patients/{patient_id}/courses",
        "title": N_("Repeat course") if first else N_("Plan a course"),
        "repeat_of": first,
    }


def _revise_args(course: CourseOut) -> dict[str, Any]:
    """The course form of the next version of ``course``."""
    return {
        "action": f"/courses/{course.id}/revise",
        "title": Msg(
            N_("Revise course %(number)s (version %(version)s)"),
            number=course.number,
            version=course.version + 1,
        ),
        "revising": course,
    }


def _submit(
    post: Post,
    patient: PatientOut,
    store: Callable[[CourseIn], CourseOut],
    form_args: dict[str, Any],
) -> Response:
    """A posted course form: the stored draft's page, or the form again (without the
    password) with each refusal next to its field."""
    kept = {k: v for k, v in post.data.items() if k != "override.password"}
    body, errors, rows = parse_course(post.data)

    def again(refused: Refused) -> Response:
        return _course_form(post, patient, kept, refused, **form_args)

    if body is None:
        return again(Refused(errors, 422, False))
    parsed = body
    outcome = post.attempt(
        lambda: store(parsed),
        refusals=(InvalidInput, Conflict, Forbidden),
        message_field={Forbidden: "override.password"},
    )
    return post.answer(
        outcome,
        lambda refused: again(
            Refused(form_errors(refused.errors, rows), refused.status_code, refused.stale)
        ),
        lambda course: f"/courses/{course.id}?drafted=1",
    )


@router.get("/patients/{patient_id}/courses/new")
def new_course(
    patient_id: int,
    repeat_of: int | None = Query(default=None, ge=1),
    call: Call = WRITE,
) -> Response:
    patient = patients_service.get_patient(call.session, call.actor, patient_id)
    form: dict[str, Any] = {
        "weight_kg": f"{patient.weight_kg:g}" if patient.weight_kg else "",
    }
    first = None
    if repeat_of is not None:
        first = service.get_course(call.session, call.actor, repeat_of)
        if first.patient_id != patient_id:
            raise NotFound("no such course")
        form = {**service.form_values(first), "start_date": "", "weight_measured_on": ""}
        form["repeat_of_id"] = str(first.id)
    return _course_form(call, patient, form, **_plan_args(patient_id, first))


@router.post("/patients/{patient_id}/courses")
def create_course(patient_id: int, post: Post = PLAN_POST) -> Response:
    patient = patients_service.get_patient(post.session, post.actor, patient_id)
    first = None
    if post.data.get("repeat_of_id", "").isdigit():
        try:
            first = service.get_course(post.session, post.actor, int(post.data["repeat_of_id"]))
        except NotFound:
            first = None

    def draft(body: CourseIn) -> CourseOut:
        return service.draft_course(post.session, post.actor, patient_id, body)

    return _submit(post, patient, draft, _plan_args(patient_id, first))


def _course_and_patient(call: Call, course_id: int) -> tuple[CourseOut, PatientOut]:
    """The course to revise and its patient, from the registry (the physician's view)."""
    course = service.get_course(call.session, call.actor, course_id)
    return course, patients_service.get_patient(call.session, call.actor, course.patient_id)


@router.get("/courses/{course_id}/revise")
def revise_form(course_id: int, call: Call = WRITE) -> Response:
    course, patient = _course_and_patient(call, course_id)
    form = service.form_values(course)
    return _course_form(call, patient, form, **_revise_args(course))


@router.post("/courses/{course_id}/revise")
def revise_course(course_id: int, post: Post = PLAN_POST) -> Response:
    course, patient = _course_and_patient(post, course_id)

    def revise(body: CourseIn) -> CourseOut:
        return service.revise_course(post.session, post.actor, course_id, body)

    return _submit(post, patient, revise, _revise_args(course))


# --- the course page ----------------------------------------------------------------------


def _course_view(call: Call, course_id: int) -> tuple[CourseOut, dict[str, Any]]:
    """The course and what both its page and its printable schedule show: the patient's
    banner, the labels, the course and its day-by-day schedule."""
    course = service.get_course(call.session, call.actor, course_id)
    # The laboratory reads courses (dose preparation) but not the registry: the banner
    # comes from the patient row the course names, after the visibility rule.
    patient = patients_service.get_visible(call.session, call.actor, course.patient_id)
    return course, {
        **patient_banner(patient),
        **common(),
        "course": course,
        "schedule": service.day_by_day(course),
    }


COURSE_FLASH = {
    "approved": N_("Course approved. It can no longer change; a revision makes a new version."),
    "drafted": N_("Draft stored. Review it, then approve it with your signature."),
}


def _course_page(call: Call, course_id: int, refused: Refused | None = None) -> Response:
    course, shown = _course_view(call, course_id)
    is_physician = call.actor.role in service.WRITE_ROLES
    return call.render(
        "protocols/course.html",
        {
            **shown,
            "can_approve": is_physician and course.status == "draft",
            "can_revise": is_physician
            and course.status != "superseded"
            and course.revision_id is None,
            "can_repeat": is_physician and course.status == "approved",
            "approve_errors": refused.errors if refused else {},
            "meaning": service.APPROVAL_MEANING,
            "flash": call.flash(COURSE_FLASH),
            "change_label": lambda field: _change_label(field, gettext_for(call.request)),
        },
        refused.status_code if refused else 200,
    )


# The words of a changed field's name (``_change_label``), marked for translation.
CHANGE_WORDS = {
    "day": N_("day"),
    "dose_million_cells_per_kg": N_("dose (×10^6 cells/kg)"),
    "cells_total": N_("cells"),
    "amount_million_cells": N_("amount (×10^6 cells)"),
    "count": N_("sessions"),
    "days": N_("days"),
    "limits": N_("limits overridden"),
    "reason": N_("reason for the override"),
}


def _change_label(field: str, gettext: Gettext) -> str:
    """``infusions.2.dose_million_cells_per_kg`` as "IV infusion 2: dose (×10^6/kg)", in
    the reader's language."""
    parts = field.split(".")
    what = gettext(CHANGE_WORDS[parts[-1]]) if parts[-1] in CHANGE_WORDS else ""
    if parts[0] == "infusions":
        return gettext(N_("IV infusion %(n)s: %(what)s")) % {"n": parts[1], "what": what}
    if parts[0] == "nebulisations":
        return gettext(N_("Nebulised dose %(n)s: %(what)s")) % {"n": parts[1], "what": what}
    if parts[0] == "supporting":
        modality = gettext(MODALITY_LABELS.get(parts[1], parts[1]))
        return f"{modality}: {what}"
    if parts[0] == "override":
        return gettext(N_("Override: %(what)s")) % {"what": what}
    return field.replace("_", " ").capitalize()


@router.get("/courses/{course_id}")
def course_page(course_id: int, call: Call = READ) -> Response:
    return _course_page(call, course_id)


@router.post("/courses/{course_id}/approve")
def approve_course(course_id: int, post: Post = SIGN_POST) -> Response:
    outcome = post.sign(ApproveIn, service.approve_course, course_id)
    return post.answer(
        outcome,
        lambda refused: _course_page(post, course_id, refused),
        f"/courses/{course_id}?approved=1",
    )


@router.get("/courses/{course_id}/schedule")
def schedule_page(course_id: int, call: Call = READ) -> Response:
    _, shown = _course_view(call, course_id)
    return call.render("protocols/schedule.html", shown)
