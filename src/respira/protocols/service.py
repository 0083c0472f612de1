"""Use cases of the protocol step: the programme's limits (versioned data), drafting a
treatment course for an eligible patient, the second physician's override of a limit,
approving a course with an e-signature, revising an approved course into a new version
that supersedes it, repeat courses, and what the ward and the other steps read.

Clinical sources (``/work/shared/reference/clinical.md`` §5):

- Doses: the default limits of 0.5–3.0 ×10^6 cells/kg per IV infusion bracket the IV
  doses of the lung-disease trials in §5.3 (1–2 ×10^6/kg typical; a flat 100 ×10^6 is
  ≈1.3–1.5 ×10^6/kg at 70 kg). §5.3 "Dose normalisation": store both the absolute cell
  count and the cells/kg, with the weight used and its date — every infusion keeps its
  ``cells_total`` = round(dose × 10^6 × weight) next to the dose, and the course the
  weight and its date.
- Autologous lead times, §5.4: bone marrow "≈3–6 weeks of culture + ≥7–14 days
  sterility → plan 4–8 weeks from harvest to infusion" (default 28 days, the lower
  end); adipose "≈2–4 weeks culture + release testing → 3–6 weeks" (default 21 days).
  Allogeneic cord cells come "from inventory; QC already done" (§5.4), so they have no
  lead time; the dose preparation takes them from a released lot.

Rules, each answering with a message that names the field and the rule:

- A course is drafted only for a patient whose latest signed screening decided
  ``eligible`` (signed "approved eligibility"); otherwise 409 naming why.
- The programme's limits are data with a version (``programme_limits``); outside a
  limit the answer is 422 naming the limit and its version, unless a second physician
  (another physician than the author) e-signs an override with a reason.
- An autologous course names the patient's own harvest of the matching tissue, and
  starts no sooner than the harvest date plus the tissue's lead time (422 with the
  earliest possible date).
- The infusion room has ``infusion_chairs_per_day`` chairs: a plan whose IV infusion
  would take a chair on a day when approved courses already take them all is refused
  (409 naming the days). Checked at drafting and again at approval, when the chairs
  are taken (approvals run one at a time: they lock the limits row in force).
- An approved course never changes: ``revise`` makes the next version as a draft, and
  approving it marks the approved one ``superseded``; a revised draft is superseded at
  once. ``changes_from_previous`` lists the differences field by field.
- The patient's regular asthma medication is recorded at approval from the newest
  treatment history in diagnostics ("not recorded" without one); the printout tells the
  patient to continue it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from respira.accounts import service as accounts_service
from respira.diagnostics import service as diagnostics_service
from respira.kit import audit, records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.validation import today_utc
from respira.patients import service as patients_service
from respira.products import service as products_service
from respira.protocols.models import (
    APPROVAL_MEANING,
    OVERRIDE_MEANING,
    Course,
    CourseInfusion,
    CourseNebulisation,
    CourseSupporting,
    ProgrammeLimits,
)
from respira.protocols.schemas import (
    MODALITY_LABELS,
    SOURCE_LABELS,
    ChangeOut,
    CourseIn,
    CourseOut,
    DayPlan,
    Eligibility,
    InfusionOut,
    LimitBreach,
    LimitsIn,
    LimitsOut,
    NebulisationOut,
    OverrideIn,
    OverrideOut,
    SupportingOut,
)
from respira.screening import service as screening_service

__all__ = [
    "APPROVAL_MEANING",
    "LIMITS_ADMIN_ROLES",
    "LIMITS_READ_ROLES",
    "MODALITY_LABELS",
    "OVERRIDE_MEANING",
    "READ_ROLES",
    "SOURCE_LABELS",
    "WRITE_ROLES",
    "approve_course",
    "approved_courses_on",
    "cells_total",
    "create_limits",
    "current_limits",
    "day_by_day",
    "draft_course",
    "eligibility",
    "form_values",
    "get_course",
    "limits_in_force",
    "list_courses",
    "list_limits",
    "other_physicians",
    "patient_harvests",
    "revise_course",
]

WRITE_ROLES = frozenset({Role.PHYSICIAN})
# The ward (nurses), travel (coordinators) and dose preparation (lab) read courses; a
# patient reads their own approved ones.
READ_ROLES = frozenset(
    {Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.COORDINATOR, Role.LAB, Role.PATIENT}
)
LIMITS_READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN})
LIMITS_ADMIN_ROLES = frozenset({Role.ADMIN})

TISSUE_OF_SOURCE = {"autologous_bone_marrow": "bone_marrow", "autologous_adipose": "adipose"}
TISSUE_LABELS = {"bone_marrow": "bone marrow", "adipose": "adipose tissue"}

DEFAULT_LIMITS: dict[str, Any] = {
    "dose_min_million_cells_per_kg": 0.5,
    "dose_max_million_cells_per_kg": 3.0,
    "max_infusions_per_course": 4,
    "stay_min_days": 3,
    "stay_max_days": 9,
    "lead_time_bone_marrow_days": 28,
    "lead_time_adipose_days": 21,
    "infusion_chairs_per_day": 4,
    "reason": (
        "Programme default: 0.5–3.0 ×10^6 cells/kg per IV infusion (clinical.md §5.3), at "
        "most 4 infusions, a stay of 3–9 days, autologous lead times of 28 days (bone "
        "marrow: plan 4–8 weeks) and 21 days (adipose: 3–6 weeks) from harvest "
        "(clinical.md §5.4), 4 infusion chairs a day."
    ),
}
DEFAULT_AUTHOR = "Respira (programme default)"
NOT_RECORDED = "not recorded"


def _fmt(x: float) -> str:
    """A dose as people write it: 3.0, 0.5, 3.01."""
    text = f"{x:g}"
    return text if "." in text or "e" in text else f"{text}.0"


def cells_total(dose_million_cells_per_kg: float, weight_kg: float) -> int:
    """round(dose × 10^6 × weight), in decimal arithmetic so that 1.5 ×10^6/kg at
    64.5 kg is exactly 96 750 000 cells (clinical.md §5.3, dose normalisation)."""
    exact = Decimal(str(dose_million_cells_per_kg)) * Decimal(1_000_000) * Decimal(str(weight_kg))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


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


def _limits_row(session: Session, actor: Actor, *, lock: bool = False) -> ProgrammeLimits:
    """The limits in force as a stored row (the default is stored, audited, the first
    time a use case needs it), locked ``FOR UPDATE`` when ``lock``: approvals, which
    take the infusion chairs, run one after the other."""
    row = _newest_limits(session)
    if row is None:
        row = ProgrammeLimits(version=1, created_by_name=DEFAULT_AUTHOR, **DEFAULT_LIMITS)
        with records.flush_or_conflict(
            session, "the programme limits were installed at the same moment; please retry"
        ):
            session.add(row)
        audit.record(
            session,
            actor,
            entity_type="programme_limits",
            entity_id=row.id,
            action="create",
            after={"version": 1, **DEFAULT_LIMITS},
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
    newest = _limits_row(session, actor, lock=True)
    values = data.model_dump()
    row = ProgrammeLimits(
        version=newest.version + 1,
        created_by_id=actor.user_id,
        created_by_name=actor.name,
        **values,
    )
    with records.flush_or_conflict(
        session, "another version of the limits was stored at the same moment; reload them"
    ):
        session.add(row)
    audit.record(
        session,
        actor,
        entity_type="programme_limits",
        entity_id=row.id,
        action="create",
        after={"version": row.version, **values},
        reason=data.reason,
    )
    session.commit()
    return LimitsOut.model_validate(row)


# --- eligibility --------------------------------------------------------------------------


def eligibility(session: Session, actor: Actor, patient_id: int) -> Eligibility:
    """Whether the patient's latest signed screening decided ``eligible`` (and was
    signed "approved eligibility"), asked of screening."""
    summary = screening_service.patient_summary(session, actor, patient_id)
    in_force, newest = summary["in_force"], summary["newest"]
    if in_force is None:
        if newest is None:
            return Eligibility(
                eligible=False,
                screening_id=None,
                reason="the patient has no screening: a course needs a signed screening "
                "that decided eligible",
            )
        return Eligibility(
            eligible=False,
            screening_id=newest.id,
            reason=f"screening {newest.id} ({newest.decision.replace('_', ' ')}) is not "
            "signed: a course needs a signed screening that decided eligible",
        )
    if in_force.decision != "eligible" or in_force.meaning != screening_service.APPROVED:
        decided = in_force.decision.replace("_", " ")
        return Eligibility(
            eligible=False,
            screening_id=in_force.id,
            reason=f"the latest signed screening ({in_force.id}, signed “{in_force.meaning}” "
            f"by {in_force.signed_by_name}) decided {decided}: a course needs a signed "
            "screening that decided eligible",
        )
    return Eligibility(
        eligible=True,
        screening_id=in_force.id,
        reason=f"screening {in_force.id} decided eligible, signed by {in_force.signed_by_name}",
    )


def _require_eligible(session: Session, actor: Actor, patient_id: int) -> None:
    found = eligibility(session, actor, patient_id)
    if not found.eligible:
        raise Conflict(f"no course can be planned: {found.reason}")


# --- checking a plan --------------------------------------------------------------------


def _harvest(session: Session, actor: Actor, patient_id: int, data: CourseIn) -> Any | None:
    """The plan's harvest (the products step's ``HarvestOut``), checked: none for cord
    cells; the patient's own, of the source's tissue, for an autologous course."""
    if data.source == "allogeneic_cord":
        if data.harvest_id is not None:
            raise InvalidInput(
                {
                    "harvest_id": "an allogeneic cord course takes its cells from a released "
                    "donor lot, not from a harvest: leave the harvest empty"
                }
            )
        return None
    tissue = TISSUE_OF_SOURCE[data.source]
    if data.harvest_id is None:
        raise InvalidInput(
            {
                "harvest_id": f"an autologous course needs the patient's "
                f"{TISSUE_LABELS[tissue]} harvest first: record it in the cell laboratory "
                "and name it here"
            }
        )
    try:
        harvest = products_service.get_harvest(session, actor, data.harvest_id)
    except NotFound:
        raise InvalidInput({"harvest_id": f"there is no harvest {data.harvest_id}"}) from None
    if harvest.patient_id != patient_id:
        raise InvalidInput(
            {
                "harvest_id": f"harvest {harvest.id} is another patient's: an autologous "
                "course uses the patient's own cells"
            }
        )
    if harvest.tissue != tissue:
        found = TISSUE_LABELS.get(harvest.tissue, harvest.tissue)
        raise InvalidInput(
            {
                "harvest_id": f"harvest {harvest.id} is {found}; an "
                f"{data.source.replace('_', ' ')} course needs a "
                f"{TISSUE_LABELS[tissue]} harvest"
            }
        )
    return harvest


def _breaches(
    plan: _Plan, limits: ProgrammeLimits | LimitsOut, harvest: Any | None
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
                    message=f"{_fmt(dose)} ×10^6 cells/kg (day {day}) is below the lowest "
                    f"dose of {_fmt(low)} ×10^6 cells/kg per IV infusion ({ver})",
                )
            )
        elif dose > high:
            found.append(
                LimitBreach(
                    limit="dose_max_million_cells_per_kg",
                    field=f"infusions.{i}.dose_million_cells_per_kg",
                    message=f"{_fmt(dose)} ×10^6 cells/kg (day {day}) is above the highest "
                    f"dose of {_fmt(high)} ×10^6 cells/kg per IV infusion ({ver})",
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


def _refuse_breaches(breaches: list[LimitBreach]) -> None:
    errors: dict[str, str] = {}
    for b in breaches:
        errors[b.field] = f"{errors[b.field]}; {b.message}" if b.field in errors else b.message
    for key in errors:
        errors[key] += (
            " — outside the programme's limits only with a second physician's e-signed "
            "override and a reason"
        )
    raise InvalidInput(errors)


def _second_physician(session: Session, author: Actor, override: OverrideIn) -> Actor:
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


class _Plan:
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
    def of_request(cls, data: CourseIn) -> _Plan:
        return cls(
            start_date=data.start_date,
            stay_days=data.stay_days,
            infusions=[(i.day, i.dose_million_cells_per_kg) for i in data.infusions],
        )

    @classmethod
    def of_row(cls, row: Course) -> _Plan:
        return cls(
            start_date=row.start_date,
            stay_days=row.stay_days,
            infusions=[(i.day, i.dose_million_cells_per_kg) for i in row.infusions],
        )


def _check_start(plan: _Plan, previous: Course | None) -> None:
    """A plan starts today or later; a revision of a course already under way may keep
    its start date."""
    if plan.start_date >= today_utc():
        return
    if previous is not None and previous.start_date == plan.start_date:
        return
    raise InvalidInput(
        {
            "start_date": f"{plan.start_date.isoformat()} is in the past: a course is planned "
            "ahead (only a revision of a course already under way keeps its start date)"
        }
    )


def _check_overlap(session: Session, patient_id: int, plan: _Plan, number: int | None) -> None:
    """One stay at a time: the patient's approved courses of other numbers may not
    overlap the plan's stay."""
    stmt = select(Course).where(
        Course.patient_id == patient_id,
        Course.status == "approved",
        Course.start_date <= plan.end_date,
        Course.end_date >= plan.start_date,
    )
    if number is not None:
        stmt = stmt.where(Course.number != number)
    other = session.scalars(stmt.limit(1)).first()
    if other is not None:
        raise Conflict(
            f"the stay {plan.start_date.isoformat()}–{plan.end_date.isoformat()} overlaps "
            f"course {other.number} (approved, {other.start_date.isoformat()}–"
            f"{other.end_date.isoformat()}): one stay at a time"
        )


