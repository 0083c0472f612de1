"""The programme's limits: versioned data (the programme default until an admin stores
another version), the checks of a plan against the limits in force, each naming the
limit and its version, and the second physician who may override them with an
e-signature and a reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.accounts import service as accounts_service
from respira.kit import audit, records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.errors import InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import PROGRAMME_AUTHOR
from respira.protocols.models import Course, ProgrammeLimits
from respira.protocols.roles import LIMITS_ADMIN_ROLES, LIMITS_READ_ROLES
from respira.protocols.schemas import CourseIn, LimitBreach, LimitsIn, LimitsOut, OverrideIn

TISSUE_OF_SOURCE = {"autologous_bone_marrow": "bone_marrow", "autologous_adipose": "adipose"}
TISSUE_LABELS = {"bone_marrow": N_("bone marrow"), "adipose": N_("adipose tissue")}

DEFAULT_LIMITS: dict[str, Any] = {
    "dose_min_million_cells_per_kg": 0.5,
    "dose_max_million_cells_per_kg": 3.0,
    "max_infusions_per_course": 4,
    "stay_min_days": 3,
    "stay_max_days": 9,
    "lead_time_bone_marrow_days": 28,
    "lead_time_adipose_days": 21,
    "infusion_chairs_per_day": 4,
    "reason": N_(
        "Programme default: 0.5–3.0 ×10^6 cells/kg per IV infusion (clinical.md §5.3), at "
        "most 4 infusions, a stay of 3–9 days, autologous lead times of 28 days (bone "
        "marrow: plan 4–8 weeks) and 21 days (adipose: 3–6 weeks) from harvest "
        "(clinical.md §5.4), 4 infusion chairs a day."
    ),
}
DEFAULT_AUTHOR = PROGRAMME_AUTHOR
# The default's words as stored (English, in version 1's row): a page shows them in its
# reader's language; what an admin wrote is shown as written.
DEFAULT_TEXTS = frozenset({DEFAULT_LIMITS["reason"], DEFAULT_AUTHOR})


def fmt_dose(x: float) -> str:
    """A dose as people write it: 3.0, 0.5, 3.01."""
    text = f"{x:g}"
    return text if "." in text or "e" in text else f"{text}.0"


# --- programme limits -------------------------------------------------------------------


def _newest_limits(session: Session) -> ProgrammeLimits | None:
    return session.scalars(
        select(ProgrammeLimits).order_by(ProgrammeLimits.version.desc()).limit(1)
    ).first()


def _default_limits_out() -> LimitsOut:
    return LimitsOut(
        id=None,
        version=1,
        created_at=None,
        created_by_name=DEFAULT_AUTHOR,
        **DEFAULT_LIMITS,
    )


def limits_in_force(session: Session) -> LimitsOut:
    """The newest version of the limits (the programme default, version 1, until an
    admin stores another)."""
    row = _newest_limits(session)
    return LimitsOut.model_validate(row) if row is not None else _default_limits_out()


def current_limits(session: Session, actor: Actor) -> LimitsOut:
    require_role(actor, LIMITS_READ_ROLES)
    return limits_in_force(session)


def list_limits(session: Session, actor: Actor) -> list[LimitsOut]:
    require_role(actor, LIMITS_READ_ROLES)
    rows = session.scalars(select(ProgrammeLimits).order_by(ProgrammeLimits.version.desc()))
    found = [LimitsOut.model_validate(r) for r in rows]
    return found or [_default_limits_out()]


def _add(
    session: Session,
    actor: Actor,
    row: ProgrammeLimits,
    values: dict[str, Any],
    *,
    conflict: str,
    reason: str,
) -> None:
    """Store a version of the limits, audited; ``conflict`` answers another version
    stored at the same moment."""
    with records.flush_or_conflict(session, conflict):
        session.add(row)
    audit.record(
        session,
        actor,
        entity_type="programme_limits",
        entity_id=row.id,
        action="create",
        after={"version": row.version, **values},
        reason=reason,
    )


def limits_row(session: Session, actor: Actor, *, lock: bool = False) -> ProgrammeLimits:
    """The limits in force as a stored row (the default is stored, audited, the first
    time a use case needs it), locked ``FOR UPDATE`` when ``lock``: approvals, which
    take the infusion chairs, run one after the other."""
    row = _newest_limits(session)
    if row is None:
        row = ProgrammeLimits(version=1, created_by_name=DEFAULT_AUTHOR, **DEFAULT_LIMITS)
        _add(
            session,
            actor,
            row,
            DEFAULT_LIMITS,
            conflict="the programme limits were installed at the same moment; please retry",
            reason="programme default installed on first use",
        )
    if lock:
        locked = records.lock_row(session, ProgrammeLimits, row.id)
        assert locked is not None
        row = locked
    return row


def create_limits(session: Session, actor: Actor, data: LimitsIn) -> LimitsOut:
    """Store a new version of the limits; it is in force for every plan and approval
    from now on. Courses keep the version they were checked against."""
    require_role(actor, LIMITS_ADMIN_ROLES)
    problems = data.problems()
    if problems:
        raise InvalidInput(problems)
    newest = limits_row(session, actor, lock=True)
    values = data.model_dump()
    row = ProgrammeLimits(
        version=newest.version + 1,
        created_by_id=actor.user_id,
        created_by_name=actor.name,
        **values,
    )
    _add(
        session,
        actor,
        row,
        values,
        conflict="another version of the limits was stored at the same moment; reload them",
        reason=data.reason,
    )
    session.commit()
    return LimitsOut.model_validate(row)


# --- checking a plan against the limits ----------------------------------------------


class Plan:
    """The plan's values as the checks read them (from the request or a stored row)."""

    def __init__(
        self,
        *,
        start_date: dt.date,
        stay_days: int,
        infusions: list[tuple[int, float]],
    ) -> None:
        self.start_date = start_date
        self.stay_days = stay_days
        self.infusions = infusions

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.stay_days - 1)

    def infusion_dates(self) -> list[tuple[dt.date, int]]:
        return [(self.start_date + dt.timedelta(days=d - 1), d) for d, _ in self.infusions]

    @classmethod
    def of(cls, plan: CourseIn | Course) -> Plan:
        """The plan of a request or of a stored course."""
        return cls(
            start_date=plan.start_date,
            stay_days=plan.stay_days,
            infusions=[(i.day, i.dose_million_cells_per_kg) for i in plan.infusions],
        )


