"""The outcome registry as a projection of the clinical record.

``project_course`` recomputes one treated course's registry rows (``outcome_courses``,
its four ``outcome_windows`` and its ``outcome_adverse_events``) from the record, read
through the other steps' public faces, idempotently: the same record gives the same
rows however often it runs. It runs

- in the transaction of every change the registry depends on, through the manifest's
  listeners: a discharge (``treatment.discharged``: the follow-up schedule now exists),
  a check-in recorded or retracted (``followup.check_in_*``), an adverse event
  recorded, corrected or retracted (``safety.adverse_event_*``), and a registry exit
  recorded or retracted (``respira.outcomes.exits``);
- every five minutes in the ``outcomes.refresh`` job and in ``respira outcomes
  refresh``, which reproject every treated course of the clinic (changes without an
  event, such as a corrected date of birth, are caught there). Synthetic rows
  (``origin = 'synthetic'``) are never touched.

What a row holds (units and sources in ``respira.outcomes.models``):

- the course: its cell source, its dose (the sum of its infusions' doses per kg, million
  cells/kg, clinical.md §5.3), its number; the patient's sex and age on ``treated_on``,
  the follow-up schedule's anchor (the day of the last infusion);
- the baseline: the newest live values on or before the course's start day
  (diagnostics' snapshot as the record stood then): ACT and ACQ scores, FEV1 (L, %
  predicted, z) of the newest spirometry, FeNO, blood eosinophils and the phenotype
  of the newest marker panel, and from the newest treatment history the GINA step,
  severe exacerbations in the last 12 months, rescue puffs per week and the
  maintenance OCS dose; the baseline control is the band of the schedule's baseline
  questionnaire (clinical.md §1.1, §1.2, §1.3);
- each follow-up window at 1, 3, 6 and 12 months with its live check-in's values;
- after treatment: severe exacerbations counted at the check-ins (clinical.md §2.5),
  the days observed (to the last answered check-in, or to the exit when earlier), and
  the first severe exacerbation's day;
- the patient's newest live registry exit, when it falls on or after the day the course
  began (its start, or its follow-up anchor when earlier).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from respira.diagnostics import service as diagnostics
from respira.followup import service as followup
from respira.kit.actors import Actor
from respira.kit.db import Database, utcnow
from respira.kit.validation import age_years
from respira.outcomes.models import (
    WINDOW_MONTHS,
    OutcomeAdverseEvent,
    OutcomeCourse,
    OutcomeExit,
    OutcomeWindow,
)
from respira.patients import service as patients
from respira.protocols import service as protocols
from respira.safety import service as safety
from respira.science import control

# The projection reads the record for the system: no user sees what it reads.
SYSTEM = Actor.system("outcomes.projection")


def baseline_band(instrument: str, score: float | None) -> str | None:
    """The control band of a baseline score (ACT and C-ACT by their totals, §1.1 and
    §1.2; ACQ by its mean, §1.3)."""
    if score is None:
        return None
    bands = control.BANDS.get(instrument)
    if bands is None:
        return None
    if instrument in ("act", "cact"):
        well = control.ACT_WELL_CONTROLLED_MIN
        if instrument == "act":
            poor = control.ACT_VERY_POORLY_MAX
        else:
            well, poor = control.CACT_WELL_CONTROLLED_MIN, control.CACT_VERY_POORLY_MAX
        if score >= well:
            return bands[0]
        return bands[2] if score <= poor else bands[1]
    if score <= control.ACQ_WELL_CONTROLLED_MAX:
        return bands[0]
    return bands[2] if score >= control.ACQ_NOT_WELL_CONTROLLED_MIN else bands[1]


def _value(dated: Any) -> Any:
    return None if dated is None else dated.value


def _questionnaire(instrument: str, score: float) -> dict[str, float | None]:
    """A score in the registry's ACT or ACQ column (a C-ACT score has its own scale and
    is kept in neither)."""
    return {
        "act": score if instrument == "act" else None,
        "acq": score if instrument.startswith("acq") else None,
    }


def live_exit(session: Session, patient_id: int) -> OutcomeExit | None:
    """The patient's newest live registry exit."""
    return session.scalars(
        sa.select(OutcomeExit)
        .where(OutcomeExit.patient_id == patient_id, OutcomeExit.retracted_at.is_(None))
        .order_by(OutcomeExit.on_date.desc(), OutcomeExit.id.desc())
    ).first()