def _check_capacity(
    session: Session, plan: _Plan, limits: ProgrammeLimits, exclude: Iterable[int]
) -> None:
    """Every IV infusion day must have a free chair, counting approved courses."""
    dates = dict(plan.infusion_dates())
    if not dates:
        return
    stmt = (
        select(CourseInfusion.on_date, func.count(CourseInfusion.id))
        .join(Course, Course.id == CourseInfusion.course_id)
        .where(Course.status == "approved", CourseInfusion.on_date.in_(list(dates)))
        .group_by(CourseInfusion.on_date)
    )
    excluded = [i for i in exclude if i is not None]
    if excluded:
        stmt = stmt.where(Course.id.not_in(excluded))
    chairs = limits.infusion_chairs_per_day
    full = sorted((day, n) for day, n in session.execute(stmt).all() if n + 1 > chairs)
    if full:
        listed = ", ".join(
            f"{day.isoformat()} (day {dates[day]}, {n} of {chairs} chairs taken)" for day, n in full
        )
        raise Conflict(
            f"the infusion room is full on {listed}: it has {chairs} chairs a day "
            f"(programme limits version {limits.version}); move the IV infusions to other days"
        )


# --- building and reading courses -------------------------------------------------------


def _content(row: Course, limits_version: int) -> dict[str, Any]:
    """What a course plans, as it is signed, audited and compared between versions."""
    return {
        "patient_id": row.patient_id,
        "number": row.number,
        "version": row.version,
        "source": row.source,
        "harvest_id": row.harvest_id,
        "start_date": row.start_date,
        "end_date": row.end_date,
        "stay_days": row.stay_days,
        "weight_kg": row.weight_kg,
        "weight_measured_on": row.weight_measured_on,
        "premedication": row.premedication,
        "repeat_of_id": row.repeat_of_id,
        "limits_version": limits_version,
        "infusions": [
            {
                "day": i.day,
                "date": i.on_date,
                "dose_million_cells_per_kg": i.dose_million_cells_per_kg,
                "cells_total": i.cells_total,
            }
            for i in row.infusions
        ],
        "nebulisations": [
            {"day": n.day, "date": n.on_date, "amount_million_cells": n.amount_million_cells}
            for n in row.nebulisations
        ],
        "supporting": [
            {"modality": s.modality, "count": s.count, "days": list(s.days)} for s in row.supporting
        ],
        "override": (
            {
                "second_physician_id": row.override_by_id,
                "reason": row.override_reason,
                "limits": [b["limit"] for b in row.override_limits or []],
            }
            if row.override_signature_id is not None
            else None
        ),
    }


