"""HTML pages of the programme's limits: the version in force, the earlier versions, and
the admin's form for a new version."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.web.deps import PageAccess, get_db
from respira.kit.web.forms import Refused, posted_form, submit
from respira.kit.web.templating import render
from respira.protocols import service
from respira.protocols.page_router import router
from respira.protocols.schemas import LimitsIn

LIMIT_FIELDS: list[tuple[str, str, str]] = [
    ("dose_min_million_cells_per_kg", "Lowest dose per IV infusion", "×10^6 cells/kg"),
    ("dose_max_million_cells_per_kg", "Highest dose per IV infusion", "×10^6 cells/kg"),
    ("max_infusions_per_course", "Most IV infusions per course", "infusions"),
    ("stay_min_days", "Shortest stay", "days"),
    ("stay_max_days", "Longest stay", "days"),
    ("lead_time_bone_marrow_days", "Lead time from a bone marrow harvest", "days"),
    ("lead_time_adipose_days", "Lead time from an adipose harvest", "days"),
    ("infusion_chairs_per_day", "Infusion chairs a day", "chairs"),
]


def _limits_page(
    request: Request,
    session: Session,
    actor: Actor,
    form: dict[str, Any] | None,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    versions = service.list_limits(session, actor)
    current = versions[0]
    if form is None:
        form = {name: f"{getattr(current, name):g}" for name, _, _ in LIMIT_FIELDS}
    return render(
        request,
        "protocols/limits.html",
        {
            "current": current,
            "versions": versions,
            "fields": LIMIT_FIELDS,
            "form": form,
            "errors": errors,
            "can_edit": actor.role in service.LIMITS_ADMIN_ROLES,
            "flash": "New version stored; it is in force now."
            if request.query_params.get("stored")
            else None,
        },
        status_code,
    )


@router.get("/programme-limits")
def limits_page(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.LIMITS_READ_ROLES)),
) -> Response:
    return _limits_page(request, session, actor, None, {})


@router.post("/programme-limits")
def store_limits(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.LIMITS_ADMIN_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    form = {name: data.get(name, "") for name, _, _ in LIMIT_FIELDS}
    form["reason"] = data.get("reason", "")
    outcome = submit(
        session,
        LimitsIn,
        {k: (v.strip() or None) for k, v in form.items()},
        lambda body: service.create_limits(session, actor, body),
    )
    if isinstance(outcome, Refused):
        return _limits_page(request, session, actor, form, outcome.errors, outcome.status_code)
    return RedirectResponse("/programme-limits?stored=1", status_code=303)
