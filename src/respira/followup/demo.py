"""The follow-up of the demo clinic: check-ins in every state.

The stay's demo discharges a patient today, and the ``treatment.discharged`` event
schedules their check-ins (all upcoming). A demo clinic is seeded in one sitting, so no
discharge lies months back; for two more patients with an approved course the schedule
is made through the follow-up's own use case with a back-dated last infusion (the demo
patient's account first, so that signing in as the demo patient shows an open
check-in), and the past check-ins are entered as the demo coordinator enters paper or
telephone check-ins, with the day the patient answered:

- 6 months and 5 days ago: month 1 completed, month 3 missed (with a phone call that
  did not reach the patient), month 6 open, month 12 upcoming;
- 4 months ago: month 1 completed late, month 3 completed, months 6 and 12 upcoming.

The answers are synthetic, within each item's scale, from the demo's fixed random seed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from respira.followup import service
from respira.followup.schemas import CheckInIn, ContactIn
from respira.kit.errors import DomainError
from respira.kit.step import DemoContext
from respira.protocols import service as protocols_service

# (days before today of the last infusion, {month: how its check-in was answered}):
# "on_time" on the due date, "late" five days after the window closed, "call" a phone
# call that did not reach the patient; months not named are left as they fall.
SCENARIOS: tuple[tuple[str, dict[int, str]], ...] = (
    ("6m5d", {1: "on_time", 3: "call"}),
    ("4m", {1: "late", 3: "on_time"}),
)


def _anchor(today: dt.date, scenario: str) -> dt.date:
    if scenario == "6m5d":
        return service.add_months(today, -6) - dt.timedelta(days=5)
    return service.add_months(today, -4)


def _candidates(ctx: DemoContext, physician: Any) -> list[tuple[int, Any]]:
    """(patient, approved course) for the patients with one and no schedule yet, the
    demo patient first."""
    demo_patient = ctx.accounts.get("patient", (None, ""))[0]
    order = sorted(
        ctx.patient_ids,
        key=lambda pid: pid != (demo_patient.patient_id if demo_patient else None),
    )
    found = []
    for pid in order:
        if service.list_for_patient(ctx.session, physician, pid):
            continue  # scheduled at its discharge today
        approved = [
            c
            for c in protocols_service.list_courses(ctx.session, physician, pid)
            if c.status == "approved"
        ]
        if approved:
            found.append((pid, approved[-1]))
    return found


def _answers(ctx: DemoContext, instrument: str) -> list[int]:
    # Mostly the better half of each scale: these patients are doing reasonably well.
    out = []
    for low, high in service.item_ranges(instrument):
        better_high = instrument in ("act", "cact")
        middle = (low + high) // 2
        out.append(ctx.rng.randint(middle, high) if better_high else ctx.rng.randint(low, middle))
    return out


def _check_in(ctx: DemoContext, actor: Any, follow_up: Any, answered_on: dt.date) -> None:
    body = CheckInIn(
        answers=_answers(ctx, follow_up.instrument),
        rescue_puffs_per_week=float(ctx.rng.choice([0, 2, 4, 6, 10, 14])),
        exacerbations=[{"corticosteroid_course": True}] if ctx.rng.random() < 0.3 else [],
        maintenance_ocs_mg_per_day=0.0,
        fev1_l=2.6,
        fvc_l=3.4,
        answered_on=answered_on,
        mode=ctx.rng.choice(["paper", "interview"]),
    )
    service.record_check_in(ctx.session, actor, follow_up.id, body, language="en")


def _seed_one(
    ctx: DemoContext,
    coordinator: Any,
    physician: Any,
    pid: int,
    course: Any,
    scenario: tuple[str, dict[int, str]],
) -> int:
    name, answered = scenario
    made = service.schedule_course(
        ctx.session,
        physician,
        patient_id=pid,
        course_id=course.id,
        anchor_date=_anchor(service.clinic_today(), name),
        anchor_source="last_administration",
    )
    ctx.session.commit()
    if made is None:
        return 0
    done = 0
    for follow_up in service.list_for_patient(ctx.session, coordinator, pid):
        how = answered.get(follow_up.month) if follow_up.schedule_id == made.id else None
        if how == "on_time":
            _check_in(ctx, coordinator, follow_up, follow_up.due_date)
        elif how == "late":
            _check_in(ctx, coordinator, follow_up, follow_up.window_end + dt.timedelta(days=5))
        elif how == "call":
            service.record_contact(
                ctx.session,
                coordinator,
                follow_up.id,
                ContactIn(reached=False, note="no answer on the mobile number; email sent"),
            )
        done += how in ("on_time", "late")
    return done


def seed(ctx: DemoContext) -> None:
    if not {"physician", "coordinator"} <= set(ctx.accounts):
        return
    physician, _ = ctx.accounts["physician"]
    coordinator, _ = ctx.accounts["coordinator"]
    check_ins = 0
    candidates = _candidates(ctx, physician)
    for (pid, course), scenario in zip(candidates, SCENARIOS, strict=False):
        try:
            check_ins += _seed_one(ctx, coordinator, physician, pid, course, scenario)
        except DomainError:
            ctx.session.rollback()  # a rule refused this scenario: leave it out
    ctx.counts["follow-up check-ins"] = check_ins