def _remove(session: Session, course_id: int) -> None:
    row_id = session.scalar(sa.select(OutcomeCourse.id).where(OutcomeCourse.course_id == course_id))
    if row_id is not None:
        _clear_children(session, row_id)
        session.execute(sa.delete(OutcomeCourse).where(OutcomeCourse.id == row_id))


def _clear_children(session: Session, row_id: int) -> None:
    for table in (OutcomeWindow, OutcomeAdverseEvent):
        session.execute(sa.delete(table).where(table.outcome_course_id == row_id))


def project_course(session: Session, course_id: int) -> OutcomeCourse | None:
    """Recompute the registry rows of one course from the record, in the caller's
    transaction (not committed); None (and no rows) when the course was not treated
    (it has no follow-up schedule)."""
    found = followup.course_follow_up(session, course_id)
    if found is None:
        _remove(session, course_id)
        return None
    schedule, follow_ups = found
    # One projection of a patient at a time (the job may run beside a listener).
    patient = patients.get_for_update(session, SYSTEM, schedule.patient_id)
    course = protocols.get_course(session, SYSTEM, course_id)
    treated_on = schedule.anchor_date
    snapshot = diagnostics.snapshot_on(session, patient.id, course.start_date)
    leaving = live_exit(session, patient.id)
    if leaving is not None and leaving.on_date < min(course.start_date, treated_on):
        leaving = None  # an exit before this course began: the patient came back for it

    answers = [(f, c) for f, c in follow_ups if c is not None]
    answers.sort(key=lambda pair: (pair[1].answered_on, pair[0].month))
    exacerbations_after = sum(c.severe_exacerbation_count for _, c in answers)
    last_answer = answers[-1][1].answered_on if answers else treated_on
    observed_to = min(last_answer, leaving.on_date) if leaving is not None else last_answer
    first_day: int | None = None
    for _, check_in in answers:
        severe = [e for e in check_in.exacerbations if e.severity == "severe"]
        if severe:
            # An exacerbation without a start date counts from the day of the check-in
            # that reported it (the latest it can have started).
            start = min(e.started_on or check_in.answered_on for e in severe)
            first_day = max(0, (start - treated_on).days)
            break

    row = session.scalars(
        sa.select(OutcomeCourse).where(OutcomeCourse.course_id == course_id)
    ).first()
    if row is None:
        row = OutcomeCourse(origin="clinic", course_id=course_id)
        session.add(row)
    row.patient_id = patient.id
    row.course_number = course.number
    row.treated_on = treated_on
    row.cell_source = course.source
    row.dose_million_cells_per_kg = round(
        sum(i.dose_million_cells_per_kg for i in course.infusions), 6
    )
    row.phenotype = _value(snapshot.phenotype)
    row.gina_step = _value(snapshot.gina_step)
    row.baseline_control = baseline_band(schedule.instrument, schedule.baseline_score)
    row.sex = patient.sex_at_birth
    row.age_years = age_years(patient.date_of_birth, treated_on)
    row.instrument = schedule.instrument
    row.act_baseline = _float(_value(snapshot.act_score))
    row.acq_baseline = _float(_value(snapshot.acq_score))
    row.rescue_puffs_per_week_baseline = _float(_value(snapshot.rescue_puffs_per_week))
    row.fev1_l_baseline = _float(_value(snapshot.fev1_pre_l))
    row.fev1_pp_baseline = _float(_value(snapshot.fev1_pre_pctpred))
    row.fev1_z_baseline = _float(_value(snapshot.fev1_pre_z))
    row.feno_ppb_baseline = _float(_value(snapshot.feno_ppb))
    row.eosinophils_per_ul_baseline = _float(_value(snapshot.blood_eosinophils_per_ul))
    row.ocs_mg_per_day_baseline = _float(_value(snapshot.ocs_dose_mg_per_day))
    row.exacerbations_12m_baseline = _value(snapshot.exacerbations_12m)
    row.exacerbations_after = exacerbations_after
    row.exposure_days_after = max(0, (observed_to - treated_on).days)
    row.first_exacerbation_day = first_day
    row.exit_kind = leaving.kind if leaving is not None else None
    row.exit_on = leaving.on_date if leaving is not None else None
    row.refreshed_at = utcnow()
    session.flush()

    _clear_children(session, row.id)
    for follow_up, answer in follow_ups:
        if follow_up.month not in WINDOW_MONTHS:
            continue  # a clinic plan's extra check-in: counted in the exposure above
        session.add(_window(row.id, follow_up, answer))
    for event in _course_events(session, course, patient.id):
        session.add(
            OutcomeAdverseEvent(
                outcome_course_id=row.id,
                adverse_event_id=event.id,
                term=event.term,
                grade=event.grade,
                serious=event.serious,
                related=event.related,
                onset_day=(event.onset_date - treated_on).days,
            )
        )
    session.flush()
    return row


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _window(row_id: int, follow_up: Any, check_in: Any) -> OutcomeWindow:
    window = OutcomeWindow(
        outcome_course_id=row_id,
        month=follow_up.month,
        due_date=follow_up.due_date,
        window_start=follow_up.window_start,
        window_end=follow_up.window_end,
    )
    if check_in is None:
        return window
    scores = _questionnaire(check_in.instrument, check_in.score)
    window.answered_on = check_in.answered_on
    window.act = scores["act"]
    window.acq = scores["acq"]
    window.rescue_puffs_per_week = check_in.rescue_puffs_per_week
    window.ocs_mg_per_day = check_in.maintenance_ocs_mg_per_day
    window.exacerbations = check_in.severe_exacerbation_count
    window.fev1_l = check_in.fev1_l
    reading = check_in.spirometry
    fev1 = reading.results.get("fev1_pre") if reading is not None else None
    if fev1 is not None:
        window.fev1_pp = fev1.pctpred
        window.fev1_z = fev1.z
    return window


