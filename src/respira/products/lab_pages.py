"""HTML pages of the laboratory's home (lots started today, QC due, releases waiting),
donors, harvests and the release specifications."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.web.deps import PageAccess, get_db
from respira.kit.web.forms import Refused, posted_form, submit
from respira.kit.web.templating import render
from respira.products import service
from respira.products.page_router import LAB, READ, blank, router
from respira.products.schemas import DonorIn, HarvestIn, SpecificationIn

MARKER_LABELS = service.MARKER_NAMES


# --- lab home -------------------------------------------------------------------------------


@router.get("/lab")
def lab_home(
    request: Request, session: Session = Depends(get_db), actor: Actor = Depends(READ)
) -> Response:
    return render(
        request,
        "products/lab_home.html",
        {
            "board": service.lab_board(session, actor),
            "to_prepare": service.infusions_to_prepare(session, actor),
            "can_edit": actor.role in service.LAB_ROLES,
            "can_donors": actor.role in service.DONOR_READ_ROLES,
        },
    )


# --- donors ---------------------------------------------------------------------------------


@router.get("/lab/donors")
def donors(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.DONOR_READ_ROLES)),
) -> Response:
    return render(
        request,
        "products/donors.html",
        {
            "donors": service.list_donors(session, actor),
            "markers": MARKER_LABELS,
            "can_edit": actor.role in service.LAB_ROLES,
        },
    )


def _donor_form(
    request: Request, form: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    return render(
        request,
        "products/donor_form.html",
        {"form": form, "errors": errors, "markers": MARKER_LABELS},
        status_code,
    )


@router.get("/lab/donors/new")
def donor_form(request: Request, actor: Actor = Depends(LAB)) -> Response:
    return _donor_form(request, {}, {})


@router.post("/lab/donors")
def create_donor(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    fields = {
        "code": data.get("code", ""),
        "consent": data.get("consent") == "yes",
        "screening": {m: data.get(m) or None for m in MARKER_LABELS},
    }
    outcome = submit(
        session, DonorIn, fields, lambda body: service.create_donor(session, actor, body)
    )
    if isinstance(outcome, Refused):
        return _donor_form(request, data, outcome.errors, outcome.status_code)
    return RedirectResponse("/lab/donors?created=1", status_code=303)


# --- harvests -------------------------------------------------------------------------------


def _harvest_form(
    request: Request, form: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    return render(
        request, "products/harvest_form.html", {"form": form, "errors": errors}, status_code
    )


@router.get("/lab/harvests/new")
def harvest_form(request: Request, actor: Actor = Depends(LAB)) -> Response:
    patient = request.query_params.get("patient_id", "")
    return _harvest_form(request, {"patient_id": patient if patient.isdigit() else ""}, {})


@router.post("/lab/harvests")
def create_harvest(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    fields = {k: v for k, v in blank(data).items() if k in HarvestIn.model_fields}
    outcome = submit(
        session, HarvestIn, fields, lambda body: service.create_harvest(session, actor, body)
    )
    if isinstance(outcome, Refused):
        return _harvest_form(request, data, outcome.errors, outcome.status_code)
    return RedirectResponse(f"/lab/lots/new?harvest_id={outcome.id}", status_code=303)


# --- release specifications -----------------------------------------------------------------


def _specs_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    refused: Refused | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    """The page; after a refused form, with the form as posted and its errors."""
    versions = service.list_specifications(session, actor)
    current = versions[0]
    if form is None:
        form = {
            "version": "",
            "source": current.source,
            "passage_limit": str(current.passage_limit),
            "items": json.dumps(
                [i.model_dump(exclude_none=True, exclude_defaults=True) for i in current.items],
                indent=1,
                ensure_ascii=False,
            ),
        }
    return render(
        request,
        "products/specifications.html",
        {
            "versions": versions,
            "current": current,
            "can_admin": actor.role in service.SPEC_ADMIN_ROLES,
            "errors": refused.errors if refused else {},
            "form": form,
            "flash": "New version stored." if request.query_params.get("created") else None,
        },
        refused.status_code if refused else 200,
    )


@router.get("/lab/specifications")
def specifications(
    request: Request, session: Session = Depends(get_db), actor: Actor = Depends(READ)
) -> Response:
    return _specs_page(request, session, actor)


@router.post("/lab/specifications")
def create_specification(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.SPEC_ADMIN_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    form = {k: data.get(k, "") for k in ("version", "source", "passage_limit", "items")}
    try:
        items = json.loads(form["items"] or "[]")
    except json.JSONDecodeError as exc:
        return _specs_page(
            request,
            session,
            actor,
            refused=Refused({"items": f"not valid JSON: {exc.msg}"}, 422, False),
            form=form,
        )
    outcome = submit(
        session,
        SpecificationIn,
        {**form, "items": items},
        lambda body: service.create_specification(session, actor, body),
    )
    if isinstance(outcome, Refused):
        return _specs_page(request, session, actor, refused=outcome, form=form)
    return RedirectResponse("/lab/specifications?created=1", status_code=303)
