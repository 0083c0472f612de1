"""HTML pages of the follow-up: the coordinators' list, a check-in for staff (the
answers, a check-in entered on the patient's behalf, phone calls, the reminder log, a
link to record a clinic visit at diagnostics), the patient's own check-in form
(``/my/check-ins/{id}``, where the reminder's sign-in link leads), the plan, and the
"Follow-up" section of the patient's page.

The check-in form is one template for patients and staff, in the reader's language;
its errors are ``Msg``s translated next to their fields."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from respira.followup import service
from respira.followup.messages import (
    E_CHOOSE,
    INSTRUMENT_NAMES,
    ITEM_TEXT,
    RECALL_TEXT,
    SCALE_TEXT,
    STATE_TEXT,
    TREATMENT_TEXT,
    item_family,
)
from respira.followup.schemas import (
    TREATMENTS,
    CheckInIn,
    ContactIn,
    PlanIn,
    RetractionIn,
    readable_errors,
)
from respira.kit import tokens
from respira.kit.actors import Actor, Role
from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess, get_db
from respira.kit.web.forms import Refused, attempt, posted_form, submit
from respira.kit.web.templating import gettext_for, patient_banner, render, request_lang
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut

router = APIRouter(include_in_schema=False)

# Attacks the form has rows for (the API takes up to 20; more go into the notes).
EXACERBATION_ROWS = 4
PLAN_ROWS = 8
VIEW_LABELS = {
    "due": N_("Due"),
    "overdue": N_("Closing soon"),
    "missed": N_("Missed"),
    "upcoming": N_("Upcoming"),
    "completed": N_("Completed"),
    "all": N_("All"),
}


def _shared(request: Request) -> dict[str, Any]:
    """What every follow-up page's templates use: state and treatment names."""
    return {"state_text": STATE_TEXT, "treatment_text": TREATMENT_TEXT}


# --- the check-in form ----------------------------------------------------------------


