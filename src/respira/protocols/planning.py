"""Drafting a course: building a plan and storing it as a draft after its checks (with a
second physician's override when it is outside the limits), a repeat course, revising a
course into its next version, and the course form's choices."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from respira.accounts import service as accounts_service
from respira.kit import audit, records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.clinic_time import clinic_today
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.patients import service as patients_service
from respira.products import service as products_service
from respira.protocols.checks import (
    check_capacity,
    check_overlap,
    check_start,
    plan_harvest,
    require_eligible,
)
from respira.protocols.limits import (
    TISSUE_LABELS,
    Plan,
    limit_breaches,
    limits_row,
    refuse_breaches,
    second_physician,
)
from respira.protocols.models import (
    OVERRIDE_MEANING,
    Course,
    CourseInfusion,
    CourseNebulisation,
    CourseSupporting,
)
from respira.protocols.reads import course_content, course_out, load_course
from respira.protocols.roles import WRITE_ROLES
from respira.protocols.schemas import CourseIn, CourseOut, LimitBreach, OverrideIn


def cells_total(dose_million_cells_per_kg: float, weight_kg: float) -> int:
    """round(dose × 10^6 × weight), in decimal arithmetic so that 1.5 ×10^6/kg at
    64.5 kg is exactly 96 750 000 cells (clinical.md §5.3, dose normalisation)."""
    exact = Decimal(str(dose_million_cells_per_kg)) * Decimal(1_000_000) * Decimal(str(weight_kg))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


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


def supersede(
    session: Session, actor: Actor, previous: Course, by: Course, *, at: dt.datetime, reason: str
) -> None:
    """Mark ``previous`` (a draft or an approved version) superseded by ``by``, audited."""
    was = previous.status
    previous.status = "superseded"
    previous.superseded_at = at
    audit.record(
        session,
        actor,
        entity_type="course",
        entity_id=previous.id,
        action="supersede",
        before={"status": was},
        after={"status": "superseded", "superseded_by_id": by.id},
        reason=reason,
    )


def _sign_override(
    session: Session,
    row: Course,
    second: Actor,
    override: OverrideIn,
    found: list[LimitBreach],
    limits_version: int,
) -> None:
    """The second physician's e-signed override of the limits the plan is outside of."""
    content = {
        **course_content(row, limits_version),
        "override": {"reason": override.reason},
        "limits": [b.model_dump() for b in found],
    }
    sig = audit.esign(
        session,
        second,
        password=override.password,
        meaning=OVERRIDE_MEANING,
        allowed_meanings=(OVERRIDE_MEANING,),
        entity_type="course",
        entity_id=row.id,
        content=content,
    )
    row.override_limits = [b.model_dump() for b in found]
    row.override_reason = override.reason
    row.override_by_id = second.user_id
    row.override_by_name = second.name
    row.override_signature_id = sig.id
    session.flush()


def _plan(
    session: Session,
    actor: Actor,
    patient_id: int,
    data: CourseIn,
    previous: Course | None,
) -> CourseOut:
    """Check a plan (a new course or a revision of ``previous``) and store it as a draft,
    with a second physician's override when it is outside the limits."""
    require_eligible(session, actor, patient_id)
    problems = data.problems()
    if problems:
        raise InvalidInput(problems)
    harvest = plan_harvest(session, actor, patient_id, data)
    limits = limits_row(session, actor)
    plan = Plan.of(data)
    breaches = limit_breaches(plan, limits, harvest)
    if breaches and data.override is None:
        refuse_breaches(breaches)
    if data.override is not None and not breaches:
        raise InvalidInput(
            {
                "override": f"the plan is within the programme's limits (version "
                f"{limits.version}): no override is needed, leave it out"
            }
        )
    second = second_physician(session, actor, data.override) if data.override else None
    check_start(plan, previous)
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
    check_overlap(session, patient_id, plan, number if previous is not None else None)
    check_capacity(session, plan, limits, [previous.id] if previous is not None else [])

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
        weight_measured_on=data.weight_measured_on or clinic_today(),
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
        supersede(
            session, actor, previous, row, at=utcnow(), reason=f"revised as version {row.version}"
        )
    if second is not None and data.override is not None:
        _sign_override(session, row, second, data.override, breaches, limits.version)
    out = course_out(session, row)
    audit.record(
        session,
        actor,
        entity_type="course",
        entity_id=row.id,
        action="create" if previous is None else "revise",
        after=course_content(row, limits.version),
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
    previous = load_course(session, actor, course_id)
    patients_service.get_for_update(session, actor, previous.patient_id)
    previous = load_course(session, actor, course_id, lock=True)
    if previous.status == "superseded":
        raise Conflict(
            f"course {previous.number} version {previous.version} is superseded: revise "
            "the newest version"
        )
    newer = session.scalar(select(Course.version).where(Course.revises_id == previous.id))
    if newer is not None:
        raise Conflict(f"course {previous.number} already has version {newer}: revise that version")
    return _plan(session, actor, previous.patient_id, data, previous)


# --- the course form's choices ----------------------------------------------------------


def other_physicians(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Active physicians other than the actor: who may sign an override."""
    require_role(actor, WRITE_ROLES)
    return [
        (u.id, u.name)
        for u in accounts_service.list_users(session)
        if u.role == Role.PHYSICIAN and u.is_active and u.id != actor.user_id
    ]


def patient_harvests(session: Session, actor: Actor, patient_id: int) -> list[tuple[int, str]]:
    """The patient's harvests, for the course form's choice: each named by a ``Msg``
    (English as a ``str``; the page writes it in its reader's language)."""
    require_role(actor, WRITE_ROLES)
    return [
        (
            h.id,
            Msg(
                N_("Harvest %(id)s · %(tissue)s · %(date)s"),
                id=str(h.id),
                tissue=Msg(TISSUE_LABELS.get(h.tissue, h.tissue)),
                date=h.harvested_on.isoformat(),
            ),
        )
        for h in products_service.list_harvests(session, actor, patient_id)
    ]
