"""HTML pages of the safety overview: ``/safety`` (serious events needing attention, the
programme's counts by term and grade with the number of patients treated, the lots with
events and their flags), a lot's page (its events, the laboratory's hold or recall), the
on-call roster (admins) and the reference list of expected reactions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from respira.kit.clinic_time import clinic_today
from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, uses
from respira.safety import labels, service
from respira.safety.pages import page_with_form
from respira.safety.schemas import ExpectedListIn, LotHoldIn, OnCallIn

router = APIRouter(include_in_schema=False)
REFUSALS = (Conflict, InvalidInput, Forbidden, NotFound)
ROSTER_POST = posts(PageAccess(*service.ROSTER_ROLES))


@router.get("/safety")
def overview(call: Call = uses(PageAccess(*service.OVERVIEW_ROLES))) -> Response:
    role = call.actor.role
    reads_events = role in service.READ_ROLES
    now = utcnow()
    waiting = service.open_serious(call.session, call.actor) if reads_events else []
    return call.render(
        "safety/overview.html",
        {
            "programme": service.programme(call.session, call.actor),
            "lots": service.lot_flags(call.session, call.actor),
            "waiting": [
                (e, service.countdown(e.report_due_at, now, None) if e.report_due_at else None)
                for e in waiting
            ],
            "reads_events": reads_events,
            "reads_lots": role in service.LOT_ROLES,
            "can_roster": role in service.ROSTER_ROLES,
            "reads_expected": role in service.EXPECTED_READ_ROLES,
        },
    )


# --- a lot ------------------------------------------------------------------------------


def _lot_page(
    call: Call, lot_id: int, refused: Refused | None = None, form: Any = None
) -> Response:
    context = {
        "lot": service.lot_detail(call.session, call.actor, lot_id),
        "can_hold": call.actor.role in service.LOT_HOLD_ROLES,
        "reads_events": call.actor.role in service.READ_ROLES,
        "causality_labels": labels.CAUSALITY,
    }
    flashes = {"held": N_("The lot was stopped.")}
    return page_with_form(call, "safety/lot.html", context, refused, form, flashes)


@router.get("/safety/lots/{lot_id}")
def lot_page(lot_id: int, call: Call = uses(PageAccess(*service.LOT_ROLES))) -> Response:
    return _lot_page(call, lot_id)


@router.post("/safety/lots/{lot_id}/hold")
def hold_lot(
    lot_id: int, post: Post = posts(PageAccess(*service.LOT_HOLD_ROLES), signature="password")
) -> Response:
    outcome = post.sign(LotHoldIn, service.hold_lot, lot_id, field="reason")
    form = {"reason": post.data.get("reason", "")}
    return post.answer(
        outcome,
        lambda refused: _lot_page(post, lot_id, refused, form),
        f"/safety/lots/{lot_id}?held=1",
    )


# --- the on-call roster -----------------------------------------------------------------


def _roster_page(call: Call, refused: Refused | None = None, form: Any = None) -> Response:
    now = utcnow()
    choices = service.rosterable(call.session, call.actor)
    people = {ref.user_id: ref for refs in choices.values() for ref in refs}
    context = {
        "shifts": service.roster(call.session, call.actor, now),
        "now": now,
        "people": [(r.user_id, f"{r.name} · {r.email}") for r in people.values()],
        "role_labels": labels.ROSTER_ROLES,
        "zone": get_settings().clinic_timezone,
    }
    flashes = {
        "added": N_("The shift was added to the roster."),
        "removed": N_("The shift was taken off the roster."),
    }
    return page_with_form(call, "safety/roster.html", context, refused, form, flashes)


@router.get("/safety/on-call")
def roster_page(call: Call = uses(PageAccess(*service.ROSTER_ROLES))) -> Response:
    return _roster_page(call)


@router.post("/safety/on-call")
def add_shift(post: Post = ROSTER_POST) -> Response:
    fields = {
        "user_id": post.data.get("user_id", ""),
        "role": post.data.get("role", ""),
        "starts_at": post.data.get("starts_at", ""),
        "ends_at": post.data.get("ends_at", ""),
    }
    outcome = post.submit(OnCallIn, fields, service.add_shift, moments=("starts_at", "ends_at"))
    return post.answer(
        outcome, lambda refused: _roster_page(post, refused, post.data), "/safety/on-call?added=1"
    )


@router.post("/safety/on-call/{shift_id}/remove")
def remove_shift(shift_id: int, post: Post = ROSTER_POST) -> Response:
    outcome = post.attempt(
        lambda: service.remove_shift(post.session, post.actor, shift_id), refusals=REFUSALS
    )
    return post.answer(
        outcome, lambda refused: _roster_page(post, refused), "/safety/on-call?removed=1"
    )


# --- the reference list of expected reactions ------------------------------------------


def _expected_page(call: Call, refused: Refused | None = None, form: Any = None) -> Response:
    versions = service.expected_list_versions(call.session, call.actor)
    context = {
        "versions": versions,
        "in_force": service.expected_list_in_force(call.session, clinic_today()),
        "catalogue": service.ctcae(),
        "can_publish": call.actor.role in service.EXPECTED_WRITE_ROLES,
    }
    flashes = {"published": N_("The new version was published.")}
    form = form or {"terms": versions[0].terms}
    return page_with_form(call, "safety/expected.html", context, refused, form, flashes)


@router.get("/safety/expected-reactions")
def expected_page(call: Call = uses(PageAccess(*service.EXPECTED_READ_ROLES))) -> Response:
    return _expected_page(call)


@router.post("/safety/expected-reactions")
def publish_expected(post: Post = posts(PageAccess(*service.EXPECTED_WRITE_ROLES))) -> Response:
    fields = {
        "effective_from": post.data.get("effective_from", ""),
        "source": post.data.get("source", ""),
        "terms": [t for t in service.ctcae().names if post.data.get(f"term-{t}")],
    }
    outcome = post.submit(ExpectedListIn, fields, service.publish_expected_list)
    return post.answer(
        outcome,
        lambda refused: _expected_page(post, refused, fields),
        "/safety/expected-reactions?published=1",
    )
