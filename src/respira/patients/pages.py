"""HTML pages of the patient registry: list with search and paging, the patient's page,
and the create and edit forms.

Other steps add their own sections to the patient's page (visits, screenings, ...)
through their manifests (``Section``); the app collects them on
``app.state.patient_sections``, so this module does not need to know them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from respira.kit import validation
from respira.kit.actors import Actor, Role
from respira.kit.web.deps import PageAccess, get_db
from respira.kit.web.forms import Refused, attempt, parse, posted_form
from respira.kit.web.templating import patient_banner, render
from respira.patients import service
from respira.patients.schemas import PatientIn, PatientOut, PatientPatch

router = APIRouter(include_in_schema=False)
STAFF_READ = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.COORDINATOR})


def _form_context(data: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {"form": data, "errors": errors, "countries": validation.country_names()}


@router.get("/patients")
def patient_list(
    request: Request,
    q: str | None = Query(default=None, max_length=100),
    page: int = Query(default=1, ge=1, le=100_000),
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*STAFF_READ)),
) -> Response:
    result = service.search_patients(session, actor, q, page, 20)
    return render(request, "patients/list.html", {"result": result, "q": q or ""})


@router.get("/me")
def my_record(actor: Actor = Depends(PageAccess(Role.PATIENT))) -> Response:
    return RedirectResponse(f"/patients/{actor.patient_id}", status_code=303)


@router.get("/patients/new")
def new_patient_form(
    request: Request, _: Actor = Depends(PageAccess(*service.WRITE_ROLES))
) -> Response:
    return render(
        request,
        "patients/form.html",
        {**_form_context({"preferred_language": "en"}, {}), "mode": "create"},
    )


@router.post("/patients")
def create_patient(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WRITE_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    body, errors = parse(PatientIn, data)
    if body is None:
        return render(
            request,
            "patients/form.html",
            {**_form_context(data, errors), "mode": "create"},
            status_code=422,
        )
    out = service.create_patient(session, actor, body)
    return RedirectResponse(f"/patients/{out.id}?created=1", status_code=303)


@router.get("/patients/{patient_id}")
def patient_page(
    request: Request,
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.READ_ROLES)),
) -> Response:
    patient = service.get_patient(session, actor, patient_id)
    sections = []
    for section, context in request.app.state.patient_sections:
        ctx = context(session, actor, patient)
        if ctx is not None:
            sections.append((section.template, ctx))
    return render(
        request,
        "patients/detail.html",
        {
            **patient_banner(patient),
            "sections": sections,
            "can_edit": actor.role in service.WRITE_ROLES,
            "flash": _flash(request),
        },
    )


def _flash(request: Request) -> str | None:
    if request.query_params.get("created"):
        return "Patient registered."
    if request.query_params.get("saved"):
        return "Changes saved."
    return None


def _edit_values(p: PatientOut) -> dict[str, Any]:
    values = p.model_dump(include=set(PatientIn.model_fields))
    return {k: ("" if v is None else v) for k, v in values.items()}


@router.get("/patients/{patient_id}/edit")
def edit_patient_form(
    request: Request,
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WRITE_ROLES)),
) -> Response:
    patient = service.get_patient(session, actor, patient_id)
    return render(
        request,
        "patients/form.html",
        {
            **_form_context(_edit_values(patient), {}),
            **patient_banner(patient),
            "mode": "edit",
            "version": patient.version,
        },
    )


@router.post("/patients/{patient_id}/edit")
def edit_patient(
    request: Request,
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WRITE_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    patient = service.get_patient(session, actor, patient_id)
    version_text = data.pop("version", "")
    reason = data.pop("reason", "").strip()[:500] or None
    # A form sends every field: blank optional fields mean "clear it".
    body, errors = parse(PatientPatch, {k: data.get(k, "") for k in PatientIn.model_fields})
    if not version_text.isdigit():
        errors["version"] = "the form is missing the record's version; reload the page"
    shown, status_code = patient, 422
    extra: dict[str, Any] = {"version": version_text}
    if body is not None and not errors:
        outcome = attempt(
            session,
            lambda: service.update_patient(
                session, actor, patient_id, body, int(version_text), reason=reason
            ),
        )
        if not isinstance(outcome, Refused):
            return RedirectResponse(f"/patients/{patient_id}?saved=1", status_code=303)
        errors, status_code = outcome.errors, outcome.status_code
        shown = service.get_patient(session, actor, patient_id)
        extra = {
            "version": shown.version if outcome.stale else version_text,
            "stale": outcome.stale,
            "current": _edit_values(shown),
        }
    return render(
        request,
        "patients/form.html",
        {
            **_form_context(data, errors),
            **patient_banner(shown),
            "mode": "edit",
            **extra,
            "reason": reason,
        },
        status_code=status_code,
    )
