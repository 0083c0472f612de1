"""HTML pages of a lot: the new-lot form, and the lot page (passages, storage, QC against
the release specification, release and recall with the signer's password, quarantine
hold and discard, units with their labels) with each of its forms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.errors import Conflict, Forbidden, InvalidInput
from respira.kit.web.deps import get_db
from respira.kit.web.forms import Refused, posted_form, submit
from respira.kit.web.templating import render
from respira.products import service
from respira.products.page_router import LAB, READ, form_fields, router
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
    "created": "Lot stored.",
    "qc": "QC result stored.",
    "passage": "Passage stored.",
    "storage": "Storage location stored.",
    "released": "Lot released for clinical use (e-signed).",
    "recalled": "Lot recalled (e-signed): every unit of it is blocked.",
    "quarantined": "Lot put on quarantine hold.",
    "discarded": "Lot discarded.",
    "units": "Units made, each with its DIN.",
}


# --- a new lot ------------------------------------------------------------------------------


def _lot_form(
    request: Request,
    session: Session,
    actor: Actor,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "products/lot_form.html",
        {
            "form": form,
            "errors": errors,
            "donors": service.list_donors(session, actor),
            "harvests": service.list_harvests(session, actor),
        },
        status_code,
    )


@router.get("/lab/lots/new")
def lot_form(
    request: Request, session: Session = Depends(get_db), actor: Actor = Depends(LAB)
) -> Response:
    form: dict[str, Any] = {"cryoprotectant": "10% DMSO"}
    harvest = request.query_params.get("harvest_id", "")
    if harvest.isdigit():
        form.update(origin="harvest", harvest_id=harvest)
    return _lot_form(request, session, actor, form, {})


@router.post("/lab/lots")
def create_lot(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    fields = form_fields(data, LotIn)
    if fields.get("origin") == "donor":
        fields.pop("harvest_id", None)
    elif fields.get("origin") == "harvest":
        fields.pop("donor_id", None)
    outcome = submit(session, LotIn, fields, lambda body: service.create_lot(session, actor, body))
    if isinstance(outcome, Refused):
        return _lot_form(request, session, actor, data, outcome.errors, outcome.status_code)
    return RedirectResponse(f"/lab/lots/{outcome.id}?created=1", status_code=303)


# --- the lot page ---------------------------------------------------------------------------


def _lot_page(
    request: Request,
    session: Session,
    actor: Actor,
    lot_id: int,
    *,
    form_name: str | None = None,
    refused: Refused | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    """The lot page; after a refused form ``form_name``, with that form as posted and its
    errors."""
    lot = service.get_lot(session, actor, lot_id)
    flash = next((text for key, text in FLASH.items() if request.query_params.get(key)), None)
    spec = service.current_specification(session, actor)
    return render(
        request,
        "products/lot.html",
        {
            "lot": lot,
            "spec": spec,
            "can_edit": actor.role in service.LAB_ROLES,
            "can_chain": actor.role in service.CHAIN_ROLES,
            "form_name": form_name,
            "errors": refused.errors if refused else {},
            "form": form or {},
            "flash": flash,
            "release_meaning": service.RELEASE_MEANING,
        },
        refused.status_code if refused else 200,
    )


@router.get("/lab/lots/{lot_id}")
def lot_page(
    request: Request, lot_id: int, session: Session = Depends(get_db), actor: Actor = Depends(READ)
) -> Response:
    return _lot_page(request, session, actor, lot_id)


# --- the lot page's forms -------------------------------------------------------------------

LotUseCase = Callable[[Session, Actor, int, Any], Any]


@dataclass(frozen=True)
class LotPost:
    """A form posted on the lot page: the laboratory's use case runs on what it parsed;
    a form that does not parse or a refusal shows the lot page again with the form's
    errors, a success goes back to the lot page with its flash."""

    request: Request
    session: Session
    actor: Actor
    lot_id: int
    data: dict[str, str]

    def submit(
        self,
        name: str,
        schema: type[BaseModel],
        use_case: LotUseCase,
        *,
        done: str | None = None,
        fields: dict[str, Any] | None = None,
        kept: dict[str, Any] | None = None,
    ) -> Response:
        fields = form_fields(self.data, schema) if fields is None else fields
        outcome = submit(
            self.session,
            schema,
            fields,
            lambda body: use_case(self.session, self.actor, self.lot_id, body),
            refusals=_REFUSALS,
            message_field={Forbidden: "password"},
        )
        if isinstance(outcome, Refused):
            return _lot_page(
                self.request,
                self.session,
                self.actor,
                self.lot_id,
                form_name=name,
                refused=outcome,
                form=kept if kept is not None else fields,
            )
        return RedirectResponse(f"/lab/lots/{self.lot_id}?{done or name}=1", status_code=303)


def lot_post(
    request: Request,
    lot_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
    data: dict[str, str] = Depends(posted_form),
) -> LotPost:
    return LotPost(request, session, actor, lot_id, data)


@router.post("/lab/lots/{lot_id}/qc")
def record_qc(post: LotPost = Depends(lot_post)) -> Response:
    return post.submit("qc", QcIn, service.record_qc)


@router.post("/lab/lots/{lot_id}/passages")
def record_passage(post: LotPost = Depends(lot_post)) -> Response:
    return post.submit("passage", PassageIn, service.record_passage)


@router.post("/lab/lots/{lot_id}/storage")
def record_storage(post: LotPost = Depends(lot_post)) -> Response:
    return post.submit("storage", StorageIn, service.record_storage)


def _signed(
    post: LotPost,
    name: str,
    schema: type[BaseModel],
    field: str,
    use_case: Callable[..., Any],
    done: str,
) -> Response:
    """A form signed with the password, with one more field (the signature's meaning or
    the reason) that the page keeps when it shows the form again."""
    value = post.data.get(field, "")
    return post.submit(
        name,
        schema,
        lambda session, actor, lot_id, body: use_case(
            session, actor, lot_id, password=body.password, **{field: getattr(body, field)}
        ),
        done=done,
        fields={"password": post.data.get("password", ""), field: value},
        kept={field: value},
    )


def _with_reason(post: LotPost, name: str, use_case: Callable[..., Any], done: str) -> Response:
    return post.submit(
        name,
        ReasonIn,
        lambda session, actor, lot_id, body: use_case(session, actor, lot_id, body.reason),
        done=done,
        fields={"reason": post.data.get("reason", "")},
    )


@router.post("/lab/lots/{lot_id}/release")
def release_lot(post: LotPost = Depends(lot_post)) -> Response:
    return _signed(post, "release", SignatureIn, "meaning", service.release_lot, "released")


@router.post("/lab/lots/{lot_id}/recall")
def recall_lot(post: LotPost = Depends(lot_post)) -> Response:
    return _signed(post, "recall", RecallIn, "reason", service.recall_lot, "recalled")


@router.post("/lab/lots/{lot_id}/quarantine")
def quarantine_lot(post: LotPost = Depends(lot_post)) -> Response:
    return _with_reason(post, "quarantine", service.quarantine_lot, "quarantined")


@router.post("/lab/lots/{lot_id}/discard")
def discard_lot(post: LotPost = Depends(lot_post)) -> Response:
    return _with_reason(post, "discard", service.discard_lot, "discarded")


@router.post("/lab/lots/{lot_id}/units")
def create_units(post: LotPost = Depends(lot_post)) -> Response:
    return post.submit("units", UnitsIn, service.make_units)