def limit_breaches(
    plan: Plan, limits: ProgrammeLimits | LimitsOut, harvest: Any | None
) -> list[LimitBreach]:
    """The programme limits the plan is outside of, each naming the limit's version."""
    ver = f"programme limits version {limits.version}"
    found: list[LimitBreach] = []
    low, high = limits.dose_min_million_cells_per_kg, limits.dose_max_million_cells_per_kg
    for i, (day, dose) in enumerate(plan.infusions):
        if dose < low:
            found.append(
                LimitBreach(
                    limit="dose_min_million_cells_per_kg",
                    field=f"infusions.{i}.dose_million_cells_per_kg",
                    message=f"{fmt_dose(dose)} ×10^6 cells/kg (day {day}) is below the lowest "
                    f"dose of {fmt_dose(low)} ×10^6 cells/kg per IV infusion ({ver})",
                )
            )
        elif dose > high:
            found.append(
                LimitBreach(
                    limit="dose_max_million_cells_per_kg",
                    field=f"infusions.{i}.dose_million_cells_per_kg",
                    message=f"{fmt_dose(dose)} ×10^6 cells/kg (day {day}) is above the highest "
                    f"dose of {fmt_dose(high)} ×10^6 cells/kg per IV infusion ({ver})",
                )
            )
    if len(plan.infusions) > limits.max_infusions_per_course:
        found.append(
            LimitBreach(
                limit="max_infusions_per_course",
                field="infusions",
                message=f"{len(plan.infusions)} IV infusions: at most "
                f"{limits.max_infusions_per_course} per course ({ver})",
            )
        )
    if plan.stay_days < limits.stay_min_days:
        found.append(
            LimitBreach(
                limit="stay_min_days",
                field="stay_days",
                message=f"a stay of {plan.stay_days} days is shorter than the shortest stay "
                f"of {limits.stay_min_days} days ({ver})",
            )
        )
    elif plan.stay_days > limits.stay_max_days:
        found.append(
            LimitBreach(
                limit="stay_max_days",
                field="stay_days",
                message=f"a stay of {plan.stay_days} days is longer than the longest stay "
                f"of {limits.stay_max_days} days ({ver})",
            )
        )
    if harvest is not None:
        key = f"lead_time_{harvest.tissue}_days"
        lead = int(getattr(limits, key))
        earliest = harvest.harvested_on + dt.timedelta(days=lead)
        if plan.start_date < earliest:
            found.append(
                LimitBreach(
                    limit=key,
                    field="start_date",
                    message=f"the cells of the {TISSUE_LABELS[harvest.tissue]} harvest of "
                    f"{harvest.harvested_on.isoformat()} need {lead} days from harvest to "
                    f"the first treatment day ({ver}; clinical.md §5.4): the earliest "
                    f"possible start is {earliest.isoformat()}",
                )
            )
    return found


def refuse_breaches(breaches: list[LimitBreach]) -> None:
    errors: dict[str, str] = {}
    for b in breaches:
        errors[b.field] = f"{errors[b.field]}; {b.message}" if b.field in errors else b.message
    for key in errors:
        errors[key] += (
            " — outside the programme's limits only with a second physician's e-signed "
            "override and a reason"
        )
    raise InvalidInput(errors)


# --- the second physician's override --------------------------------------------------


def second_physician(session: Session, author: Actor, override: OverrideIn) -> Actor:
    """The override's second physician: an active physician account that is not the
    author of the plan."""
    users = accounts_service.list_users(session)
    if override.second_physician_id is not None:
        found = next((u for u in users if u.id == override.second_physician_id), None)
        named = f"account {override.second_physician_id}"
        field = "override.second_physician_id"
    else:
        assert override.second_physician_email is not None
        try:
            email = accounts_service.normalise_email(override.second_physician_email)
        except InvalidInput as exc:
            raise InvalidInput(
                {"override.second_physician_email": exc.errors.get("email", str(exc))}
            ) from None
        found = next((u for u in users if u.email == email), None)
        named = email
        field = "override.second_physician_email"
    if found is None or not found.is_active or found.role != Role.PHYSICIAN:
        raise InvalidInput({field: f"{named} is not an active physician's account"})
    if found.id == author.user_id:
        raise InvalidInput(
            {
                field: "the second physician must be another physician than the author of "
                "the plan: you cannot override the limits of your own plan"
            }
        )
    return Actor(user_id=found.id, role=found.role, name=found.name)