_COMPARED = (
    "source",
    "harvest_id",
    "start_date",
    "stay_days",
    "end_date",
    "weight_kg",
    "weight_measured_on",
    "premedication",
)


def _flat(content: dict[str, Any]) -> dict[str, Any]:
    """A course's content as ``field → value``, lists by position (1-based) and
    supporting modalities by name, for a field-by-field comparison."""
    out: dict[str, Any] = {k: content[k] for k in _COMPARED}
    for n, inf in enumerate(content["infusions"], start=1):
        for key in ("day", "dose_million_cells_per_kg", "cells_total"):
            out[f"infusions.{n}.{key}"] = inf[key]
    for n, neb in enumerate(content["nebulisations"], start=1):
        for key in ("day", "amount_million_cells"):
            out[f"nebulisations.{n}.{key}"] = neb[key]
    for sup in content["supporting"]:
        out[f"supporting.{sup['modality']}.count"] = sup["count"]
        out[f"supporting.{sup['modality']}.days"] = sup["days"]
    override = content["override"]
    out["override.limits"] = override["limits"] if override else None
    out["override.reason"] = override["reason"] if override else None
    return out


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[ChangeOut]:
    old, new = _flat(before), _flat(after)
    keys = list(new) + [k for k in old if k not in new]
    return [
        ChangeOut(field=k, before=_plain(old.get(k)), after=_plain(new.get(k)))
        for k in keys
        if old.get(k) != new.get(k)
    ]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _limits_version(session: Session, row: Course) -> int:
    limits = session.get(ProgrammeLimits, row.limits_id)
    assert limits is not None
    return limits.version


