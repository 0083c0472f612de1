"""Discharged patients for the follow-up's tests, made through the real use cases of
the stay (``tests/treatment/treatment_helpers.Clinic``: an eligible patient, an approved
course, a released unit allocated and thawed; then admission, the bedside check, the
administration and discharge, whose ``treatment.discharged`` event schedules the
check-ins), and time passing for the schedules (typed updates of the follow-up's own
dates: the clock is not the use cases' to set)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from respira.diagnostics import service as diagnostics
from respira.diagnostics.schemas import QuestionnaireIn, VisitIn
from respira.followup.models import FollowUp, FollowUpSchedule
from respira.kit.db import Base, utcnow
from respira.kit.validation import today_utc
from respira.treatment import service as treatment
from respira.treatment.schemas import AdministrationIn, AdmissionIn, BedsideCheckIn, DischargeIn
from tests.treatment.treatment_helpers import Clinic, vitals

# A complete check-in of an ACT schedule, as the API takes it.
ACT_ANSWERS = [4, 4, 5, 3, 4]


def check_in_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "answers": ACT_ANSWERS,
        "rescue_puffs_per_week": 6,
        "exacerbations": [],
        "maintenance_ocs_mg_per_day": 0,
        "medication_changed": False,
    }
    body.update(overrides)
    return body


@dataclass
class Stay:
    pid: int
    course: Any
    admission_id: int


class FollowUpClinic:
    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        self.db = clinic.db
        self._units: list[str] = []

    def unit(self) -> str:
        """A released unit (lots of several units: a lot's QC costs a dozen records)."""
        if not self._units:
            self._units = self.clinic.lot(units=4)
        return self._units.pop()

    def baseline(self, pid: int, instrument: str, answers: list[Any], days_ago: int = 20) -> None:
        """A diagnostic visit with the baseline questionnaire (the real use cases)."""
        doc = self.clinic.physician.actor
        with self.db.transaction() as s:
            visit = diagnostics.create_visit(
                s, doc, pid, VisitIn(visit_date=today_utc() - dt.timedelta(days=days_ago))
            )
        with self.db.transaction() as s:
            diagnostics.record_questionnaire(
                s, doc, visit.id, QuestionnaireIn(instrument=instrument, answers=answers)
            )

    def patient(self, **overrides: Any) -> int:
        return self.clinic.eligible_patient(**overrides)

    def stay(
        self,
        pid: int | None = None,
        *,
        course: Any = None,
        give: bool = True,
        **patient: Any,
    ) -> Stay:
        """Admit (for a new approved course unless one is given), give the first
        infusion (unless ``give`` is False) and discharge."""
        pid = pid if pid is not None else self.patient(**patient)
        course = course or self.clinic.course(pid)
        nurse = self.clinic.nurse.actor
        now = utcnow()
        din = None
        if give:
            din = self.unit()
            self.clinic.prepare(course, [din], infusion_day=1)
        with self.db.transaction() as s:
            admission = treatment.admit(
                s,
                nurse,
                pid,
                AdmissionIn(course_id=course.id, admitted_at=now - dt.timedelta(hours=3)),
            )
        if din is not None:
            with self.db.transaction() as s:
                treatment.check_at_bedside(
                    s, nurse, BedsideCheckIn(patient_code=self.clinic.mrn(pid), din=din)
                )
            with self.db.transaction() as s:
                treatment.record_administration(
                    s,
                    nurse,
                    AdministrationIn(
                        din=din,
                        patient_id=pid,
                        course_id=course.id,
                        route="iv",
                        started_at=now - dt.timedelta(minutes=40),
                        ended_at=now - dt.timedelta(minutes=20),
                        volume_ml=50,
                        rate_ml_per_h=150,
                        vitals=[vitals("before"), vitals("after")],
                        witness_email=self.clinic.witness.email,
                    ),
                )
        with self.db.transaction() as s:
            treatment.discharge(s, nurse, admission.id, DischargeIn(note="home"))
        return Stay(pid, course, admission.id)

    def follow_up_id(self, pid: int, month: int, course_number: int = 1) -> int:
        with self.db.session() as s:
            return int(
                s.scalars(
                    select(FollowUp.id)
                    .join(FollowUp.schedule)
                    .where(
                        FollowUp.patient_id == pid,
                        FollowUp.month == month,
                        FollowUpSchedule.course_number == course_number,
                    )
                ).one()
            )

    # --- time passing ---------------------------------------------------------------

    def _shift(self, table: str, where: Any, columns: tuple[str, ...], days: int) -> None:
        """Move date columns of the rows ``days`` into the past, row by row (date
        arithmetic in SQL differs between SQLite and PostgreSQL)."""
        t = Base.metadata.tables[table]
        shift = dt.timedelta(days=days)
        with self.db.transaction() as s:
            for row in s.execute(select(t).where(where(t))).mappings().all():
                s.execute(
                    update(t)
                    .where(t.c.id == row["id"])
                    .values({c: row[c] - shift for c in columns})
                )

    def age(self, pid: int, days: int) -> None:
        """Move the patient's schedules ``days`` into the past (as if ``days`` had
        passed since the discharge)."""
        self._shift(
            FollowUp.__tablename__,
            lambda t: t.c.patient_id == pid,
            ("due_date", "window_start", "window_end"),
            days,
        )
        self._shift(
            FollowUpSchedule.__tablename__, lambda t: t.c.patient_id == pid, ("anchor_date",), days
        )

    def open_window(self, pid: int, month: int, *, closes_in_days: int) -> int:
        """Age the schedule so that the check-in of ``month`` is open and closes in
        ``closes_in_days`` days (a negative number: closed that many days ago); its
        id."""
        follow_up_id = self.follow_up_id(pid, month)
        with self.db.session() as s:
            row = s.get(FollowUp, follow_up_id)
            assert row is not None
            end = row.window_end
        self.age(pid, (end - today_utc()).days - closes_in_days)
        return follow_up_id

    def past_course(self, course_id: int, days: int) -> None:
        """Move a course ``days`` into the past (its stay is over, so that a repeat
        course can be admitted today)."""
        self._shift("courses", lambda t: t.c.id == course_id, ("start_date", "end_date"), days)
