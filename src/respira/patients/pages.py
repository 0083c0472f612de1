"""HTML pages of the patient registry: list with search and paging, the patient's page,
and the create and edit forms.

Other steps add their own sections to the patient's page (visits, screenings, ...)
through their manifests (``Section``); the app collects them on
``app.state.patient_sections``, so this module does not need to know them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from respira.kit import validation
from respira.kit.actors import CARE_TEAM_ROLES, Role
from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused, parse
from respira.kit.web.routes import Call, Post, posts, see_other, uses
from respira.kit.web.templating import gettext_for, patient_banner
from respira.patients import service, worklist
from respira.patients.schemas import PatientIn, PatientOut, PatientPatch, PatientRegistration
from respira.patients.web import duplicate_refusal, stated_distinct

router = APIRouter(include_in_schema=False)
STAFF_READ = CARE_TEAM_ROLES
WRITE = uses(PageAccess(*service.WRITE_ROLES))
WRITE_POST = posts(PageAccess(*service.WRITE_ROLES))

FLASH = {"created": N_("Patient registered."), "saved": N_("Changes saved.")}


def _form_page(
    call: Call, data: dict[str, Any], refused: Refused | None = None, **context: Any
) -> Response:
    """The create or edit form (``mode``), with the values shown and, after a refused
    post, its errors."""
    return call.render_form(
        "patients/form.html",
        {"form": data, "countries": validation.country_names(), **context},
        refused,
    )


@router.get("/patients")
def patient_list(
    q: str | None = Query(default=None, max_length=100),
    page: int = Query(default=1, ge=1, le=100_000),
    call: Call = uses(PageAccess(*STAFF_READ)),
) -> Response:
    result = service.search_patients(call.session, call.actor, q, page, 20)
    return call.render("patients/list.html", {"result": result, "q": q or ""})


@router.get("/me")
def my_record(call: Call = uses(PageAccess(Role.PATIENT))) -> Response:
    return see_other(f"/patients/{call.actor.patient_id}")


@router.get("/patients/new")
def new_patient_form(call: Call = WRITE) -> Response:
    return _form_page(call, {"preferred_language": "en"}, mode="create")


@router.post("/patients")
def create_patient(post: Post = WRITE_POST) -> Response:
    data = post.data
    body, errors = parse(PatientIn, {k: v for k, v in data.items() if k in PatientIn.model_fields})
    if body is None:
        return _form_page(post, data, Refused(errors, 422, False), mode="create")
    registration = PatientRegistration(
        **body.model_dump(), not_a_duplicate_of=stated_distinct(data)
    )
    try:
        out = service.create_patient(post.session, post.actor, registration)
    except service.ProbableDuplicate as exc:
        refused, shown = duplicate_refusal(post, exc)
        return _form_page(post, data, refused, mode="create", **shown)
    return see_other(f"/patients/{out.id}?created=1")


DUPLICATES_READ = uses(PageAccess(*worklist.ROLES))
DUPLICATES_POST = posts(PageAccess(*worklist.ROLES))


@router.get("/patients/duplicates")
def duplicate_patients(call: Call = DUPLICATES_READ) -> Response:
    """Pairs of registered patients that may be one person (the worklist's item), each
    with both records and the statement that they are two people."""
    pairs = worklist.duplicate_pairs(call.session, call.actor, wait=False)
    flash = call.flash({"dismissed": N_("The pair was marked as two different people.")})
    context = {"pairs": pairs or [], "checking": pairs is None, "why": service.WHY}
    return call.render("patients/duplicates.html", {**context, "flash": flash})


@router.post("/patients/duplicates/not-a-duplicate")
def not_a_duplicate(post: Post = DUPLICATES_POST) -> Response:
    ids = [post.data.get(k, "") for k in ("first", "second")]
    if not all(i.isdigit() and len(i) <= 10 for i in ids):
        return see_other("/patients/duplicates")
    worklist.dismiss(post.session, post.actor, int(ids[0]), int(ids[1]))
    return see_other("/patients/duplicates?dismissed=1")


@router.get("/patients/{patient_id}")
def patient_page(patient_id: int, call: Call = uses(PageAccess(*service.READ_ROLES))) -> Response:
    patient = service.get_patient(call.session, call.actor, patient_id)
    sections = []
    for section, context in call.request.app.state.patient_sections:
        ctx = context(call.session, call.actor, patient)
        if ctx is not None:
            sections.append((section.template, ctx))
    return call.render(
        "patients/detail.html",
        {
            **patient_banner(patient),
            "sections": sections,
            "can_edit": call.actor.role in service.WRITE_ROLES,
            "flash": call.flash(FLASH),
        },
    )


def _edit_values(p: PatientOut) -> dict[str, Any]:
    values = p.model_dump(include=set(PatientIn.model_fields))
    return {k: ("" if v is None else v) for k, v in values.items()}


@router.get("/patients/{patient_id}/edit")
def edit_patient_form(patient_id: int, call: Call = WRITE) -> Response:
    patient = service.get_patient(call.session, call.actor, patient_id)
    return _form_page(
        call,
        _edit_values(patient),
        **patient_banner(patient),
        mode="edit",
        version=patient.version,
    )


@router.post("/patients/{patient_id}/edit")
def edit_patient(patient_id: int, post: Post = WRITE_POST) -> Response:
    session, actor, data = post.session, post.actor, post.data
    patient = service.get_patient(session, actor, patient_id)
    version_text = data.pop("version", "")
    reason = data.pop("reason", "").strip()[:500] or None
    # A form sends every field: blank optional fields mean "clear it".
    body, errors = parse(PatientPatch, {k: data.get(k, "") for k in PatientIn.model_fields})
    if not version_text.isdigit():
        errors["version"] = gettext_for(post.request)(
            N_("The form is missing the record's version; reload the page.")
        )
    shown, refused = patient, Refused(errors, 422, False)
    extra: dict[str, Any] = {"version": version_text}
    if body is not None and not errors:
        outcome = post.attempt(
            lambda: service.update_patient(
                session, actor, patient_id, body, int(version_text), reason=reason
            ),
        )
        if not isinstance(outcome, Refused):
            return see_other(f"/patients/{patient_id}?saved=1")
        refused = outcome
        shown = service.get_patient(session, actor, patient_id)
        extra = {
            "version": shown.version if outcome.stale else version_text,
            "stale": outcome.stale,
            "current": _edit_values(shown),
        }
    return _form_page(
        post, data, refused, **patient_banner(shown), mode="edit", **extra, reason=reason
    )
