"""The messages' pages: the care team's queue and a thread's page (reply, assign, close
or reopen), the threads section of the staff's patient page, and the patient's own
pages ``/my/messages`` (their threads, a new one) and ``/my/messages/{id}``, in the
patient's language. Opening a thread's page marks it read for the reader's side."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor, Role
from respira.kit.db import Database
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.language import in_patient_language
from respira.kit.web.routes import Call, Post, posts, see_other, uses
from respira.kit.web.templating import gettext_for, patient_banner
from respira.messages import service
from respira.messages.schemas import AssignIn, MessageIn, ThreadIn
from respira.messages.texts import PATIENT_ERRORS
from respira.patients import service as patients_service

router = APIRouter(include_in_schema=False)

CARE_TEAM = PageAccess(*service.CARE_TEAM)
PATIENT = PageAccess(Role.PATIENT)
REFUSALS = (Conflict, InvalidInput, NotFound)


def _version(data: dict[str, str]) -> int | Refused:
    text = data.get("version", "")
    if not text.isdigit():
        return Refused(
            {"__all__": "the form is missing the thread's version; reload the page"}, 422, False
        )
    return int(text)


def _opened(request: Request, actor: Actor, thread_id: int) -> Any:
    """The thread, marked read for the reader's side (in a write transaction of its
    own: the page is a GET)."""
    db: Database = request.app.state.db
    with db.transaction() as session:
        return service.open_thread(session, actor, thread_id)


# --- the care team ----------------------------------------------------------------------


@router.get("/messages")
def queue_page(call: Call = uses(CARE_TEAM)) -> Response:
    show = call.request.query_params.get("show", "all")
    show = show if show in service.SHOW else "all"
    rows = service.queue(call.session, call.actor, show=show)
    return call.render(
        "messages/queue.html",
        {"rows": [(r, service.waiting_parts(r.waiting_minutes)) for r in rows], "show": show},
    )


def _thread_page(
    call: Call,
    thread: Any,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    patient = patients_service.get_patient(call.session, call.actor, thread.patient_id)
    return call.render(
        "messages/thread.html",
        {
            **patient_banner(patient),
            "thread": thread,
            "choices": service.staff_choices(call.session, call.actor),
            "errors": errors or {},
            "form": form or {},
        },
        status_code,
    )


@router.get("/messages/{thread_id}")
def thread_page(thread_id: int, call: Call = uses(CARE_TEAM)) -> Response:
    return _thread_page(call, _opened(call.request, call.actor, thread_id))


def _answer(post: Post, thread_id: int, outcome: Any) -> Response:
    if isinstance(outcome, Refused):
        thread = service.get_thread(post.session, post.actor, thread_id)
        return _thread_page(
            post, thread, errors=outcome.errors, form=post.data, status_code=outcome.status_code
        )
    return see_other(f"/messages/{thread_id}")


@router.post("/messages/{thread_id}/reply")
def reply(thread_id: int, post: Post = posts(CARE_TEAM)) -> Response:
    outcome = post.submit(
        MessageIn, {"body": post.data.get("body", "")}, service.reply, thread_id, refusals=REFUSALS
    )
    return _answer(post, thread_id, outcome)


@router.post("/messages/{thread_id}/assign")
def assign(thread_id: int, post: Post = posts(CARE_TEAM)) -> Response:
    version = _version(post.data)
    chosen = post.data.get("assignee", "")
    fields = {"on_call": True} if chosen == "on_call" else {"assignee_id": chosen or None}
    outcome: Any = version
    if not isinstance(version, Refused):
        outcome = post.submit(
            AssignIn,
            fields,
            lambda session, actor, body: service.assign(session, actor, thread_id, body, version),
            refusals=REFUSALS,
        )
    if isinstance(outcome, Refused) and "assignee_id" in outcome.errors:
        outcome = Refused({"assignee": outcome.errors["assignee_id"]}, outcome.status_code, False)
    return _answer(post, thread_id, outcome)


@router.post("/messages/{thread_id}/status")
def change_status(thread_id: int, post: Post = posts(CARE_TEAM)) -> Response:
    version = _version(post.data)
    status = post.data.get("status", "")
    outcome: Any = version
    if status not in ("open", "closed"):
        outcome = Refused({"__all__": N_("choose to close or to reopen the thread")}, 422, False)
    elif not isinstance(version, Refused):
        outcome = post.attempt(
            lambda: service.set_status(post.session, post.actor, thread_id, status, version),
            refusals=REFUSALS,
        )
    return _answer(post, thread_id, outcome)


@router.post("/patients/{patient_id}/threads")
def start_for_patient(patient_id: int, post: Post = posts(CARE_TEAM)) -> Response:
    """Staff write to a patient from the patient's page."""
    fields = {k: post.data.get(k, "") for k in ("subject", "body")}
    outcome = post.submit(ThreadIn, fields, service.start_thread, patient_id, refusals=REFUSALS)
    if isinstance(outcome, Refused):
        patient = patients_service.get_patient(post.session, post.actor, patient_id)
        return post.render(
            "messages/new_for_patient.html",
            {**patient_banner(patient), "errors": outcome.errors, "form": post.data},
            outcome.status_code,
        )
    return see_other(f"/messages/{outcome.id}")


