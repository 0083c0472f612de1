"""HTML pages of a unit (its chain of identity, hand-overs, its printable label) and of
the dose preparation for an approved course's infusions."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.web.deps import PageAccess, get_db
from respira.kit.web.forms import Refused, posted_form, submit
from respira.kit.web.templating import render
from respira.products import label, service
from respira.products.page_router import LAB, form_fields, router
from respira.products.schemas import CustodyIn, DosePreparationIn
from respira.protocols import service as protocols_service

# --- units ----------------------------------------------------------------------------------


def _unit_page(
    request: Request,
    session: Session,
    actor: Actor,
    din: str,
    *,
    refused: Refused | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    """The page; after a refused form, with the form as posted and its errors."""
    unit = service.get_unit(session, actor, din)
    chain = service.unit_chain(session, actor, din)
    return render(
        request,
        "products/unit.html",
        {
            "unit": unit,
            "chain": chain,
            "can_label": actor.role in service.LAB_ROLES,
            "can_read_lot": actor.role in service.READ_ROLES,
            "can_custody": actor.role in service.CUSTODY_ROLES
            and unit.status not in ("administered", "discarded"),
            "errors": refused.errors if refused else {},
            "form": form or {"kind": "handover"},
            "flash": "Hand-over recorded." if request.query_params.get("custody") else None,
        },
        refused.status_code if refused else 200,
    )


@router.get("/lab/units/{din}")
def unit_page(
    request: Request,
    din: str,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.CHAIN_ROLES)),
) -> Response:
    return _unit_page(request, session, actor, din)


@router.post("/lab/units/{din}/custody")
def record_custody(
    request: Request,
    din: str,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.CUSTODY_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    outcome = submit(
        session,
        CustodyIn,
        form_fields(data, CustodyIn),
        lambda body: service.record_custody(session, actor, din, body),
    )
    if isinstance(outcome, Refused):
        return _unit_page(request, session, actor, din, refused=outcome, form=data)
    return RedirectResponse(f"/lab/units/{outcome.din}?custody=1", status_code=303)


@router.get("/lab/units/{din}/label.pdf")
def unit_label(
    din: str, session: Session = Depends(get_db), actor: Actor = Depends(LAB)
) -> Response:
    return label.pdf_response(service.label_facts(session, actor, din))


# --- dose preparation -------------------------------------------------------------------


def _prep_page(
    request: Request,
    session: Session,
    actor: Actor,
    course_id: int,
    *,
    refused: Refused | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    """The page; after a refused form, with the form as posted and its errors."""
    course = protocols_service.get_course(session, actor, course_id)
    done = service.list_dose_preparations(session, actor, course_id)
    prepared = {p.infusion_day for p in done}
    day = request.query_params.get("day", "")
    return render(
        request,
        "products/preparation.html",
        {
            "course": course,
            "preparations": done,
            "open_infusions": [i for i in course.infusions if i.day not in prepared],
            "errors": refused.errors if refused else {},
            "form": form if form is not None else {"infusion_day": day},
            "flash": "Dose prepared." if request.query_params.get("prepared") else None,
        },
        refused.status_code if refused else 200,
    )


@router.get("/lab/courses/{course_id}/dose-preparations")
def preparation_page(
    request: Request,
    course_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
) -> Response:
    return _prep_page(request, session, actor, course_id)


@router.post("/lab/courses/{course_id}/dose-preparations")
def prepare_dose(
    request: Request,
    course_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    fields = form_fields(data, DosePreparationIn)
    fields["dins"] = [line for line in data.get("dins", "").splitlines() if line.strip()]
    thawed = fields.get("thawed_at")
    if isinstance(thawed, str) and len(thawed) <= 16:  # datetime-local: minutes, read as UTC
        fields["thawed_at"] = thawed + ":00+00:00"
    outcome = submit(
        session,
        DosePreparationIn,
        fields,
        lambda body: service.prepare_dose(session, actor, course_id, body),
    )
    if isinstance(outcome, Refused):
        return _prep_page(request, session, actor, course_id, refused=outcome, form=data)
    return RedirectResponse(
        f"/lab/courses/{course_id}/dose-preparations?prepared=1", status_code=303
    )
