"""The ward board of a day (who is in, and what their course has due: infusions with
the dose and cells, nebulisations, supporting sessions, each done or not yet) and the
supporting sessions marked done or skipped from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit import records
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_day
from respira.kit.errors import InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.patients import service as patients_service
from respira.protocols import service as protocols_service
from respira.treatment.bedside import clinic_clock
from respira.treatment.models import Administration, Admission, SupportingSession
from respira.treatment.roles import BOARD_ROLES, WARD_ROLES
from respira.treatment.schemas import (
    DueItem,
    SupportingSessionIn,
    SupportingSessionOut,
    WardBoard,
    WardPatient,
)
from respira.treatment.shared import approved_course, raise_if


def record_supporting_session(
    session: Session, actor: Actor, data: SupportingSessionIn
) -> SupportingSessionOut:
    require_role(actor, WARD_ROLES)
    raise_if(data.problems())
    course = approved_course(session, actor, data.course_id)
    planned = {s.modality for s in course.supporting}
    if data.modality not in planned:
        unplanned = (
            Msg(
                N_("the course plans no such supporting modality (it plans: %(planned)s)"),
                planned=", ".join(sorted(planned)),
            )
            if planned
            else N_("the course plans no such supporting modality")
        )
        raise InvalidInput({"modality": unplanned})
    if not course.start_date <= data.day <= course.end_date:
        raise InvalidInput({"day": N_("the day is outside the course's stay")})
    row = SupportingSession(
        patient_id=course.patient_id, **data.model_dump(), **records.stamp(actor)
    )
    already = Msg(
        N_("the %(modality)s session of %(day)s is already recorded"),
        modality=data.modality,
        day=data.day.isoformat(),
    )
    with records.flush_or_conflict(session, already):
        session.add(row)
    return records.store(
        session, actor, row, entity_type="supporting_session", out=SupportingSessionOut
    )


def _day_of_stay(course: Any, day: dt.date) -> int:
    return int((day - course.start_date).days) + 1


def _due(
    course: Any,
    day: dt.date,
    given: Sequence[Administration],
    sessions_done: dict[tuple[int, str], SupportingSession],
) -> list[DueItem]:
    """What the course has due on the day, each with what was recorded for it."""
    due: list[DueItem] = []
    for inf in course.infusions:
        if inf.date != day:
            continue
        done = next(
            (g for g in given if g.course_id == course.id and g.infusion_day == inf.day), None
        )
        due.append(
            DueItem(
                kind="infusion",
                label=f"IV infusion, day {inf.day}",
                dose=f"{inf.dose_million_cells_per_kg:g} ×10⁶ cells/kg",
                dose_million_cells=float(inf.dose_million_cells_per_kg),
                cells=float(inf.cells_total),
                day=inf.day,
                done=done is not None,
                record_id=done.id if done else None,
                detail=f"given {clinic_clock(done.started_at, '%H:%M')} by {done.recorded_by_name}"
                if done
                else None,
                given_at=done.started_at if done else None,
                given_by=done.recorded_by_name if done else None,
            )
        )
    for neb in course.nebulisations:
        if neb.date != day:
            continue
        done = next(
            (
                g
                for g in given
                if g.course_id == course.id
                and g.route == "nebulised"
                and clinic_day(g.started_at) == day
            ),
            None,
        )
        due.append(
            DueItem(
                kind="nebulisation",
                label=f"Nebulisation, day {neb.day}",
                dose=f"{neb.amount_million_cells:g} ×10⁶ cells",
                dose_million_cells=float(neb.amount_million_cells),
                cells=neb.amount_million_cells * 1e6,
                day=neb.day,
                done=done is not None,
                record_id=done.id if done else None,
            )
        )
    stay_day = _day_of_stay(course, day)
    for sup in course.supporting:
        if stay_day not in sup.days:
            continue
        rec = sessions_done.get((course.id, sup.modality))
        due.append(
            DueItem(
                kind="supporting",
                label=sup.modality.replace("_", " "),
                modality=sup.modality,
                done=rec is not None,
                record_id=rec.id if rec else None,
                detail=None if rec is None else ("done" if rec.done else f"skipped: {rec.reason}"),
                skip_reason=rec.reason if rec is not None and not rec.done else None,
            )
        )
    return due


def ward_board(session: Session, actor: Actor, day: dt.date) -> WardBoard:
    """Who is in on the day and what their course has due: infusions with the dose and
    cells, nebulisations, supporting sessions, each done or not yet."""
    require_role(actor, BOARD_ROLES)
    courses = protocols_service.approved_courses_on(session, day)
    if not courses:
        return WardBoard(day=day, patients=[])
    ids = [c.id for c in courses]
    pids = {c.patient_id for c in courses}
    admissions: dict[int, Admission] = {}
    for a in session.scalars(
        select(Admission)
        .where(Admission.course_id.in_(ids), Admission.retracted_at.is_(None))
        .order_by(Admission.admitted_at)
    ):
        admissions[a.course_id] = a
    given = session.scalars(
        select(Administration).where(
            Administration.course_id.in_(ids), Administration.retracted_at.is_(None)
        )
    ).all()
    sessions_done = {
        (s.course_id, s.modality): s
        for s in session.scalars(
            select(SupportingSession).where(
                SupportingSession.course_id.in_(ids),
                SupportingSession.day == day,
                SupportingSession.retracted_at.is_(None),
            )
        )
    }
    patients = {pid: patients_service.find(session, pid) for pid in pids}
    out: list[WardPatient] = []
    for course in courses:
        adm = admissions.get(course.id)
        p = patients[course.patient_id]
        assert p is not None
        out.append(
            WardPatient(
                patient_id=p.id,
                name=f"{p.last_name}, {p.first_name}",
                medical_record_number=p.medical_record_number,
                course_id=course.id,
                course_number=str(course.number),
                admission_id=adm.id if adm else None,
                admitted_at=adm.admitted_at if adm else None,
                discharged_at=adm.discharged_at if adm else None,
                in_ward=adm is not None and adm.discharged_at is None,
                due=_due(course, day, given, sessions_done),
            )
        )
    out.sort(key=lambda w: (not w.in_ward, w.name))
    return WardBoard(day=day, patients=out)
