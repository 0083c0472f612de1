"""HTML pages of a patient's travel and diet: the patient's own travel plan
(``/my/travel``, in their language unless they chose another) with the visa letter to
download, and the staff's page of a patient's diet restrictions (record one, retract
one with the reason), whose summary is on the patient's page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from respira.kit.actors import Role
from respira.kit.errors import InvalidInput
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.language import in_patient_language
from respira.kit.web.routes import Call, Post, posts, uses
from respira.kit.web.templating import patient_banner
from respira.logistics import service
from respira.logistics.api import letter_response
from respira.logistics.pages import shared, translated
from respira.logistics.schemas import RestrictionIn, RetractionIn
from respira.patients import service as patients_service

router = APIRouter(include_in_schema=False)

PATIENT = uses(PageAccess(Role.PATIENT))
DIET_POST = posts(PageAccess(*service.DIET_WRITE_ROLES))


# --- the patient's travel plan -----------------------------------------------------------


@router.get("/my/travel")
def my_travel(call: Call = PATIENT) -> Response:
    in_patient_language(call, patients_service.get_visible)
    return call.render(
        "logistics/my_travel.html",
        {"plans": service.my_travel(call.session, call.actor), **shared(call)},
    )


@router.get("/my/travel/{stay_id}/invitation-letter.pdf")
def my_letter(stay_id: int, call: Call = PATIENT) -> Response:
    return letter_response(call, stay_id, None)


# --- a patient's diet restrictions (staff) ---------------------------------------------------


def _diet_page(
    call: Call, patient_id: int, form: dict[str, str], refused: Refused | None = None
) -> Response:
    patient = patients_service.get_patient(call.session, call.actor, patient_id)
    context: dict[str, Any] = {
        **patient_banner(patient),
        "diet": service.get_diet(call.session, call.actor, patient_id),
        "form": form,
        "can_record": call.actor.role in service.DIET_WRITE_ROLES,
        "done": call.request.query_params.get("done"),
        **shared(call),
    }
    return call.render_form("logistics/diet.html", context, translated(call, refused))


@router.get("/logistics/patients/{patient_id}/diet")
def diet_page(patient_id: int, call: Call = uses(PageAccess(*service.DIET_READ_ROLES))) -> Response:
    return _diet_page(call, patient_id, {})


@router.post("/logistics/patients/{patient_id}/diet-restrictions")
def record_restriction(patient_id: int, post: Post = DIET_POST) -> Response:
    fields = {k: post.data.get(k, "") for k in ("substance", "kind", "severity", "note")}
    outcome = post.submit(RestrictionIn, fields, service.record_restriction, patient_id)
    return post.answer(
        outcome,
        lambda refused: _diet_page(post, patient_id, post.data, refused),
        f"/logistics/patients/{patient_id}/diet?done=recorded",
    )


@router.post("/logistics/diet-restrictions/{restriction_id}/retract")
def retract_restriction(restriction_id: int, post: Post = DIET_POST) -> Response:
    outcome = post.submit(
        RetractionIn,
        {"reason": post.data.get("reason", "")},
        service.retract_restriction,
        restriction_id,
    )
    patient_id = post.data.get("patient_id", "")
    if isinstance(outcome, Refused) and not patient_id.isdigit():
        raise InvalidInput({"patient_id": "the form is missing the patient; reload the page"})
    return post.answer(
        outcome,
        lambda refused: _diet_page(post, int(patient_id), {}, refused),
        lambda out: f"/logistics/patients/{out.patient_id}/diet?done=retracted",
    )
