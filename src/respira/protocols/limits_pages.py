"""HTML pages of the programme's limits: the version in force, the earlier versions, and
the admin's form for a new version."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, uses
from respira.protocols import service
from respira.protocols.limits import DEFAULT_TEXTS
from respira.protocols.page_router import router
from respira.protocols.schemas import LimitsIn

LIMIT_FIELDS: list[tuple[str, str, str]] = [
    ("dose_min_million_cells_per_kg", N_("Lowest dose per IV infusion"), N_("×10^6 cells/kg")),
    ("dose_max_million_cells_per_kg", N_("Highest dose per IV infusion"), N_("×10^6 cells/kg")),
    ("max_infusions_per_course", N_("Most IV infusions per course"), N_("infusions")),
    ("stay_min_days", N_("Shortest stay"), N_("days")),
    ("stay_max_days", N_("Longest stay"), N_("days")),
    ("lead_time_bone_marrow_days", N_("Lead time from a bone marrow harvest"), N_("days")),
    ("lead_time_adipose_days", N_("Lead time from an adipose harvest"), N_("days")),
    ("infusion_chairs_per_day", N_("Infusion chairs a day"), N_("chairs")),
]


def _limits_page(
    call: Call, form: dict[str, Any] | None = None, refused: Refused | None = None
) -> Response:
    versions = service.list_limits(call.session, call.actor)
    current = versions[0]
    if form is None:
        form = {name: f"{getattr(current, name):g}" for name, _, _ in LIMIT_FIELDS}
    return call.render_form(
        "protocols/limits.html",
        {
            "current": current,
            "versions": versions,
            "fields": LIMIT_FIELDS,
            "shipped": DEFAULT_TEXTS,
            "form": form,
            "can_edit": call.actor.role in service.LIMITS_ADMIN_ROLES,
            "flash": call.flash({"stored": N_("New version stored; it is in force now.")}),
        },
        refused,
    )


@router.get("/programme-limits")
def limits_page(call: Call = uses(PageAccess(*service.LIMITS_READ_ROLES))) -> Response:
    return _limits_page(call)


@router.post("/programme-limits")
def store_limits(post: Post = posts(PageAccess(*service.LIMITS_ADMIN_ROLES))) -> Response:
    form = {name: post.data.get(name, "") for name, _, _ in LIMIT_FIELDS}
    form["reason"] = post.data.get("reason", "")
    fields = {k: (v.strip() or None) for k, v in form.items()}
    outcome = post.submit(LimitsIn, fields, service.create_limits)
    return post.answer(
        outcome, lambda refused: _limits_page(post, form, refused), "/programme-limits?stored=1"
    )