def _form_context(
    request: Request, detail: Any, form: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    instrument = detail.instrument
    family = item_family(instrument)
    gettext = gettext_for(request)
    return {
        "detail": detail,
        "form": form,
        "errors": {k: service.translate(v, gettext) for k, v in errors.items()},
        "instrument_name": INSTRUMENT_NAMES[instrument],
        "items": [
            (i, ITEM_TEXT[family][i], low, high)
            for i, (low, high) in enumerate(service.item_ranges(instrument))
        ],
        "recall_text": RECALL_TEXT[family],
        "scale_text": SCALE_TEXT[family],
        "needs_spirometry": instrument == "acq7",
        "exacerbation_rows": range(EXACERBATION_ROWS),
        "treatments": TREATMENTS,
        **_shared(request),
    }


def _check_in_body(form: dict[str, str], instrument: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The form as the API's body, and the errors found before validation (an item not
    answered). Exacerbation rows count when anything in them is filled; their errors
    are named after the form's rows (``form_rows``)."""
    errors: dict[str, str] = {}
    answers: list[Any] = []
    for i in range(service.answered_items(instrument)):
        value = form.get(f"answers.{i}", "").strip()
        if not value:
            errors[f"answers.{i}"] = service.Msg(E_CHOOSE)
        answers.append(value)
    rows = []
    for i in range(EXACERBATION_ROWS):
        prefix = f"exacerbations.{i}."
        row: dict[str, Any] = {
            "started_on": form.get(prefix + "started_on", ""),
            **{t: bool(form.get(prefix + t)) for t in TREATMENTS},
        }
        if row["started_on"].strip() or any(row[t] for t in TREATMENTS):
            rows.append((i, row))
    body: dict[str, Any] = {
        "answers": answers,
        "rescue_puffs_per_week": form.get("rescue_puffs_per_week", ""),
        "exacerbations": [row for _i, row in rows],
        "maintenance_ocs_mg_per_day": form.get("maintenance_ocs_mg_per_day", "") or "0",
        "medication_changed": form.get("medication_changed") == "yes",
        "medication_changes": form.get("medication_changes", ""),
        "fev1_l": form.get("fev1_l", ""),
        "fvc_l": form.get("fvc_l", ""),
        "notes": form.get("notes", ""),
    }
    for name in ("answered_on", "mode"):
        if name in form:
            body[name] = form[name]
    body["form_rows"] = [i for i, _row in rows]
    return body, errors


def _rename_rows(errors: dict[str, str], form_rows: list[int]) -> dict[str, str]:
    out = {}
    for key, message in errors.items():
        parts = key.split(".")
        if parts[0] == "exacerbations" and len(parts) > 1 and parts[1].isdigit():
            parts[1] = str(form_rows[int(parts[1])])
        out[".".join(parts)] = message
    return out


def _submit_check_in(
    request: Request, session: Session, actor: Actor, follow_up_id: int, data: dict[str, str]
) -> Any:
    """Validate and record a posted check-in: the check-in, or ``Refused`` with the
    errors named after the form's fields."""
    detail = service.get_follow_up(session, actor, follow_up_id)
    body, errors = _check_in_body(data, detail.instrument)
    form_rows = body.pop("form_rows")
    try:
        parsed = CheckInIn.model_validate(body)
    except ValidationError as exc:
        return Refused(_rename_rows({**readable_errors(exc), **errors}, form_rows), 422, False)
    if errors:
        return Refused(errors, 422, False)
    outcome = attempt(
        session,
        lambda: service.record_check_in(
            session, actor, follow_up_id, parsed, language=request_lang(request)
        ),
    )
    if isinstance(outcome, Refused):
        return Refused(_rename_rows(outcome.errors, form_rows), outcome.status_code, outcome.stale)
    return outcome


# --- the patient's own check-in ---------------------------------------------------------


def _in_patient_language(request: Request, session: Session, actor: Actor) -> None:
    """The patient's preferred language (as their reminder email was), unless they
    chose one with the language switcher."""
    if request.query_params.get("lang") or request.cookies.get(tokens.LANG_COOKIE):
        return
    assert actor.patient_id is not None  # a patient account names its patient
    patient = patients_service.get_visible(session, actor, actor.patient_id)
    request.state.lang = service.patient_language(patient.preferred_language)


def _my_check_in(
    request: Request,
    session: Session,
    actor: Actor,
    follow_up_id: int,
    form: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    detail = service.get_follow_up(session, actor, follow_up_id)
    return render(
        request,
        "followup/my_check_in.html",
        {
            **_form_context(request, detail, form, errors),
            "sent": request.query_params.get("sent") == "1",
        },
        status_code,
    )


@router.get("/my/check-ins/{follow_up_id}")
def my_check_in(
    request: Request,
    follow_up_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(Role.PATIENT)),
) -> Response:
    _in_patient_language(request, session, actor)
    return _my_check_in(request, session, actor, follow_up_id, {}, {})


@router.post("/my/check-ins/{follow_up_id}")
def answer_my_check_in(
    request: Request,
    follow_up_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(Role.PATIENT)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    _in_patient_language(request, session, actor)
    data.pop("answered_on", None)
    data.pop("mode", None)
    outcome = _submit_check_in(request, session, actor, follow_up_id, data)
    if not isinstance(outcome, Refused):
        return RedirectResponse(f"/my/check-ins/{follow_up_id}?sent=1", status_code=303)
    return _my_check_in(
        request, session, actor, follow_up_id, data, outcome.errors, outcome.status_code
    )


# --- staff: one check-in ---------------------------------------------------------------


def _staff_page(
    request: Request,
    session: Session,
    actor: Actor,
    follow_up_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    open_form: str | None = None,
    status_code: int = 200,
) -> Response:
    detail = service.get_follow_up(session, actor, follow_up_id)
    patient = patients_service.get_patient(session, actor, detail.patient_id)
    check_in_errors = errors if open_form == "check-in" else None
    return render(
        request,
        "followup/detail.html",
        {
            **patient_banner(patient),
            **_form_context(request, detail, form or {}, check_in_errors or {}),
            "side_errors": {} if check_in_errors else errors or {},
            "open_form": open_form,
            "flash": request.query_params.get("done"),
            "can_enter": actor.role in service.ON_BEHALF_ROLES,
            "can_call": actor.role in service.CONTACT_ROLES,
            "can_record_visit": actor.role in {Role.ADMIN, Role.PHYSICIAN},
        },
        status_code,
    )


@router.get("/follow-ups/{follow_up_id}")
def follow_up_page(
    request: Request,
    follow_up_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.STAFF_ROLES)),
) -> Response:
    return _staff_page(request, session, actor, follow_up_id)


