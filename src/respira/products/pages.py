"""HTML pages of the cell laboratory: the lab home (lots started today, QC due,
releases waiting), donors, harvests, new lots, the lot page (passages, QC against the
release specification, release and recall with the signer's password, units with their
labels), the unit's chain of identity, and the release specifications."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.errors import Conflict, Forbidden, InvalidInput
from respira.kit.web.deps import PageAccess, get_db
from respira.kit.web.forms import Refused, attempt, parse, posted_form
from respira.kit.web.templating import render
from respira.products import label, service
from respira.products.schemas import (
    CustodyIn,
    DonorIn,
    DosePreparationIn,
    HarvestIn,
    LotIn,
    PassageIn,
    QcIn,
    ReasonIn,
    RecallIn,
    SignatureIn,
    SpecificationIn,
    StorageIn,
    UnitsIn,
)
from respira.protocols import service as protocols_service

router = APIRouter(include_in_schema=False)

LAB = PageAccess(*service.LAB_ROLES)
READ = PageAccess(*service.READ_ROLES)
_REFUSALS = (Conflict, InvalidInput, Forbidden)
MARKER_LABELS = service.MARKER_NAMES


def _blank(data: dict[str, str]) -> dict[str, Any]:
    """Form values with empty strings as None, so optional fields stay optional."""
    return {k: (v.strip() or None) for k, v in data.items()}


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
    screening = {m: data.get(m) or None for m in MARKER_LABELS}
    body, errors = parse(
        DonorIn,
        {
            "code": data.get("code", ""),
            "consent": data.get("consent") == "yes",
            "screening": screening,
        },
    )
    if body is None:
        return _donor_form(request, data, errors, 422)
    outcome = attempt(session, lambda: service.create_donor(session, actor, body))
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
    fields = {k: v for k, v in _blank(data).items() if k in HarvestIn.model_fields}
    body, errors = parse(HarvestIn, fields)
    if body is None:
        return _harvest_form(request, data, errors, 422)
    outcome = attempt(session, lambda: service.create_harvest(session, actor, body))
    if isinstance(outcome, Refused):
        return _harvest_form(request, data, outcome.errors, outcome.status_code)
    return RedirectResponse(f"/lab/lots/new?harvest_id={outcome.id}", status_code=303)


# --- lots -----------------------------------------------------------------------------------


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
    fields = {k: v for k, v in _blank(data).items() if k in LotIn.model_fields}
    if fields.get("origin") == "donor":
        fields.pop("harvest_id", None)
    elif fields.get("origin") == "harvest":
        fields.pop("donor_id", None)
    fields = {k: v for k, v in fields.items() if v is not None}
    body, errors = parse(LotIn, fields)
    if body is None:
        return _lot_form(request, session, actor, data, errors, 422)
    outcome = attempt(session, lambda: service.create_lot(session, actor, body))
    if isinstance(outcome, Refused):
        return _lot_form(request, session, actor, data, outcome.errors, outcome.status_code)
    return RedirectResponse(f"/lab/lots/{outcome.id}?created=1", status_code=303)


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


def _lot_page(
    request: Request,
    session: Session,
    actor: Actor,
    lot_id: int,
    *,
    form_name: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
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
            "errors": errors or {},
            "form": form or {},
            "flash": flash,
            "release_meaning": service.RELEASE_MEANING,
        },
        status_code,
    )


@router.get("/lab/lots/{lot_id}")
def lot_page(
    request: Request, lot_id: int, session: Session = Depends(get_db), actor: Actor = Depends(READ)
) -> Response:
    return _lot_page(request, session, actor, lot_id)


def _lot_post(
    request: Request,
    session: Session,
    actor: Actor,
    lot_id: int,
    name: str,
    schema: type[BaseModel],
    fields: dict[str, Any],
    use_case: Any,
    done: str,
    *,
    kept: dict[str, Any] | None = None,
) -> Response:
    body, errors = parse(schema, fields)
    shown = kept if kept is not None else fields
    if body is None:
        return _lot_page(
            request,
            session,
            actor,
            lot_id,
            form_name=name,
            errors=errors,
            form=shown,
            status_code=422,
        )
    outcome = attempt(
        session,
        lambda: use_case(body),
        refusals=_REFUSALS,
        message_field={Forbidden: "password"},
    )
    if isinstance(outcome, Refused):
        return _lot_page(
            request,
            session,
            actor,
            lot_id,
            form_name=name,
            errors=outcome.errors,
            form=shown,
            status_code=outcome.status_code,
        )
    return RedirectResponse(f"/lab/lots/{lot_id}?{done}=1", status_code=303)


@router.post("/lab/lots/{lot_id}/qc")
def record_qc(
    request: Request,
    lot_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    fields = {k: v for k, v in _blank(data).items() if k in QcIn.model_fields and v is not None}
    return _lot_post(
        request,
        session,
        actor,
        lot_id,
        "qc",
        QcIn,
        fields,
        lambda body: service.record_qc(session, actor, lot_id, body),
        "qc",
    )


@router.post("/lab/lots/{lot_id}/passages")
def record_passage(
    request: Request,
    lot_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    fields = {
        k: v for k, v in _blank(data).items() if k in PassageIn.model_fields and v is not None
    }
    return _lot_post(
        request,
        session,
        actor,
        lot_id,
        "passage",
        PassageIn,
        fields,
        lambda body: service.record_passage(session, actor, lot_id, body),
        "passage",
    )


@router.post("/lab/lots/{lot_id}/storage")
def record_storage(
    request: Request,
    lot_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    fields = {
        k: v for k, v in _blank(data).items() if k in StorageIn.model_fields and v is not None
    }
    return _lot_post(
        request,
        session,
        actor,
        lot_id,
        "storage",
        StorageIn,
        fields,
        lambda body: service.record_storage(session, actor, lot_id, body),
        "storage",
    )


@router.post("/lab/lots/{lot_id}/release")
def release_lot(
    request: Request,
    lot_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    fields = {"password": data.get("password", ""), "meaning": data.get("meaning", "")}
    return _lot_post(
        request,
        session,
        actor,
        lot_id,
        "release",
        SignatureIn,
        fields,
        lambda body: service.release_lot(
            session, actor, lot_id, password=body.password, meaning=body.meaning
        ),
        "released",
        kept={"meaning": fields["meaning"]},
    )


@router.post("/lab/lots/{lot_id}/recall")
def recall_lot(
    request: Request,
    lot_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    fields = {"password": data.get("password", ""), "reason": data.get("reason", "")}
    return _lot_post(
        request,
        session,
        actor,
        lot_id,
        "recall",
        RecallIn,
        fields,
        lambda body: service.recall_lot(
            session, actor, lot_id, password=body.password, reason=body.reason
        ),
        "recalled",
        kept={"reason": fields["reason"]},
    )


@router.post("/lab/lots/{lot_id}/quarantine")
def quarantine_lot(
    request: Request,
    lot_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    fields = {"reason": data.get("reason", "")}
    return _lot_post(
        request,
        session,
        actor,
        lot_id,
        "quarantine",
        ReasonIn,
        fields,
        lambda body: service.quarantine_lot(session, actor, lot_id, body.reason),
        "quarantined",
    )


@router.post("/lab/lots/{lot_id}/discard")
def discard_lot(
    request: Request,
    lot_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    fields = {"reason": data.get("reason", "")}
    return _lot_post(
        request,
        session,
        actor,
        lot_id,
        "discard",
        ReasonIn,
        fields,
        lambda body: service.discard_lot(session, actor, lot_id, body.reason),
        "discarded",
    )


@router.post("/lab/lots/{lot_id}/units")
def create_units(
    request: Request,
    lot_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(LAB),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    fields = {k: v for k, v in _blank(data).items() if k in UnitsIn.model_fields and v is not None}
    return _lot_post(
        request,
        session,
        actor,
        lot_id,
        "units",
        UnitsIn,
        fields,
        lambda body: service.create_units(
            session,
            actor,
            lot_id,
            body.count,
            cells_million=body.cells_million,
            volume_ml=body.volume_ml,
        ),
        "units",
    )


# --- units ----------------------------------------------------------------------------------


def _unit_page(
    request: Request,
    session: Session,
    actor: Actor,
    din: str,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
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
            "errors": errors or {},
            "form": form or {"kind": "handover"},
            "flash": "Hand-over recorded." if request.query_params.get("custody") else None,
        },
        status_code,
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
    fields = {
        k: v for k, v in _blank(data).items() if k in CustodyIn.model_fields and v is not None
    }
    body, errors = parse(CustodyIn, fields)
    if body is None:
        return _unit_page(request, session, actor, din, errors=errors, form=data, status_code=422)
    outcome = attempt(session, lambda: service.record_custody(session, actor, din, body))
    if isinstance(outcome, Refused):
        return _unit_page(
            request,
            session,
            actor,
            din,
            errors=outcome.errors,
            form=data,
            status_code=outcome.status_code,
        )
    return RedirectResponse(f"/lab/units/{outcome.din}?custody=1", status_code=303)


@router.get("/lab/units/{din}/label.pdf")
def unit_label(
    din: str, session: Session = Depends(get_db), actor: Actor = Depends(LAB)
) -> Response:
    facts = service.label_facts(session, actor, din)
    return Response(
        label.render_label(facts),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{facts["din"]}.pdf"'},
    )


# --- dose preparation -------------------------------------------------------------------


def _prep_page(
    request: Request,
    session: Session,
    actor: Actor,
    course_id: int,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
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
            "errors": errors or {},
            "form": form if form is not None else {"infusion_day": day},
            "flash": "Dose prepared." if request.query_params.get("prepared") else None,
        },
        status_code,
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
    fields: dict[str, Any] = {
        k: v for k, v in _blank(data).items() if k in DosePreparationIn.model_fields and v
    }
    fields["dins"] = [line for line in data.get("dins", "").splitlines() if line.strip()]
    thawed = fields.get("thawed_at")
    if isinstance(thawed, str) and len(thawed) <= 16:  # datetime-local: minutes, read as UTC
        fields["thawed_at"] = thawed + ":00+00:00"
    body, errors = parse(DosePreparationIn, fields)
    if body is None:
        return _prep_page(
            request, session, actor, course_id, errors=errors, form=data, status_code=422
        )
    outcome = attempt(session, lambda: service.prepare_dose(session, actor, course_id, body))
    if isinstance(outcome, Refused):
        return _prep_page(
            request,
            session,
            actor,
            course_id,
            errors=outcome.errors,
            form=data,
            status_code=outcome.status_code,
        )
    return RedirectResponse(
        f"/lab/courses/{course_id}/dose-preparations?prepared=1", status_code=303
    )


# --- release specifications -----------------------------------------------------------------


def _specs_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
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
            "errors": errors or {},
            "form": form,
            "flash": "New version stored." if request.query_params.get("created") else None,
        },
        status_code,
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
            errors={"items": f"not valid JSON: {exc.msg}"},
            form=form,
            status_code=422,
        )
    body, errors = parse(SpecificationIn, {**form, "items": items})
    if body is None:
        return _specs_page(request, session, actor, errors=errors, form=form, status_code=422)
    outcome = attempt(session, lambda: service.create_specification(session, actor, body))
    if isinstance(outcome, Refused):
        return _specs_page(
            request,
            session,
            actor,
            errors=outcome.errors,
            form=form,
            status_code=outcome.status_code,
        )
    return RedirectResponse("/lab/specifications?created=1", status_code=303)
