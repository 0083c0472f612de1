"""HTML pages of the laboratory's home (lots started today, QC due, releases waiting),
donors, harvests and the release specifications."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import Response

from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, uses
from respira.kit.web.templating import gettext_for
from respira.products import service
from respira.products.page_router import LAB, LAB_POST, READ, WORDS, blank, router
from respira.products.schemas import DonorIn, HarvestIn, SpecificationIn

MARKER_LABELS = service.MARKER_NAMES


# --- lab home -------------------------------------------------------------------------------


@router.get("/lab")
def lab_home(call: Call = READ) -> Response:
    return call.render(
        "products/lab_home.html",
        {
            "board": service.lab_board(call.session, call.actor),
            "to_prepare": service.infusions_to_prepare(call.session, call.actor),
            "can_edit": call.actor.role in service.LAB_ROLES,
            "can_donors": call.actor.role in service.DONOR_READ_ROLES,
            "words": WORDS,
        },
    )


# --- donors ---------------------------------------------------------------------------------


@router.get("/lab/donors")
def donors(call: Call = uses(PageAccess(*service.DONOR_READ_ROLES))) -> Response:
    return call.render(
        "products/donors.html",
        {
            "donors": service.list_donors(call.session, call.actor),
            "markers": MARKER_LABELS,
            "can_edit": call.actor.role in service.LAB_ROLES,
        },
    )


def _donor_form(call: Call, form: dict[str, Any], refused: Refused | None = None) -> Response:
    return call.render_form(
        "products/donor_form.html", {"form": form, "markers": MARKER_LABELS}, refused
    )


@router.get("/lab/donors/new")
def donor_form(call: Call = LAB) -> Response:
    return _donor_form(call, {})


@router.post("/lab/donors")
def create_donor(post: Post = LAB_POST) -> Response:
    fields = {
        "code": post.data.get("code", ""),
        "consent": post.data.get("consent") == "yes",
        "screening": {m: post.data.get(m) or None for m in MARKER_LABELS},
    }
    outcome = post.submit(DonorIn, fields, service.create_donor)
    return post.answer(
        outcome, lambda refused: _donor_form(post, post.data, refused), "/lab/donors?created=1"
    )


# --- harvests -------------------------------------------------------------------------------


def _harvest_form(call: Call, form: dict[str, Any], refused: Refused | None = None) -> Response:
    return call.render_form("products/harvest_form.html", {"form": form}, refused)


@router.get("/lab/harvests/new")
def harvest_form(call: Call = LAB) -> Response:
    patient = call.request.query_params.get("patient_id", "")
    return _harvest_form(call, {"patient_id": patient if patient.isdigit() else ""})


@router.post("/lab/harvests")
def create_harvest(post: Post = LAB_POST) -> Response:
    fields = {k: v for k, v in blank(post.data).items() if k in HarvestIn.model_fields}
    outcome = post.submit(HarvestIn, fields, service.create_harvest)
    return post.answer(
        outcome,
        lambda refused: _harvest_form(post, post.data, refused),
        lambda harvest: f"/lab/lots/new?harvest_id={harvest.id}",
    )


# --- release specifications -----------------------------------------------------------------


def _specs_page(
    call: Call, *, refused: Refused | None = None, form: dict[str, Any] | None = None
) -> Response:
    """The page; after a refused form, with the form as posted and its errors."""
    versions = service.list_specifications(call.session, call.actor)
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
    return call.render_form(
        "products/specifications.html",
        {
            "versions": versions,
            "current": current,
            "can_admin": call.actor.role in service.SPEC_ADMIN_ROLES,
            "form": form,
            "flash": call.flash({"created": N_("New version stored.")}),
        },
        refused,
    )


@router.get("/lab/specifications")
def specifications(call: Call = READ) -> Response:
    return _specs_page(call)


@router.post("/lab/specifications")
def create_specification(post: Post = posts(PageAccess(*service.SPEC_ADMIN_ROLES))) -> Response:
    form = {k: post.data.get(k, "") for k in ("version", "source", "passage_limit", "items")}
    try:
        items = json.loads(form["items"] or "[]")
    except json.JSONDecodeError as exc:
        message = gettext_for(post.request)(N_("not valid JSON: %(reason)s"))
        refused = Refused({"items": message % {"reason": exc.msg}}, 422, False)
        return _specs_page(post, refused=refused, form=form)
    outcome = post.submit(SpecificationIn, {**form, "items": items}, service.create_specification)
    return post.answer(
        outcome,
        lambda refused: _specs_page(post, refused=refused, form=form),
        "/lab/specifications?created=1",
    )
