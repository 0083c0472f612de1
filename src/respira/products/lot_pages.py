"""HTML pages of a lot: the new-lot form, and the lot page (passages, storage, QC against
the release specification, release and recall with the signer's password, quarantine
hold and discard, units with their labels) with each of its forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel

from respira.kit.errors import Conflict, Forbidden, InvalidInput
from respira.kit.marks import N_
from respira.kit.web.forms import Refused
from respira.kit.web.routes import SIGNATURE_MESSAGES, Call, Post
from respira.products import service
from respira.products.page_router import (
    LAB,
    LAB_POST,
    LAB_SIGN_POST,
    READ,
    WORDS,
    form_fields,
    router,
)
from respira.products.schemas import (
    LotIn,
    PassageIn,
    QcIn,
    ReasonIn,
    RecallIn,
    SignatureIn,
    StorageIn,
    UnitsIn,
)

_REFUSALS = (Conflict, InvalidInput, Forbidden)

FLASH = {
    "created": N_("Lot stored."),
    "qc": N_("QC result stored."),
    "passage": N_("Passage stored."),
    "storage": N_("Storage location stored."),
    "released": N_("Lot released for clinical use (e-signed)."),
    "recalled": N_("Lot recalled (e-signed): every unit of it is blocked."),
    "quarantined": N_("Lot put on quarantine hold."),
    "discarded": N_("Lot discarded."),
    "units": N_("Units made, each with its DIN."),
}


# --- a new lot ------------------------------------------------------------------------------


def _lot_form(call: Call, form: dict[str, Any], refused: Refused | None = None) -> Response:
    return call.render_form(
        "products/lot_form.html",
        {
            "form": form,
            "donors": service.list_donors(call.session, call.actor),
            "harvests": service.list_harvests(call.session, call.actor),
            "words": WORDS,
        },
        refused,
    )


@router.get("/lab/lots/new")
def lot_form(call: Call = LAB) -> Response:
    form: dict[str, Any] = {"cryoprotectant": "10% DMSO"}
    harvest = call.request.query_params.get("harvest_id", "")
    if harvest.isdigit():
        form.update(origin="harvest", harvest_id=harvest)
    return _lot_form(call, form)


@router.post("/lab/lots")
def create_lot(post: Post = LAB_POST) -> Response:
    fields = form_fields(post.data, LotIn)
    if fields.get("origin") == "donor":
        fields.pop("harvest_id", None)
    elif fields.get("origin") == "harvest":
        fields.pop("donor_id", None)
    outcome = post.submit(LotIn, fields, service.create_lot)
    return post.answer(
        outcome,
        lambda refused: _lot_form(post, post.data, refused),
        lambda lot: f"/lab/lots/{lot.id}?created=1",
    )


# --- the lot page ---------------------------------------------------------------------------


def _lot_page(
    call: Call,
    lot_id: int,
    *,
    form_name: str | None = None,
    refused: Refused | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    """The lot page; after a refused form ``form_name``, with that form as posted and its
    errors."""
    lot = service.get_lot(call.session, call.actor, lot_id)
    return call.render_form(
        "products/lot.html",
        {
            "lot": lot,
            "spec": service.current_specification(call.session, call.actor),
            "can_edit": call.actor.role in service.LAB_ROLES,
            "can_chain": call.actor.role in service.CHAIN_ROLES,
            "form_name": form_name,
            "form": form or {},
            "flash": call.flash(FLASH),
            "release_meaning": service.RELEASE_MEANING,
            "recall_meaning": service.RECALL_MEANING,
            "words": WORDS,
        },
        refused,
    )


@router.get("/lab/lots/{lot_id}")
def lot_page(lot_id: int, call: Call = READ) -> Response:
    return _lot_page(call, lot_id)


# --- the lot page's forms -------------------------------------------------------------------

LotUseCase = Callable[..., Any]


def _answer(
    post: Post, lot_id: int, name: str, outcome: Any, form: dict[str, Any], done: str
) -> Response:
    """The lot page again with the refused form ``name`` as posted and its errors, or back
    to the lot page with the flash ``done``."""
    return post.answer(
        outcome,
        lambda refused: _lot_page(post, lot_id, form_name=name, refused=refused, form=form),
        f"/lab/lots/{lot_id}?{done}=1",
    )


def _submit(
    post: Post,
    lot_id: int,
    name: str,
    schema: type[BaseModel],
    use_case: LotUseCase,
    *,
    done: str | None = None,
    fields: dict[str, Any] | None = None,
) -> Response:
    """A form posted on the lot page: the laboratory's use case
    ``use_case(session, actor, lot_id, body)`` runs on what it parsed."""
    fields = form_fields(post.data, schema) if fields is None else fields
    outcome = post.submit(
        schema, fields, use_case, lot_id, refusals=_REFUSALS, message_field=SIGNATURE_MESSAGES
    )
    return _answer(post, lot_id, name, outcome, fields, done or name)


@router.post("/lab/lots/{lot_id}/qc")
def record_qc(lot_id: int, post: Post = LAB_POST) -> Response:
    return _submit(post, lot_id, "qc", QcIn, service.record_qc)


@router.post("/lab/lots/{lot_id}/passages")
def record_passage(lot_id: int, post: Post = LAB_POST) -> Response:
    return _submit(post, lot_id, "passage", PassageIn, service.record_passage)


@router.post("/lab/lots/{lot_id}/storage")
def record_storage(lot_id: int, post: Post = LAB_POST) -> Response:
    return _submit(post, lot_id, "storage", StorageIn, service.record_storage)


def _signed(
    post: Post,
    lot_id: int,
    name: str,
    schema: type[BaseModel],
    field: str,
    use_case: LotUseCase,
    done: str,
) -> Response:
    """A form signed with the password, with one more field (the signature's meaning or
    the reason) that the page keeps when it shows the form again."""
    outcome = post.sign(schema, use_case, lot_id, field=field)
    return _answer(post, lot_id, name, outcome, {field: post.data.get(field, "")}, done)


def _with_reason(post: Post, lot_id: int, name: str, use_case: LotUseCase, done: str) -> Response:
    return _submit(
        post,
        lot_id,
        name,
        ReasonIn,
        lambda session, actor, lot_id, body: use_case(session, actor, lot_id, body.reason),
        done=done,
        fields={"reason": post.data.get("reason", "")},
    )


@router.post("/lab/lots/{lot_id}/release")
def release_lot(lot_id: int, post: Post = LAB_SIGN_POST) -> Response:
    return _signed(post, lot_id, "release", SignatureIn, "meaning", service.release_lot, "released")


@router.post("/lab/lots/{lot_id}/recall")
def recall_lot(lot_id: int, post: Post = LAB_SIGN_POST) -> Response:
    return _signed(post, lot_id, "recall", RecallIn, "reason", service.recall_lot, "recalled")


@router.post("/lab/lots/{lot_id}/quarantine")
def quarantine_lot(lot_id: int, post: Post = LAB_POST) -> Response:
    return _with_reason(post, lot_id, "quarantine", service.quarantine_lot, "quarantined")


@router.post("/lab/lots/{lot_id}/discard")
def discard_lot(lot_id: int, post: Post = LAB_POST) -> Response:
    return _with_reason(post, lot_id, "discard", service.discard_lot, "discarded")


@router.post("/lab/lots/{lot_id}/units")
def create_units(lot_id: int, post: Post = LAB_POST) -> Response:
    return _submit(post, lot_id, "units", UnitsIn, service.make_units)