def _out(session: Session, row: Course, *, with_changes: bool = True) -> CourseOut:
    version = _limits_version(session, row)
    newer = session.execute(
        select(Course.id, Course.status).where(Course.revises_id == row.id)
    ).first()
    changes = None
    if with_changes and row.revises_id is not None:
        previous = session.get(Course, row.revises_id)
        assert previous is not None
        changes = _changes(
            _content(previous, _limits_version(session, previous)), _content(row, version)
        )
    override = None
    if row.override_signature_id is not None:
        assert row.override_by_id is not None and row.override_by_name is not None
        override = OverrideOut(
            second_physician=row.override_by_name,
            second_physician_id=row.override_by_id,
            reason=row.override_reason or "",
            limits=[LimitBreach.model_validate(b) for b in row.override_limits or []],
            signature_id=row.override_signature_id,
        )
    return CourseOut(
        id=row.id,
        patient_id=row.patient_id,
        number=row.number,
        version=row.version,
        status=row.status,
        source=row.source,
        harvest_id=row.harvest_id,
        start_date=row.start_date,
        end_date=row.end_date,
        stay_days=row.stay_days,
        weight_kg=row.weight_kg,
        weight_measured_on=row.weight_measured_on,
        premedication=row.premedication,
        infusions=[
            InfusionOut(
                day=i.day,
                date=i.on_date,
                dose_million_cells_per_kg=i.dose_million_cells_per_kg,
                cells_total=i.cells_total,
            )
            for i in row.infusions
        ],
        nebulisations=[
            NebulisationOut(day=n.day, date=n.on_date, amount_million_cells=n.amount_million_cells)
            for n in row.nebulisations
        ],
        supporting=[
            SupportingOut(modality=s.modality, count=s.count, days=list(s.days))
            for s in row.supporting
        ],
        repeat_of_id=row.repeat_of_id,
        revises_id=row.revises_id,
        superseded_by_id=newer.id if newer is not None and row.status == "superseded" else None,
        revision_id=newer.id if newer is not None else None,
        limits_version=version,
        override=override,
        created_at=row.created_at,
        created_by=row.created_by_name,
        approved_at=row.approved_at,
        approved_by=row.approved_by_name,
        meaning=APPROVAL_MEANING if row.approval_signature_id is not None else None,
        content_hash=row.content_hash,
        medication_at_approval=row.medication_at_approval,
        changes_from_previous=changes,
    )


