"""HTML pages of the medical summaries: the "Medical summaries" section of the patient's
page (the summaries with their downloads, and the form that starts a new one), the
summary's page (its text, the preview exactly as it prints, signing with the password,
correcting a signed version), the PDF download for staff and patients, and the patient's
own list of their signed summaries (``/my/summaries``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from respira.kit import i18n, tokens
from respira.kit.actors import Actor, Role
from respira.kit.errors import Conflict, InvalidInput
from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, uses
from respira.kit.web.templating import patient_banner
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut
from respira.summaries import service
from respira.summaries.api import pdf_response
from respira.summaries.schemas import DraftIn, RevisionIn, SignIn, SummaryIn

router = APIRouter(include_in_schema=False)

STAFF_READ_ROLES = service.READ_ROLES - {Role.PATIENT}
STAFF = uses(PageAccess(*STAFF_READ_ROLES))
WRITE_POST = posts(PageAccess(*service.WRITE_ROLES))
SIGN_POST = posts(PageAccess(*service.WRITE_ROLES), signature="password")
PATIENT = uses(PageAccess(Role.PATIENT))
KIND_LABELS = service.KIND_TITLES
DONE = {
    "created": N_(
        "The draft was started. Write the recommendations, check the preview, then sign."
    ),
    "saved": N_("The draft was saved."),
    "signed": N_("The summary was signed. Its PDFs are frozen and can be downloaded."),
    "revised": N_("A correction was started as a new version: change it, then sign it."),
}


# --- the patient's page ---------------------------------------------------------------


def _new_summary_form(patient: Any) -> dict[str, Any]:
    return {
        "kind": "discharge",
        "language": service.summary_language(None, patient.preferred_language),
    }


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    if actor.role not in STAFF_READ_ROLES:
        return None
    return {
        "patient_id": patient.id,
        "summaries": service.list_summaries(session, actor, patient.id),
        "can_write": actor.role in service.WRITE_ROLES,
        "form": _new_summary_form(patient),
        **_choices(),
    }


def _choices() -> dict[str, Any]:
    """The kinds and languages a new summary may have."""
    return {"languages": i18n.available_languages(), "kind_labels": KIND_LABELS}


@router.post("/patients/{patient_id}/summaries")
def create(patient_id: int, post: Post = WRITE_POST) -> Response:
    fields = {k: post.data.get(k, "") for k in ("kind", "language", "recommendations")}
    outcome = post.submit(SummaryIn, fields, service.create_summary, patient_id)

    def again(refused: Refused) -> Response:
        patient = patients_service.get_patient(post.session, post.actor, patient_id)
        context = {**patient_banner(patient), "form": fields, **_choices()}
        return post.render_form("summaries/new.html", context, refused)

    return post.answer(outcome, again, lambda made: f"/summaries/{made.id}?created=1")


# --- the summary's page -----------------------------------------------------------------


def _summary_page(
    call: Call, summary_id: int, refused: Refused | None = None, form: dict[str, str] | None = None
) -> Response:
    summary = service.get_summary(call.session, call.actor, summary_id)
    patient = patients_service.get_patient(call.session, call.actor, summary.patient_id)
    copy = call.request.query_params.get("copy")
    document = service.preview(call.session, call.actor, summary_id, copy)
    sections = service.with_chart_images(document)
    draft = summary.status == "draft"
    return call.render_form(
        "summaries/summary.html",
        {
            **patient_banner(patient),
            "s": summary,
            "versions": service.versions(call.session, call.actor, summary_id),
            "document": document,
            "sections": sections,
            "copy": copy,
            "can_write": call.actor.role in service.WRITE_ROLES,
            "can_edit": draft and call.actor.role in service.WRITE_ROLES,
            "kind_labels": KIND_LABELS,
            "meaning": service.SIGN_MEANING,
            "form": form
            or {
                "recommendations": summary.recommendations or "",
                "what_changed": summary.what_changed or "",
            },
            "flash": call.flash(DONE),
        },
        refused,
    )


@router.get("/summaries/{summary_id}.pdf")
def download(
    summary_id: int,
    lang: str | None = Query(default=None),
    call: Call = uses(PageAccess(*service.READ_ROLES)),
) -> Response:
    """The PDF for staff and for the patient (their own signed summaries)."""
    return pdf_response(service.pdf_file(call.session, call.actor, summary_id, lang))


@router.get("/summaries/{summary_id}")
def summary_page(summary_id: int, call: Call = STAFF) -> Response:
    return _summary_page(call, summary_id)


@router.post("/summaries/{summary_id}/draft")
def save_draft(summary_id: int, post: Post = WRITE_POST) -> Response:
    form = {k: post.data.get(k, "") for k in ("recommendations", "what_changed")}
    try:
        revision = int(post.data.get("draft_revision", ""))
    except ValueError:
        revision = -1
    outcome = post.submit(
        DraftIn,
        {k: v for k, v in form.items() if k == "recommendations" or v.strip()},
        lambda session, actor, body: service.update_draft(
            session, actor, summary_id, body, revision
        ),
    )
    return post.answer(
        outcome,
        lambda refused: _summary_page(post, summary_id, refused, form),
        f"/summaries/{summary_id}?saved=1",
    )


@router.post("/summaries/{summary_id}/sign")
def sign(summary_id: int, post: Post = SIGN_POST) -> Response:
    outcome = post.sign(SignIn, service.sign, summary_id)
    return post.answer(
        outcome,
        lambda refused: _summary_page(post, summary_id, refused),
        f"/summaries/{summary_id}?signed=1",
    )


@router.post("/summaries/{summary_id}/revisions")
def revise(summary_id: int, post: Post = WRITE_POST) -> Response:
    fields = {"what_changed": post.data.get("what_changed", "")}
    outcome = post.submit(
        RevisionIn, fields, service.revise, summary_id, refusals=(Conflict, InvalidInput)
    )
    return post.answer(
        outcome,
        lambda refused: _summary_page(post, summary_id, refused, fields),
        lambda new: f"/summaries/{new.id}?revised=1",
    )


# --- the patient's own summaries ----------------------------------------------------------


@router.get("/my/summaries")
def my_summaries(call: Call = PATIENT) -> Response:
    """The patient's signed summaries, in their language unless they chose one."""
    assert call.actor.patient_id is not None
    patient = patients_service.get_patient(call.session, call.actor, call.actor.patient_id)
    request = call.request
    if not (request.query_params.get("lang") or request.cookies.get(tokens.LANG_COOKIE)):
        request.state.lang = service.summary_language(None, patient.preferred_language)
    summaries = service.list_summaries(call.session, call.actor, patient.id)
    return call.render("summaries/my.html", {"summaries": summaries, "kind_labels": KIND_LABELS})
