"""HTML pages of a unit (its chain of identity, hand-overs, its printable label) and of
the dose preparation for an approved course's infusions."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, uses
from respira.products import label, service
from respira.products.page_router import LAB, LAB_POST, WORDS, form_fields, router
from respira.products.schemas import CustodyIn, DosePreparationIn
from respira.protocols import service as protocols_service

# --- units ----------------------------------------------------------------------------------


def _unit_page(
    call: Call, din: str, *, refused: Refused | None = None, form: dict[str, Any] | None = None
) -> Response:
    """The page; after a refused form, with the form as posted and its errors."""
    unit = service.get_unit(call.session, call.actor, din)
    return call.render_form(
        "products/unit.html",
        {
            "unit": unit,
            "chain": service.unit_chain(call.session, call.actor, din),
            "can_label": call.actor.role in service.LAB_ROLES,
            "can_read_lot": call.actor.role in service.READ_ROLES,
            "can_custody": call.actor.role in service.CUSTODY_ROLES
            and unit.status not in ("administered", "discarded"),
            "form": form or {"kind": "handover"},
            "flash": call.flash({"custody": N_("Hand-over recorded.")}),
            "words": WORDS,
        },
        refused,
    )


@router.get("/lab/units/{din}")
def unit_page(din: str, call: Call = uses(PageAccess(*service.CHAIN_ROLES))) -> Response:
    return _unit_page(call, din)


@router.post("/lab/units/{din}/custody")
def record_custody(din: str, post: Post = posts(PageAccess(*service.CUSTODY_ROLES))) -> Response:
    outcome = post.submit(CustodyIn, form_fields(post.data, CustodyIn), service.record_custody, din)
    return post.answer(
        outcome,
        lambda refused: _unit_page(post, din, refused=refused, form=post.data),
        lambda chain: f"/lab/units/{chain.din}?custody=1",
    )


@router.get("/lab/units/{din}/label.pdf")
def unit_label(din: str, call: Call = LAB) -> Response:
    return label.pdf_response(service.label_facts(call.session, call.actor, din))


# --- dose preparation -------------------------------------------------------------------


def _prep_page(
    call: Call,
    course_id: int,
    *,
    refused: Refused | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    """The page; after a refused form, with the form as posted and its errors."""
    course = protocols_service.get_course(call.session, call.actor, course_id)
    done = service.list_dose_preparations(call.session, call.actor, course_id)
    prepared = {p.infusion_day for p in done}
    day = call.request.query_params.get("day", "")
    return call.render_form(
        "products/preparation.html",
        {
            "course": course,
            "preparations": done,
            "open_infusions": [i for i in course.infusions if i.day not in prepared],
            "form": form if form is not None else {"infusion_day": day},
            "flash": call.flash({"prepared": N_("Dose prepared.")}),
            "words": WORDS,
        },
        refused,
    )


@router.get("/lab/courses/{course_id}/dose-preparations")
def preparation_page(course_id: int, call: Call = LAB) -> Response:
    return _prep_page(call, course_id)


@router.post("/lab/courses/{course_id}/dose-preparations")
def prepare_dose(course_id: int, post: Post = LAB_POST) -> Response:
    fields = form_fields(post.data, DosePreparationIn)
    fields["dins"] = [line for line in post.data.get("dins", "").splitlines() if line.strip()]
    outcome = post.submit(
        DosePreparationIn, fields, service.prepare_dose, course_id, moments=("thawed_at",)
    )
    return post.answer(
        outcome,
        lambda refused: _prep_page(post, course_id, refused=refused, form=post.data),
        f"/lab/courses/{course_id}/dose-preparations?prepared=1",
    )
