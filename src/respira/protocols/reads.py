"""Reading courses: a course as it is signed and compared (``changes_from_previous``),
as the API answers it, who may see it, the ward's board of approved courses on a day,
the day-by-day schedule, and a course as the course form's fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit import records
from respira.kit.actors import Actor, require_role
from respira.kit.errors import NotFound
from respira.kit.patient_rows import rows_of_patient
from respira.kit.rows import from_row
from respira.patients import service as patients_service
from respira.protocols.limits import fmt_dose
from respira.protocols.models import APPROVAL_MEANING, Course, ProgrammeLimits
from respira.protocols.roles import READ_ROLES
from respira.protocols.schemas import (
    ChangeOut,
    CourseOut,
    DayPlan,
    LimitBreach,
    OverrideOut,
)


def course_content(row: Course, limits_version: int) -> dict[str, Any]:
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


def limits_version_of(session: Session, row: Course) -> int:
    limits = session.get(ProgrammeLimits, row.limits_id)
    assert limits is not None
    return limits.version


def course_out(session: Session, row: Course, *, with_changes: bool = True) -> CourseOut:
    version = limits_version_of(session, row)
    newer = session.execute(
        select(Course.id, Course.status).where(Course.revises_id == row.id)
    ).first()
    changes = None
    if with_changes and row.revises_id is not None:
        previous = session.get(Course, row.revises_id)
        assert previous is not None
        changes = _changes(
            course_content(previous, limits_version_of(session, previous)),
            course_content(row, version),
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
    content = course_content(row, version)
    return from_row(
        CourseOut,
        row,
        infusions=content["infusions"],
        nebulisations=content["nebulisations"],
        supporting=content["supporting"],
        superseded_by_id=newer.id if newer is not None and row.status == "superseded" else None,
        revision_id=newer.id if newer is not None else None,
        limits_version=version,
        override=override,
        created_by=row.created_by_name,
        approved_by=row.approved_by_name,
        meaning=APPROVAL_MEANING if row.approval_signature_id is not None else None,
        changes_from_previous=changes,
    )


def _hidden(actor: Actor, row: Course) -> bool:
    """A patient sees only their own approved courses: a draft or a superseded version is
    hidden from them as a retracted record is."""
    return records.hidden_from(actor, row.patient_id, row.status != "approved")


def load_course(session: Session, actor: Actor, course_id: int, *, lock: bool = False) -> Course:
    row = records.lock_row(session, Course, course_id) if lock else session.get(Course, course_id)
    if row is None or _hidden(actor, row):
        raise NotFound("no such course")
    return row


def get_course(session: Session, actor: Actor, course_id: int) -> CourseOut:
    require_role(actor, READ_ROLES)
    return course_out(session, load_course(session, actor, course_id))


def list_courses(session: Session, actor: Actor, patient_id: int) -> list[CourseOut]:
    """The patient's courses, newest number first and, within a number, newest version
    first (a patient: their approved courses only)."""
    require_role(actor, READ_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    rows = rows_of_patient(session, Course, patient_id, Course.number.desc(), Course.version.desc())
    return [course_out(session, r) for r in rows if not _hidden(actor, r)]


def approved_courses_on(session: Session, day: dt.date) -> list[CourseOut]:
    """The approved courses whose stay covers ``day`` (the ward's board; the caller
    has checked who may see them)."""
    rows = session.scalars(
        select(Course)
        .where(Course.status == "approved", Course.start_date <= day, Course.end_date >= day)
        .order_by(Course.start_date, Course.id)
    ).all()
    return [course_out(session, r, with_changes=False) for r in rows]


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


def form_values(course: CourseOut) -> dict[str, Any]:
    """A stored course as the course form's fields (to revise or repeat it)."""
    values: dict[str, Any] = {
        "source": course.source,
        "start_date": course.start_date.isoformat(),
        "stay_days": str(course.stay_days),
        "weight_kg": fmt_dose(course.weight_kg),
        "weight_measured_on": course.weight_measured_on.isoformat(),
        "premedication": course.premedication or "",
        "harvest_id": str(course.harvest_id) if course.harvest_id else "",
    }
    for n, inf in enumerate(course.infusions):
        values[f"infusions.{n}.day"] = str(inf.day)
        values[f"infusions.{n}.dose_million_cells_per_kg"] = fmt_dose(inf.dose_million_cells_per_kg)
    for n, neb in enumerate(course.nebulisations):
        values[f"nebulisations.{n}.day"] = str(neb.day)
        values[f"nebulisations.{n}.amount_million_cells"] = f"{neb.amount_million_cells:g}"
    for sup in course.supporting:
        values[f"supporting.{sup.modality}.count"] = str(sup.count)
        values[f"supporting.{sup.modality}.days"] = ", ".join(str(d) for d in sup.days)
    return values