def patient_section(session: Session, actor: Actor, patient: Any) -> dict[str, Any] | None:
    if actor.role not in service.CARE_TEAM:
        return None
    return {"patient": patient, "threads": service.threads_for_patient(session, actor, patient.id)}


# --- the patient ------------------------------------------------------------------------


def _plain(call: Call, errors: dict[str, str]) -> dict[str, str]:
    """A patient's form errors in plain words, in their language."""
    _ = gettext_for(call.request)
    return {k: _(PATIENT_ERRORS.get(k, v)) for k, v in errors.items()}


def _my_threads(
    call: Call, errors: dict[str, str], form: dict[str, str], status: int = 200
) -> Response:
    in_patient_language(call, patients_service.get_patient)
    errors = _plain(call, errors)
    assert call.actor.patient_id is not None
    threads = service.threads_for_patient(call.session, call.actor, call.actor.patient_id)
    return call.render(
        "messages/my_threads.html", {"threads": threads, "errors": errors, "form": form}, status
    )


@router.get("/my/messages")
def my_threads(call: Call = uses(PATIENT)) -> Response:
    return _my_threads(call, {}, {})


@router.post("/my/messages")
def my_new_thread(post: Post = posts(PATIENT)) -> Response:
    assert post.actor.patient_id is not None
    fields = {k: post.data.get(k, "") for k in ("subject", "body")}
    outcome = post.submit(ThreadIn, fields, service.start_thread, post.actor.patient_id)
    if isinstance(outcome, Refused):
        return _my_threads(post, outcome.errors, post.data, outcome.status_code)
    return see_other(f"/my/messages/{outcome.id}?sent=1")


def _my_thread(
    call: Call, thread: Any, errors: dict[str, str], form: dict[str, str], status: int = 200
) -> Response:
    in_patient_language(call, patients_service.get_patient)
    errors = _plain(call, errors)
    sent = bool(call.request.query_params.get("sent"))
    return call.render(
        "messages/my_thread.html",
        {"thread": thread, "errors": errors, "form": form, "sent": sent},
        status,
    )


@router.get("/my/messages/{thread_id}")
def my_thread(thread_id: int, call: Call = uses(PATIENT)) -> Response:
    return _my_thread(call, _opened(call.request, call.actor, thread_id), {}, {})


@router.post("/my/messages/{thread_id}")
def my_reply(thread_id: int, post: Post = posts(PATIENT)) -> Response:
    outcome = post.submit(MessageIn, {"body": post.data.get("body", "")}, service.reply, thread_id)
    if isinstance(outcome, Refused):
        thread = service.get_thread(post.session, post.actor, thread_id)
        return _my_thread(post, thread, outcome.errors, post.data, outcome.status_code)
    return see_other(f"/my/messages/{thread_id}?sent=1")
