"""The rules a plan passes besides the programme's limits, checked when it is drafted
and again when it is approved: the eligibility gate, the harvest of an autologous
course, the start date, one stay at a time, and the infusion chairs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.clinic_time import clinic_today
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.kit.validation import today_utc
from respira.products import service as products_service
from respira.protocols.limits import TISSUE_LABELS, TISSUE_OF_SOURCE, Plan
from respira.protocols.models import Course, CourseInfusion, ProgrammeLimits
from respira.protocols.schemas import CourseIn, Eligibility
from respira.screening import service as screening_service

# --- eligibility --------------------------------------------------------------------------


# The words of a screening's decision and of its signature's meaning in a reason.
_DECISION_WORDS = {
    "eligible": N_("eligible"),
    "not_eligible": N_("not eligible"),
    "needs_review": N_("needs review"),
}
_MEANING_WORDS = {"approved eligibility": N_("approved eligibility"), "declined": N_("declined")}


def _word(words: dict[str, str], code: str) -> Msg:
    return Msg(words.get(code, code.replace("_", " ")))


def _verdict(eligible: bool, screening_id: int | None, reason: Msg) -> Eligibility:
    """An ``Eligibility`` whose ``reason`` is the English (the API's) and whose
    ``reason_text`` a page shows in its reader's language."""
    made = Eligibility(eligible=eligible, screening_id=screening_id, reason=str(reason))
    made.said(reason)
    return made


def eligibility(session: Session, actor: Actor, patient_id: int) -> Eligibility:
    """Whether the patient's latest signed screening decided ``eligible`` (and was
    signed "approved eligibility"), asked of screening."""
    summary = screening_service.patient_summary(session, actor, patient_id)
    in_force, newest = summary["in_force"], summary["newest"]
    if in_force is None:
        if newest is None:
            return _verdict(
                False,
                None,
                Msg(
                    N_(
                        "the patient has no screening: a course needs a signed screening "
                        "that decided eligible"
                    )
                ),
            )
        return _verdict(
            False,
            newest.id,
            Msg(
                N_(
                    "screening %(id)s (%(decision)s) is not signed: a course needs a signed "
                    "screening that decided eligible"
                ),
                id=str(newest.id),
                decision=_word(_DECISION_WORDS, newest.decision),
            ),
        )
    if in_force.decision != "eligible" or in_force.meaning != screening_service.APPROVED:
        return _verdict(
            False,
            in_force.id,
            Msg(
                N_(
                    "the latest signed screening (%(id)s, signed “%(meaning)s” by %(name)s) "
                    "decided %(decision)s: a course needs a signed screening that decided "
                    "eligible"
                ),
                id=str(in_force.id),
                meaning=_word(_MEANING_WORDS, str(in_force.meaning)),
                name=in_force.signed_by_name,
                decision=_word(_DECISION_WORDS, in_force.decision),
            ),
        )
    if in_force.id in summary["evidence_changed"]:
        return _verdict(
            False,
            in_force.id,
            Msg(
                N_(
                    "screening %(id)s decided eligible, but a record it rests on was "
                    "retracted or corrected since it was signed: screen the patient again "
                    "before planning a course"
                ),
                id=str(in_force.id),
            ),
        )
    return _verdict(
        True,
        in_force.id,
        Msg(
            N_("screening %(id)s decided eligible, signed by %(name)s"),
            id=str(in_force.id),
            name=in_force.signed_by_name,
        ),
    )


def require_eligible(session: Session, actor: Actor, patient_id: int) -> None:
    found = eligibility(session, actor, patient_id)
    if not found.eligible:
        raise Conflict(Msg(N_("no course can be planned: %(reason)s"), reason=found.reason_text))


# --- checking a plan --------------------------------------------------------------------


def plan_harvest(session: Session, actor: Actor, patient_id: int, data: CourseIn) -> Any | None:
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


def check_start(plan: Plan, previous: Course | None) -> None:
    """A plan starts today or later (today in UTC or on the clinic's calendar, which
    differ around midnight, as in ``validation.not_future``); a revision of a course
    already under way may keep its start date."""
    if plan.start_date >= min(today_utc(), clinic_today()):
        return
    if previous is not None and previous.start_date == plan.start_date:
        return
    raise InvalidInput(
        {
            "start_date": f"{plan.start_date.isoformat()} is in the past: a course is planned "
            "ahead (only a revision of a course already under way keeps its start date)"
        }
    )


def check_overlap(session: Session, patient_id: int, plan: Plan, number: int | None) -> None:
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


def check_capacity(
    session: Session, plan: Plan, limits: ProgrammeLimits, exclude: Iterable[int]
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