def _hidden(actor: Actor, row: Course) -> bool:
    """A patient sees only their own approved courses."""
    if actor.role != Role.PATIENT:
        return False
    return actor.patient_id != row.patient_id or row.status != "approved"


def _load(session: Session, actor: Actor, course_id: int, *, lock: bool = False) -> Course:
    row = records.lock_row(session, Course, course_id) if lock else session.get(Course, course_id)
    if row is None or _hidden(actor, row):
        raise NotFound("no such course")
    return row


def get_course(session: Session, actor: Actor, course_id: int) -> CourseOut:
    require_role(actor, READ_ROLES)
    return _out(session, _load(session, actor, course_id))


def list_courses(session: Session, actor: Actor, patient_id: int) -> list[CourseOut]:
    """The patient's courses, newest number first and, within a number, newest version
    first (a patient: their approved courses only)."""
    require_role(actor, READ_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    rows = session.scalars(
        select(Course)
        .where(Course.patient_id == patient_id)
        .order_by(Course.number.desc(), Course.version.desc())
    ).all()
    return [_out(session, r) for r in rows if not _hidden(actor, r)]


def approved_courses_on(session: Session, day: dt.date) -> list[CourseOut]:
    """The approved courses whose stay covers ``day`` (the ward's board; the caller
    has checked who may see them)."""
    rows = session.scalars(
        select(Course)
        .where(Course.status == "approved", Course.start_date <= day, Course.end_date >= day)
        .order_by(Course.start_date, Course.id)
    ).all()
    return [_out(session, r, with_changes=False) for r in rows]


def day_by_day(course: CourseOut) -> list[DayPlan]:
    """The stay as the ward prints it: every day with its infusions, nebulised doses
    and supporting sessions."""
    days = []
    for day in range(1, course.stay_days + 1):
        supporting = [
            (s.modality, s.count // len(s.days)) for s in course.supporting if day in s.days
        ]
        days.append(
            DayPlan(
                day=day,
                date=course.start_date + dt.timedelta(days=day - 1),
                infusions=[i for i in course.infusions if i.day == day],
                nebulisations=[n for n in course.nebulisations if n.day == day],
                supporting=supporting,
            )
        )
    return days


# --- drafting, revising, approving ------------------------------------------------------


def _rows_of(data: CourseIn, start: dt.date) -> dict[str, Any]:
    def on(day: int) -> dt.date:
        return start + dt.timedelta(days=day - 1)

    return {
        "infusions": [
            CourseInfusion(
                day=i.day,
                on_date=on(i.day),
                dose_million_cells_per_kg=i.dose_million_cells_per_kg,
                cells_total=cells_total(i.dose_million_cells_per_kg, data.weight_kg),
            )
            for i in sorted(data.infusions, key=lambda i: i.day)
        ],
        "nebulisations": [
            CourseNebulisation(
                day=n.day, on_date=on(n.day), amount_million_cells=n.amount_million_cells
            )
            for n in sorted(data.nebulisations, key=lambda n: n.day)
        ],
        "supporting": [
            CourseSupporting(modality=s.modality, count=s.count, days=sorted(s.days))
            for s in data.supporting
        ],
    }


def _repeat_of(session: Session, patient_id: int, repeat_of_id: int) -> Course:
    first = session.get(Course, repeat_of_id)
    if first is None or first.patient_id != patient_id:
        raise InvalidInput({"repeat_of_id": f"the patient has no course {repeat_of_id}"})
    if first.status != "approved":
        raise InvalidInput(
            {
                "repeat_of_id": f"course {first.number} version {first.version} is "
                f"{first.status}: a repeat course follows an approved course"
            }
        )
    return first


def _plan(
    session: Session,
    actor: Actor,
    patient_id: int,
    data: CourseIn,
    previous: Course | None,
) -> CourseOut:
    """Check a plan (a new course or a revision of ``previous``) and store it as a draft,
    with a second physician's override when it is outside the limits."""
    _require_eligible(session, actor, patient_id)
    problems = data.problems()
    if problems:
        raise InvalidInput(problems)
    harvest = _harvest(session, actor, patient_id, data)
    limits = _limits_row(session, actor)
    plan = _Plan.of_request(data)
    breaches = _breaches(plan, limits, harvest)
    if breaches and data.override is None:
        _refuse_breaches(breaches)
    if data.override is not None and not breaches:
        raise InvalidInput(
            {
                "override": f"the plan is within the programme's limits (version "
                f"{limits.version}): no override is needed, leave it out"
            }
        )
    second = _second_physician(session, actor, data.override) if data.override else None
    _check_start(plan, previous)
    if previous is not None:
        number, version = previous.number, previous.version + 1
        if data.repeat_of_id is not None and data.repeat_of_id != previous.repeat_of_id:
            raise InvalidInput({"repeat_of_id": "a revision keeps the course's link; leave it out"})
        repeat_of_id = previous.repeat_of_id
    else:
        repeat_of_id = None
        if data.repeat_of_id is not None:
            repeat_of_id = _repeat_of(session, patient_id, data.repeat_of_id).id
        newest = session.scalar(
            select(func.max(Course.number)).where(Course.patient_id == patient_id)
        )
        number, version = (newest or 0) + 1, 1
    _check_overlap(session, patient_id, plan, number if previous is not None else None)
    _check_capacity(session, plan, limits, [previous.id] if previous is not None else [])

    row = Course(
        patient_id=patient_id,
        number=number,
        version=version,
        status="draft",
        source=data.source,
        harvest_id=data.harvest_id,
        start_date=data.start_date,
        stay_days=data.stay_days,
        end_date=plan.end_date,
        weight_kg=data.weight_kg,
        weight_measured_on=data.weight_measured_on or today_utc(),
        premedication=data.premedication or None,
        repeat_of_id=repeat_of_id,
        revises_id=previous.id if previous is not None else None,
        limits_id=limits.id,
        created_by_id=actor.user_id,
        created_by_name=actor.name,
        **_rows_of(data, data.start_date),
    )
    with records.flush_or_conflict(
        session, "this course was changed at the same moment by someone else; reload it"
    ):
        session.add(row)
    if previous is not None and previous.status == "draft":
        # A draft is in force nowhere: its revision replaces it at once.
        previous.status = "superseded"
        previous.superseded_at = utcnow()
        audit.record(
            session,
            actor,
            entity_type="course",
            entity_id=previous.id,
            action="supersede",
            before={"status": "draft"},
            after={"status": "superseded", "superseded_by_id": row.id},
            reason=f"revised as version {row.version}",
        )
    if second is not None and data.override is not None:
        content = {
            **_content(row, limits.version),
            "override": {"reason": data.override.reason},
            "limits": [b.model_dump() for b in breaches],
        }
        sig = audit.esign(
            session,
            second,
            password=data.override.password,
            meaning=OVERRIDE_MEANING,
            allowed_meanings=(OVERRIDE_MEANING,),
            entity_type="course",
            entity_id=row.id,
            content=content,
        )
        row.override_limits = [b.model_dump() for b in breaches]
        row.override_reason = data.override.reason
        row.override_by_id = second.user_id
        row.override_by_name = second.name
        row.override_signature_id = sig.id
        session.flush()
    out = _out(session, row)
    audit.record(
        session,
        actor,
        entity_type="course",
        entity_id=row.id,
        action="create" if previous is None else "revise",
        after=_content(row, limits.version),
        reason=data.override.reason if data.override else None,
    )
    session.commit()
    return out


def draft_course(session: Session, actor: Actor, patient_id: int, data: CourseIn) -> CourseOut:
    """Draft a course (or a repeat course, with ``repeat_of_id``) for an eligible
    patient: the next number of the patient's courses, version 1."""
    require_role(actor, WRITE_ROLES)
    patients_service.get_for_update(session, actor, patient_id)
    return _plan(session, actor, patient_id, data, None)


def revise_course(session: Session, actor: Actor, course_id: int, data: CourseIn) -> CourseOut:
    """A new version of a course, as a draft, with the full plan. Revising an approved
    course leaves it in force until the revision is approved; a revised draft is
    superseded at once."""
    require_role(actor, WRITE_ROLES)
    previous = _load(session, actor, course_id)
    patients_service.get_for_update(session, actor, previous.patient_id)
    previous = _load(session, actor, course_id, lock=True)
    if previous.status == "superseded":
        raise Conflict(
            f"course {previous.number} version {previous.version} is superseded: revise "
            "the newest version"
        )
    newer = session.scalar(select(Course.version).where(Course.revises_id == previous.id))
    if newer is not None:
        raise Conflict(f"course {previous.number} already has version {newer}: revise that version")
    return _plan(session, actor, previous.patient_id, data, previous)


def _medication(session: Session, actor: Actor, patient_id: int) -> str:
    """The patient's regular asthma medication as the newest treatment history in
    diagnostics records it, with its date and source; "not recorded" without one."""
    snap = diagnostics_service.snapshot_for(session, actor, patient_id)
    if snap.ics_dose_level is None:
        return NOT_RECORDED
    ics = snap.ics_dose_level.value
    parts = ["no inhaled corticosteroid" if ics == "none" else f"{ics}-dose inhaled corticosteroid"]
    if snap.on_laba is not None and snap.on_laba.value:
        parts.append("long-acting beta-agonist (LABA)")
    if snap.on_lama is not None and snap.on_lama.value:
        parts.append("long-acting muscarinic antagonist (LAMA)")
    if snap.maintenance_ocs is not None and snap.maintenance_ocs.value:
        dose = snap.ocs_dose_mg_per_day.value if snap.ocs_dose_mg_per_day else None
        parts.append(
            "maintenance oral corticosteroid"
            + (f" {dose:g} mg/day prednisone-equivalent" if dose else "")
        )
    if snap.biologic is not None and snap.biologic.value:
        parts.append(f"biologic: {snap.biologic.value}")
    step = f"; GINA step {snap.gina_step.value}" if snap.gina_step is not None else ""
    return (
        f"{', '.join(parts)}{step} (treatment history of "
        f"{snap.ics_dose_level.on.isoformat()}, {snap.ics_dose_level.source})"
    )


def approve_course(
    session: Session, actor: Actor, course_id: int, *, password: str, meaning: str
) -> CourseOut:
    """Approve a draft with the physician's e-signature ("approved protocol"). The
    rules are checked again now (eligibility, the limits in force, the start date, the
    patient's other stays and the infusion chairs, which the approval takes), and the
    patient's regular medication is recorded. Approving a revision supersedes the
    version it revises."""
    require_role(actor, WRITE_ROLES)
    row = _load(session, actor, course_id)
    patients_service.get_for_update(session, actor, row.patient_id)
    row = _load(session, actor, course_id, lock=True)
    if row.status != "draft":
        raise Conflict(
            f"course {row.number} version {row.version} is {row.status}: an approved course "
            "never changes; revise it to make a new version"
        )
    _require_eligible(session, actor, row.patient_id)
    limits = _limits_row(session, actor, lock=True)
    previous = session.get(Course, row.revises_id) if row.revises_id is not None else None
    plan = _Plan.of_row(row)
    harvest = (
        products_service.get_harvest(session, actor, row.harvest_id)
        if row.harvest_id is not None
        else None
    )
    covered = {b["limit"] for b in row.override_limits or []}
    uncovered = [b for b in _breaches(plan, limits, harvest) if b.limit not in covered]
    if uncovered:
        _refuse_breaches(uncovered)
    _check_start(plan, previous)
    _check_overlap(session, row.patient_id, plan, row.number)
    _check_capacity(session, plan, limits, [row.id] + ([previous.id] if previous else []))
    medication = _medication(session, actor, row.patient_id)
    content = {**_content(row, _limits_version(session, row)), "medication": medication}
    sig = audit.esign(
        session,
        actor,
        password=password,
        meaning=meaning,
        allowed_meanings=(APPROVAL_MEANING,),
        entity_type="course",
        entity_id=row.id,
        content=content,
    )
    now = utcnow()
    row.status = "approved"
    row.approved_at = now
    row.approved_by_id = actor.user_id
    row.approved_by_name = actor.name
    row.approval_signature_id = sig.id
    row.content_hash = sig.content_hash
    row.medication_at_approval = medication
    if previous is not None and previous.status == "approved":
        previous.status = "superseded"
        previous.superseded_at = now
        audit.record(
            session,
            actor,
            entity_type="course",
            entity_id=previous.id,
            action="supersede",
            before={"status": "approved"},
            after={"status": "superseded", "superseded_by_id": row.id},
            reason=f"version {row.version} approved",
        )
    records.flush(session, "this course was approved at the same moment by someone else")
    audit.record(
        session,
        actor,
        entity_type="course",
        entity_id=row.id,
        action="approve",
        before={"status": "draft"},
        after={
            "status": "approved",
            "signature_id": sig.id,
            "content_hash": sig.content_hash,
            "medication_at_approval": medication,
        },
    )
    session.commit()
    return _out(session, row)


# --- for the pages ------------------------------------------------------------------------


def other_physicians(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Active physicians other than the actor: who may sign an override."""
    require_role(actor, WRITE_ROLES)
    return [
        (u.id, u.name)
        for u in accounts_service.list_users(session)
        if u.role == Role.PHYSICIAN and u.is_active and u.id != actor.user_id
    ]


def patient_harvests(session: Session, actor: Actor, patient_id: int) -> list[tuple[int, str]]:
    """The patient's harvests, for the course form's choice."""
    require_role(actor, WRITE_ROLES)
    return [
        (h.id, f"Harvest {h.id} · {TISSUE_LABELS.get(h.tissue, h.tissue)} · {h.harvested_on}")
        for h in products_service.list_harvests(session, actor, patient_id)
    ]


def form_values(course: CourseOut) -> dict[str, Any]:
    """A stored course as the course form's fields (to revise or repeat it)."""
    values: dict[str, Any] = {
        "source": course.source,
        "start_date": course.start_date.isoformat(),
        "stay_days": str(course.stay_days),
        "weight_kg": _fmt(course.weight_kg),
        "weight_measured_on": course.weight_measured_on.isoformat(),
        "premedication": course.premedication or "",
        "harvest_id": str(course.harvest_id) if course.harvest_id else "",
    }
    for n, inf in enumerate(course.infusions):
        values[f"infusions.{n}.day"] = str(inf.day)
        values[f"infusions.{n}.dose_million_cells_per_kg"] = _fmt(inf.dose_million_cells_per_kg)
    for n, neb in enumerate(course.nebulisations):
        values[f"nebulisations.{n}.day"] = str(neb.day)
        values[f"nebulisations.{n}.amount_million_cells"] = f"{neb.amount_million_cells:g}"
    for sup in course.supporting:
        values[f"supporting.{sup.modality}.count"] = str(sup.count)
        values[f"supporting.{sup.modality}.days"] = ", ".join(str(d) for d in sup.days)
    return values
