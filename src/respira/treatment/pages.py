"""HTML pages of the stay: the ward board of the day, the bedside check (GO / NO-GO in
large text with the reasons), the administration form with its vital-signs rows, an
administration's page, admission, discharge and supporting-session buttons, and the
"Treatment" section of the patient's page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, DomainError, InvalidInput, NotFound
from respira.kit.validation import today_utc
from respira.kit.web.deps import PageAccess, get_db
from respira.kit.web.forms import Refused, attempt, parse, posted_form
from respira.kit.web.templating import patient_banner, render
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut
from respira.treatment import service
from respira.treatment.schemas import (
    PHASES,
    REACTIONS,
    ROUTE_LABELS,
    VITAL_LABELS,
    AdministrationIn,
    AdmissionIn,
    BedsideCheckIn,
    DischargeIn,
    SupportingSessionIn,
    VitalsIn,
)

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)


def _day(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else today_utc()
    except ValueError:
        return today_utc()


def _now_local_input() -> str:
    return utcnow().strftime("%Y-%m-%dT%H:%M")


# --- the ward board -------------------------------------------------------------------


@router.get("/ward")
def ward_page(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.BOARD_ROLES)),
) -> Response:
    day = _day(request.query_params.get("day"))
    board = service.ward_board(session, actor, day)
    return render(
        request,
        "treatment/ward.html",
        {
            "board": board,
            "day": day,
            "prev_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "can_work": actor.role in service.WARD_ROLES,
            "now_input": _now_local_input(),
            "flash": request.query_params.get("done"),
            "error": request.query_params.get("error"),
        },
    )


def _back_to_ward(day: str | None, **params: str) -> RedirectResponse:
    query = urlencode({"day": _day(day).isoformat(), **params})
    return RedirectResponse(f"/ward?{query}", status_code=303)


def _on_the_ward(
    session: Session,
    data: dict[str, str],
    schema: type[M],
    fields: tuple[str, ...],
    use_case: Callable[[M], object],
    done: str,
    *,
    name_fields: bool = True,
) -> RedirectResponse:
    """A button of the ward board: parse the form's ``fields``, run the use case, and go
    back to the board of the day with ``done`` or the errors (a form that does not parse
    names its fields when ``name_fields``)."""
    body, errors = parse(schema, {k: data.get(k, "") for k in fields})
    if body is None:
        messages = (f"{k}: {v}" for k, v in errors.items()) if name_fields else errors.values()
        return _back_to_ward(data.get("day"), error="; ".join(messages))
    outcome = attempt(session, lambda: use_case(body), refusals=(Conflict, InvalidInput, NotFound))
    if isinstance(outcome, Refused):
        return _back_to_ward(data.get("day"), error="; ".join(outcome.errors.values()))
    return _back_to_ward(data.get("day"), done=done)


@router.post("/patients/{patient_id}/admissions")
def admit(
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WARD_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    return _on_the_ward(
        session,
        data,
        AdmissionIn,
        ("course_id", "admitted_at"),
        lambda body: service.admit(session, actor, patient_id, body),
        "Admitted.",
    )


@router.post("/admissions/{admission_id}/discharge")
def discharge(
    admission_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WARD_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    return _on_the_ward(
        session,
        data,
        DischargeIn,
        ("note",),
        lambda body: service.discharge(session, actor, admission_id, body),
        "Discharged.",
        name_fields=False,
    )


@router.post("/ward/supporting-sessions")
def supporting_session(
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WARD_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    return _on_the_ward(
        session,
        data,
        SupportingSessionIn,
        ("course_id", "modality", "day", "reason", "done"),
        lambda body: service.record_supporting_session(session, actor, body),
        "Session recorded.",
    )


# --- the bedside check ----------------------------------------------------------------


def _check_form(
    request: Request,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    result: Any = None,
    next_link: str | None = None,
) -> Response:
    return render(
        request,
        "treatment/bedside_check.html",
        {"form": form, "errors": errors, "result": result, "next_link": next_link},
        status_code,
    )


@router.get("/ward/bedside-check")
def bedside_check_form(
    request: Request,
    actor: Actor = Depends(PageAccess(*service.WARD_ROLES)),
) -> Response:
    return _check_form(request, {"patient_code": request.query_params.get("patient_code", "")}, {})


@router.post("/ward/bedside-check")
def bedside_check(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WARD_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    form = {"patient_code": data.get("patient_code", ""), "din": data.get("din", "")}
    body, errors = parse(BedsideCheckIn, form)
    if body is None:
        return _check_form(request, form, errors, 422)
    outcome = attempt(
        session,
        lambda: service.check_at_bedside(session, actor, body),
        refusals=(service.MalformedDin,),
        message_field={service.MalformedDin: "din"},
    )
    if isinstance(outcome, Refused):
        message = outcome.errors.get("din", "")
        return _check_form(
            request, form, {"din": message.removeprefix("din: ")}, outcome.status_code
        )
    next_link = None
    if outcome.ok:
        next_link = "/ward/administrations/new?" + urlencode(
            {
                "din": outcome.din,
                "patient_id": outcome.patient_id,
                "course_id": outcome.course_id or "",
            }
        )
    return _check_form(request, {"patient_code": "", "din": ""}, {}, 200, outcome, next_link)


# --- administrations ------------------------------------------------------------------


def _admin_form(
    request: Request,
    patient: PatientOut | None,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    ctx: dict[str, Any] = patient_banner(patient) if patient is not None else {"patient": None}
    return render(
        request,
        "treatment/administration_form.html",
        {
            **ctx,
            "form": form,
            "errors": errors,
            "phases": PHASES,
            "vital_labels": VITAL_LABELS,
            "reactions": REACTIONS,
            "routes": list(ROUTE_LABELS.items()),
        },
        status_code,
    )


def _patient_or_none(session: Session, actor: Actor, raw: str | None) -> PatientOut | None:
    try:
        return patients_service.get_patient(session, actor, int(raw or ""))
    except (ValueError, DomainError):
        return None


@router.get("/ward/administrations/new")
def administration_form(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WARD_ROLES)),
) -> Response:
    q = request.query_params
    patient = _patient_or_none(session, actor, q.get("patient_id"))
    now = _now_local_input()
    form = {
        "din": q.get("din", ""),
        "patient_id": q.get("patient_id", ""),
        "course_id": q.get("course_id", ""),
        "route": "iv",
        "started_at": now,
        "ended_at": now,
    }
    return _admin_form(request, patient, form, {})


def _vitals_rows(data: dict[str, str]) -> tuple[list[VitalsIn], dict[str, str]]:
    rows: list[VitalsIn] = []
    errors: dict[str, str] = {}
    for phase in PHASES:
        values = {name: data.get(f"{phase}-{name}", "") for name in VITAL_LABELS}
        if not any(v.strip() for v in values.values()):
            continue
        row, row_errors = parse(VitalsIn, {"phase": phase, **values})
        if row is not None:
            row_errors = row.problems()
        for name, message in row_errors.items():
            errors[f"{phase}-{name}"] = message
        if row is not None and not row_errors:
            rows.append(row)
    return rows, errors


@router.post("/ward/administrations")
def record_administration(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.WARD_ROLES)),
    data: dict[str, Any] = Depends(posted_form),
) -> Response:
    patient = _patient_or_none(session, actor, data.get("patient_id"))
    form = dict(data)
    vitals, errors = _vitals_rows(data)
    reactions = [r for r in REACTIONS if data.get(f"reaction-{r}")]
    fields = {
        k: data.get(k, "")
        for k in (
            "din",
            "patient_id",
            "course_id",
            "route",
            "started_at",
            "ended_at",
            "volume_ml",
            "rate_ml_per_h",
            "witness_email",
        )
    }
    fields["reaction_notes"] = data.get("reaction_notes") or None
    fields["reactions"] = reactions
    fields["vitals"] = [v.model_dump() for v in vitals]
    body, field_errors = parse(AdministrationIn, fields)
    errors.update({k: v for k, v in field_errors.items() if k != "vitals" or not errors})
    if body is not None:
        errors.update({k: v for k, v in body.problems().items() if not k.startswith("vitals.")})
    if body is None or errors:
        return _admin_form(request, patient, form, errors, 422)
    outcome = attempt(
        session,
        lambda: service.record_administration(session, actor, body),
        refusals=(Conflict, InvalidInput, NotFound, service.MalformedDin),
        message_field={service.MalformedDin: "din", NotFound: "din"},
    )
    if isinstance(outcome, Refused):
        return _admin_form(request, patient, form, outcome.errors, outcome.status_code)
    return RedirectResponse(f"/administrations/{outcome.id}?recorded=1", status_code=303)


@router.get("/administrations/{administration_id}")
def administration_page(
    request: Request,
    administration_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.ADMINISTRATION_READ_ROLES)),
) -> Response:
    record = service.get_administration(session, actor, administration_id)
    patient = patients_service.get_patient(session, actor, record.patient_id)
    return render(
        request,
        "treatment/administration.html",
        {
            **patient_banner(patient),
            "a": record,
            "vital_labels": VITAL_LABELS,
            "route_labels": ROUTE_LABELS,
            "flash": "Administration recorded." if request.query_params.get("recorded") else None,
        },
    )


# --- the patient's page ---------------------------------------------------------------


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    if actor.role not in service.ADMINISTRATION_READ_ROLES:
        return None
    return {
        **service.patient_summary(session, actor, patient.id),
        "patient_id": patient.id,
        "route_labels": ROUTE_LABELS,
        "can_see_chain": actor.role in service.CHAIN_ROLES,
    }


# --- the patient's chain of identity --------------------------------------------------


@router.get("/patients/{patient_id}/chain-of-identity")
def chain_of_identity(
    request: Request,
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.CHAIN_ROLES)),
) -> Response:
    """Every unit of the patient (of their harvests, or allocated to their courses) as
    one timeline each, read from the products step's ledger."""
    patient = patients_service.get_patient(session, actor, patient_id)
    chains = service.patient_chains(session, actor, patient_id)
    return render(
        request,
        "treatment/chain.html",
        {**patient_banner(patient), "chains": chains},
    )