def _course_events(session: Session, course: Any, patient_id: int) -> list[Any]:
    """The patient's live adverse events that belong to this course: recorded against
    any version of its course number, or against no course with an onset on or after
    this course's start and before the next course's start."""
    versions = protocols.list_courses(session, SYSTEM, patient_id)
    number_of = {c.id: c.number for c in versions}
    starts = sorted({c.number: c.start_date for c in versions}.items())
    next_start = next((s for n, s in starts if n > course.number), None)
    found = []
    for event in safety.events_of_patients(session, SYSTEM, [patient_id])[patient_id]:
        if event.retracted:
            continue
        if event.course_id is not None:
            if number_of.get(event.course_id) == course.number:
                found.append(event)
        elif event.onset_date >= course.start_date and (
            next_start is None or event.onset_date < next_start
        ):
            found.append(event)
    return found


def project_patient(session: Session, patient_id: int) -> int:
    """Reproject every treated course of a patient (an exit applies to all of them)."""
    course_ids = followup.scheduled_course_ids(session, patient_id)
    for course_id in course_ids:
        project_course(session, course_id)
    return len(course_ids)


# -- the listeners ---------------------------------------------------------------------


def on_course_changed(session: Session, actor: Actor, *, course_id: int, **_: Any) -> None:
    """Listener of ``treatment.discharged`` and ``followup.check_in_*``."""
    project_course(session, course_id)


def on_patient_changed(session: Session, actor: Actor, *, patient_id: int, **_: Any) -> None:
    """Listener of ``safety.adverse_event_*`` (an event may name no course)."""
    project_patient(session, patient_id)


# -- the refresh -----------------------------------------------------------------------


def refresh(db: Database, now: dt.datetime) -> int:
    """The ``outcomes.refresh`` job (and ``respira outcomes refresh``): every treated
    course of the clinic reprojected, one course per transaction, then the clinic rows
    whose course is no longer treated dropped; synthetic rows stay as they are. Safe to
    run twice at once: a course's projection locks its patient's row first, so two runs
    take turns and write the same rows. Answers how many courses were projected."""
    with db.session() as session:
        course_ids = followup.scheduled_course_ids(session)
    done = 0
    for course_id in course_ids:
        with db.transaction() as session:
            if project_course(session, course_id) is not None:
                done += 1
    with db.transaction() as session:
        stale = sa.select(OutcomeCourse.course_id).where(
            OutcomeCourse.origin == "clinic", OutcomeCourse.course_id.not_in(course_ids)
        )
        for gone in list(session.scalars(stale)):
            if gone is not None:
                _remove(session, gone)
    return done
