"""HTML pages of the follow-up: the coordinators' list, a check-in for staff (the
answers, a check-in entered on the patient's behalf, phone calls, the reminder log, a
link to record a clinic visit at diagnostics), the patient's own check-in form
(``/my/check-ins/{id}``, where the reminder's sign-in link leads), the plan, and the
"Follow-up" section of the patient's page.

The check-in form is one template for patients and staff, in the reader's language;
its errors are ``Msg``s translated next to their fields."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from respira.diagnostics import web as diagnostics_web
from respira.followup import service
from respira.followup.messages import (
    E_CHOOSE,
    INSTRUMENT_NAMES,
    ITEM_TEXT,
    RECALL_TEXT,
    SCALE_TEXT,
    SEVERITY_TEXT,
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
from respira.kit import i18n
from respira.kit.actors import Actor, Role
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.language import in_patient_language
from respira.kit.web.routes import Call, Post, posts, uses
from respira.kit.web.templating import patient_banner, problem_text, request_lang
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
# What every follow-up page's templates use: state and treatment names.
SHARED = {"state_text": STATE_TEXT, "treatment_text": TREATMENT_TEXT}
PATIENT = PageAccess(Role.PATIENT)
STAFF = uses(PageAccess(*service.STAFF_ROLES))
ON_BEHALF_POST = posts(PageAccess(*service.ON_BEHALF_ROLES))


# --- the check-in form ----------------------------------------------------------------


def _form_context(
    call: Call, detail: Any, form: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    instrument = detail.instrument
    family = item_family(instrument)
    lang = request_lang(call.request)
    return {
        "detail": detail,
        "form": form,
        "errors": {k: _error_text(v, lang) for k, v in errors.items()},
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
        "severity_text": SEVERITY_TEXT,
        "pattern_label": diagnostics_web.pattern_label,
        **diagnostics_web.numbers(lang),
        **SHARED,
    }


def _error_text(message: str, lang: str) -> str:
    """A check-in's error in ``lang``; a message inside it (the science's reason why a
    spirometry cannot be read) in ``lang`` too, its numbers in the reader's way."""
    gettext = i18n.translations(lang).gettext
    if isinstance(message, Msg) and any(isinstance(v, Msg) for v in message.params.values()):
        params = {
            k: problem_text(v, lang) if isinstance(v, Msg) else v for k, v in message.params.items()
        }
        return str(gettext(message.msgid)) % params
    return service.translate(message, gettext)


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


def _submit_check_in(post: Post, follow_up_id: int) -> Any:
    """Validate and record a posted check-in: the check-in, or ``Refused`` with the
    errors named after the form's fields."""
    detail = service.get_follow_up(post.session, post.actor, follow_up_id)
    body, errors = _check_in_body(post.data, detail.instrument)
    form_rows = body.pop("form_rows")
    try:
        parsed = CheckInIn.model_validate(body)
    except ValidationError as exc:
        return Refused(_rename_rows({**readable_errors(exc), **errors}, form_rows), 422, False)
    if errors:
        return Refused(errors, 422, False)
    outcome = post.attempt(
        lambda: service.record_check_in(
            post.session, post.actor, follow_up_id, parsed, language=request_lang(post.request)
        )
    )
    if isinstance(outcome, Refused):
        return Refused(_rename_rows(outcome.errors, form_rows), outcome.status_code, outcome.stale)
    return outcome


# --- the patient's own check-in ---------------------------------------------------------


def _my_check_in(call: Call, follow_up_id: int, refused: Refused | None = None) -> Response:
    detail = service.get_follow_up(call.session, call.actor, follow_up_id)
    form = call.data if isinstance(call, Post) else {}
    context = {
        **_form_context(call, detail, form, refused.errors if refused else {}),
        "sent": call.request.query_params.get("sent") == "1",
    }
    status_code = refused.status_code if refused else 200
    return call.render("followup/my_check_in.html", context, status_code)


@router.get("/my/check-ins/{follow_up_id}")
def my_check_in(follow_up_id: int, call: Call = uses(PATIENT)) -> Response:
    in_patient_language(call, patients_service.get_visible)
    return _my_check_in(call, follow_up_id)


@router.post("/my/check-ins/{follow_up_id}")
def answer_my_check_in(follow_up_id: int, post: Post = posts(PATIENT)) -> Response:
    in_patient_language(post, patients_service.get_visible)  # the check-in records it
    post.data.pop("answered_on", None)
    post.data.pop("mode", None)
    return post.answer(
        _submit_check_in(post, follow_up_id),
        lambda refused: _my_check_in(post, follow_up_id, refused),
        f"/my/check-ins/{follow_up_id}?sent=1",
    )


# --- staff: one check-in ---------------------------------------------------------------