@router.post("/follow-ups/{follow_up_id}/check-in")
def enter_check_in(
    request: Request,
    follow_up_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.ON_BEHALF_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    outcome = _submit_check_in(request, session, actor, follow_up_id, data)
    return _back_to_follow_up(request, session, actor, follow_up_id, data, "check-in", outcome)


def _back_to_follow_up(
    request: Request,
    session: Session,
    actor: Actor,
    follow_up_id: int,
    data: dict[str, str],
    key: str,
    outcome: Any,
) -> Response:
    """After a staff form of the check-in's page: back to the page with ``done=key``, or
    the page again with the form ``key`` open and its errors (``outcome`` a Refused)."""
    if not isinstance(outcome, Refused):
        return RedirectResponse(f"/follow-ups/{follow_up_id}?done={key}", status_code=303)
    return _staff_page(
        request,
        session,
        actor,
        follow_up_id,
        form=data,
        errors=outcome.errors,
        open_form=key,
        status_code=outcome.status_code,
    )


@router.post("/follow-ups/{follow_up_id}/check-in/retract")
def retract_check_in(
    request: Request,
    follow_up_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.ON_BEHALF_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    outcome = submit(
        session,
        RetractionIn,
        data,
        lambda body: service.retract_check_in(session, actor, follow_up_id, body.reason),
    )
    return _back_to_follow_up(request, session, actor, follow_up_id, data, "retract", outcome)


@router.post("/follow-ups/{follow_up_id}/contacts")
def record_contact(
    request: Request,
    follow_up_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.CONTACT_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    fields = {"reached": data.get("reached", ""), "note": data.get("note", "")}
    outcome = submit(
        session,
        ContactIn,
        fields,
        lambda body: service.record_contact(session, actor, follow_up_id, body),
    )
    return _back_to_follow_up(request, session, actor, follow_up_id, fields, "contact", outcome)


# --- staff: the list ----------------------------------------------------------------


@router.get("/follow-ups")
def board_page(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.STAFF_ROLES)),
) -> Response:
    params = request.query_params
    view = params.get("view", "due")
    view = view if view in service.BOARD_VIEWS else "due"
    q = (params.get("q") or "")[:100]
    course = params.get("course", "")
    course_number = int(course) if course.isdigit() and int(course) > 0 else None
    result = service.board(session, actor, view=view, q=q, course_number=course_number)
    return render(
        request,
        "followup/board.html",
        {
            "board": result,
            "view": view,
            "views": VIEW_LABELS,
            "q": q,
            "course": course_number or "",
            "can_plan": actor.role in service.PLAN_READ_ROLES,
            **_shared(request),
        },
    )


# --- the plan ---------------------------------------------------------------------------


def _plan_page(
    request: Request,
    session: Session,
    actor: Actor,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    plan = service.get_plan(session, actor)
    if form is None:
        form = {"closing_soon_days": str(plan.closing_soon_days), "source": plan.source}
        for i, w in enumerate(plan.windows):
            form.update(
                {
                    f"month.{i}": str(w.month),
                    f"before_days.{i}": str(w.before_days),
                    f"after_days.{i}": str(w.after_days),
                }
            )
    return render(
        request,
        "followup/plan.html",
        {
            "plan": plan,
            "form": form,
            "errors": errors or {},
            "rows": range(PLAN_ROWS),
            "can_write": actor.role in service.PLAN_WRITE_ROLES,
            "flash": request.query_params.get("saved"),
        },
        status_code,
    )


@router.get("/follow-up-plan")
def plan_page(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.PLAN_READ_ROLES)),
) -> Response:
    return _plan_page(request, session, actor)


@router.post("/follow-up-plan")
def set_plan(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.PLAN_WRITE_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    windows = [
        {
            "month": data.get(f"month.{i}", ""),
            "before_days": data.get(f"before_days.{i}", ""),
            "after_days": data.get(f"after_days.{i}", ""),
        }
        for i in range(PLAN_ROWS)
        if data.get(f"month.{i}", "").strip()
    ]
    body = {
        "windows": windows,
        "closing_soon_days": data.get("closing_soon_days", ""),
        "source": data.get("source", ""),
    }
    outcome = submit(session, PlanIn, body, lambda plan: service.set_plan(session, actor, plan))
    if not isinstance(outcome, Refused):
        return RedirectResponse("/follow-up-plan?saved=1", status_code=303)
    return _plan_page(request, session, actor, data, outcome.errors, outcome.status_code)


# --- the patient's page -------------------------------------------------------------


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    if actor.role not in service.READ_ROLES:
        return None
    follow_ups = service.list_for_patient(session, actor, patient.id)
    if not follow_ups:
        return None
    return {
        "follow_ups": follow_ups,
        "is_patient": actor.role == Role.PATIENT,
        "state_text": STATE_TEXT,
    }