def _staff_page(
    call: Call,
    follow_up_id: int,
    *,
    form: dict[str, str] | None = None,
    refused: Refused | None = None,
    open_form: str | None = None,
) -> Response:
    detail = service.get_follow_up(call.session, call.actor, follow_up_id)
    patient = patients_service.get_patient(call.session, call.actor, detail.patient_id)
    errors = refused.errors if refused else {}
    check_in_errors = errors if open_form == "check-in" else {}
    role = call.actor.role
    context = {
        **patient_banner(patient),
        **_form_context(call, detail, form or {}, check_in_errors),
        "side_errors": {} if check_in_errors else errors,
        "open_form": open_form,
        "flash": call.request.query_params.get("done"),
        "can_enter": role in service.ON_BEHALF_ROLES,
        "can_call": role in service.CONTACT_ROLES,
        "can_record_visit": role in {Role.ADMIN, Role.PHYSICIAN},
    }
    return call.render("followup/detail.html", context, refused.status_code if refused else 200)


@router.get("/follow-ups/{follow_up_id}")
def follow_up_page(follow_up_id: int, call: Call = STAFF) -> Response:
    return _staff_page(call, follow_up_id)


def _back_to_follow_up(
    post: Post, follow_up_id: int, key: str, outcome: Any, form: dict[str, str] | None = None
) -> Response:
    """After a staff form of the check-in's page: back to the page with ``done=key``, or
    the page again with the form ``key`` open and its errors."""
    return post.answer(
        outcome,
        lambda refused: _staff_page(
            post, follow_up_id, form=form or post.data, refused=refused, open_form=key
        ),
        f"/follow-ups/{follow_up_id}?done={key}",
    )


@router.post("/follow-ups/{follow_up_id}/check-in")
def enter_check_in(follow_up_id: int, post: Post = ON_BEHALF_POST) -> Response:
    outcome = _submit_check_in(post, follow_up_id)
    return _back_to_follow_up(post, follow_up_id, "check-in", outcome)


@router.post("/follow-ups/{follow_up_id}/check-in/retract")
def retract_check_in(follow_up_id: int, post: Post = ON_BEHALF_POST) -> Response:
    outcome = post.submit(
        RetractionIn,
        post.data,
        lambda session, actor, body: service.retract_check_in(
            session, actor, follow_up_id, body.reason
        ),
    )
    return _back_to_follow_up(post, follow_up_id, "retract", outcome)


@router.post("/follow-ups/{follow_up_id}/contacts")
def record_contact(
    follow_up_id: int, post: Post = posts(PageAccess(*service.CONTACT_ROLES))
) -> Response:
    fields = {"reached": post.data.get("reached", ""), "note": post.data.get("note", "")}
    outcome = post.submit(ContactIn, fields, service.record_contact, follow_up_id)
    return _back_to_follow_up(post, follow_up_id, "contact", outcome, fields)


# --- staff: the list ----------------------------------------------------------------


@router.get("/follow-ups")
def board_page(call: Call = STAFF) -> Response:
    params = call.request.query_params
    view = params.get("view", "due")
    view = view if view in service.BOARD_VIEWS else "due"
    q = (params.get("q") or "")[:100]
    course = params.get("course", "")
    course_number = int(course) if course.isdigit() and int(course) > 0 else None
    result = service.board(call.session, call.actor, view=view, q=q, course_number=course_number)
    context = {
        "board": result,
        "view": view,
        "views": VIEW_LABELS,
        "q": q,
        "course": course_number or "",
        "can_plan": call.actor.role in service.PLAN_READ_ROLES,
        **SHARED,
    }
    return call.render("followup/board.html", context)


# --- the plan ---------------------------------------------------------------------------


def _plan_page(
    call: Call, form: dict[str, str] | None = None, refused: Refused | None = None
) -> Response:
    plan = service.get_plan(call.session, call.actor)
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
    context = {
        "plan": plan,
        "form": form,
        "rows": range(PLAN_ROWS),
        "can_write": call.actor.role in service.PLAN_WRITE_ROLES,
        "flash": call.request.query_params.get("saved"),
    }
    return call.render_form("followup/plan.html", context, refused)


@router.get("/follow-up-plan")
def plan_page(call: Call = uses(PageAccess(*service.PLAN_READ_ROLES))) -> Response:
    return _plan_page(call)


@router.post("/follow-up-plan")
def set_plan(post: Post = posts(PageAccess(*service.PLAN_WRITE_ROLES))) -> Response:
    data = post.data
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
    outcome = post.submit(PlanIn, body, service.set_plan)
    return post.answer(
        outcome, lambda refused: _plan_page(post, data, refused), "/follow-up-plan?saved=1"
    )


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
