"""A check-in: what the patient answers (or staff enter on the patient's behalf), checked,
scored and interpreted exactly as at baseline, and stored once.

- **The questionnaire** is the schedule's (the baseline instrument), scored by
  ``respira.science.control.score_questionnaire`` — the function the diagnostic work-up
  scores with — and stored with its items, score, band and algorithm version, language,
  mode, respondent and recall period (clinical.md §1.4). ACQ-7's seventh item is the
  FEV1 % predicted of this check-in's spirometry, so an ACQ-7 check-in needs FEV1 and
  FVC. The change from baseline is read against the instrument's minimal clinically
  important difference (ACT 3 points, ACQ 0.5; none for the C-ACT; clinical.md §6).
- **Spirometry** (home or local) is read against the GLI Global equations with the
  patient's sex, age on the day of the answer and recorded height, by
  ``respira.science.spirometry.interpret_session``, as at diagnostics.
- **Exacerbations** since the last check-in, each with its treatment; severe when it
  needed a course of systemic corticosteroids (ATS/ERS 2009, clinical.md §2.5: the
  emergency visit or hospital stay counts as severe only with them), moderate otherwise.
- **When**: a check-in is answered from the day its window opens; after the window has
  closed it is still taken, and its state is "completed late". Staff entering a paper
  or telephone check-in give the day the patient answered (not in the future, not before
  the window opened); its time is then noon of that day in the clinic, the hour not
  being known.

One live check-in per follow-up: the follow-up row is locked and a partial unique index
backs the rule; a check-in entered in error is retracted with a reason (staff) and may
then be entered again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from respira.diagnostics import service as diagnostics_service
from respira.followup import messages as m
from respira.followup.models import CheckIn, FollowUp
from respira.followup.roles import CHECK_IN_ROLES, ON_BEHALF_ROLES
from respira.followup.schemas import CheckInIn, CheckInOut, ExacerbationIn, SpirometryReading
from respira.kit import events, records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.clinic_time import clinic_day
from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.texts import Msg
from respira.kit.validation import decimal_age
from respira.patients import service as patients_service
from respira.science.control import (
    CONTROL_MCID,
    ITEMS,
    QuestionnaireError,
    score_questionnaire,
)
from respira.science.spirometry import SpirometryInputError, interpret_session, sex_code

EQUATIONS = "gli-global"
RECALL_DAYS = {"act": 28, "cact": 28, "acq5": 7, "acq6": 7, "acq7": 7}
# The change that matters to a patient, and which way is better (ACT: up; ACQ: down).
MCID = CONTROL_MCID


def answered_items(instrument: str) -> int:
    """How many answers the person gives (ACQ-7's last item comes from spirometry)."""
    count = len(ITEMS[instrument])
    return count - 1 if instrument == "acq7" else count


def item_ranges(instrument: str) -> list[tuple[int, int]]:
    """The answer scale of each item the person answers, low to high."""
    return [
        (int(spec.low or 0), int(spec.high or 0))
        for spec in ITEMS[instrument][: answered_items(instrument)]
    ]


def load_follow_up(
    session: Session, actor: Actor, follow_up_id: int, *, for_update: bool = False
) -> FollowUp:
    """The follow-up, as the actor may see it (another patient's: 404)."""
    row = (
        records.lock_row(session, FollowUp, follow_up_id)
        if for_update
        else session.get(FollowUp, follow_up_id)
    )
    if row is None or not records.patient_visible(actor, row.patient_id):
        raise NotFound("no such follow-up")
    return row


def live_check_in(follow_up: FollowUp) -> CheckIn | None:
    return records.newest_live(follow_up.check_ins)


def check_in_out(row: CheckIn, baseline: float | None) -> CheckInOut:
    out = CheckInOut.model_validate(row)
    if baseline is None:
        return out
    change = round(row.score - baseline, 4)
    out.baseline_score = baseline
    out.change_from_baseline = change
    if row.instrument in MCID:
        mcid, _better = MCID[row.instrument]
        out.important_change = abs(change) >= mcid - 1e-9
    return out


def _when(data: CheckInIn, follow_up: FollowUp, on_behalf: bool) -> tuple[dt.datetime, dt.date]:
    now = utcnow()
    today = clinic_day(now)
    if not on_behalf and (data.answered_on is not None or data.mode is not None):
        raise InvalidInput({"answered_on": Msg(m.E_ANSWERED_ON_STAFF)})
    day = data.answered_on or today
    if day > today:
        raise InvalidInput({"answered_on": Msg(m.E_ANSWERED_FUTURE)})
    if day < follow_up.window_start:
        start = follow_up.window_start.isoformat()
        if data.answered_on is None:
            raise Conflict(Msg(m.E_NOT_OPEN_YET, date=start))
        raise InvalidInput({"answered_on": Msg(m.E_ANSWERED_BEFORE, date=start)})
    if day == today:
        return now, day
    noon = dt.datetime.combine(day, dt.time(12), ZoneInfo(get_settings().clinic_timezone))
    return noon.astimezone(dt.UTC), day


def _spirometry(
    patient: Any, data: CheckInIn, day: dt.date, errors: dict[str, str]
) -> SpirometryReading | None:
    if data.fev1_l is None or data.fvc_l is None or errors.get("fev1_l") or errors.get("fvc_l"):
        return None
    if patient.height_cm is None:
        errors["fev1_l"] = Msg(m.E_HEIGHT)
        return None
    sex = sex_code(patient.sex_at_birth)
    age = decimal_age(patient.date_of_birth, day)
    try:
        result = interpret_session(
            EQUATIONS,
            sex=sex,
            age=age,
            height_cm=patient.height_cm,
            fev1_pre_l=data.fev1_l,
            fvc_pre_l=data.fvc_l,
        )
    except SpirometryInputError as exc:
        errors["fev1_l"] = Msg(m.E_SPIROMETRY, reason=diagnostics_service.science_refusal(exc))
        return None
    return SpirometryReading(
        equations_version=result.equations_version,
        sex=sex,
        age_years=round(age, 2),
        height_cm=patient.height_cm,
        results={
            key: {
                "measured": r.measured,
                "pred": r.pred,
                "lln": r.lln,
                "z": r.z,
                "pctpred": r.pctpred,
                "below_lln": r.below_lln,
            }
            for key, r in result.results.items()
        },
        pattern=result.pattern,
        severity=result.severity,
    )


def _score(
    instrument: str,
    answers: list[Any],
    reading: SpirometryReading | None,
    errors: dict[str, str],
) -> Any:
    expected = answered_items(instrument)
    if len(answers) != expected:
        errors["answers"] = Msg(m.E_ANSWERS_COUNT, count=expected)
        return None
    full = list(answers)
    if instrument == "acq7":
        if reading is None:
            errors.setdefault("fev1_l", Msg(m.E_ACQ7_NEEDS_FEV1))
            return None
        full.append(round(reading.results["fev1_pre"].pctpred, 1))
    try:
        return score_questionnaire(instrument, full)
    except QuestionnaireError as exc:
        index = (exc.item or 1) - 1
        if index >= expected:  # ACQ-7's FEV1 item: the spirometry is implausible
            errors["fev1_l"] = Msg(m.E_SPIROMETRY, reason=diagnostics_service.science_refusal(exc))
            return None
        low, high = item_ranges(instrument)[index]
        errors[f"answers.{index}"] = Msg(m.E_ANSWER_RANGE, low=str(low), high=str(high))
        return None


def _exacerbations(
    items: list[ExacerbationIn], day: dt.date, errors: dict[str, str]
) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(items):
        if item.started_on is not None and item.started_on > day:
            errors[f"exacerbations.{i}.started_on"] = Msg(m.E_EXACERBATION_DATE)
        out.append(
            {
                **item.model_dump(mode="json"),
                "severity": "severe" if item.severe else "moderate",
            }
        )
    return out


def record_check_in(
    session: Session, actor: Actor, follow_up_id: int, data: CheckInIn, *, language: str
) -> CheckInOut:
    """Check, score, interpret and store a check-in (``language``: the language the
    questions were shown in)."""
    require_role(actor, CHECK_IN_ROLES)
    follow_up = load_follow_up(session, actor, follow_up_id, for_update=True)
    patient = patients_service.get_for_update(session, actor, follow_up.patient_id)
    on_behalf = actor.role != Role.PATIENT
    if on_behalf:
        require_role(actor, ON_BEHALF_ROLES)
    if live_check_in(follow_up) is not None:
        raise Conflict(Msg(m.E_ALREADY))
    answered_at, day = _when(data, follow_up, on_behalf)
    schedule = follow_up.schedule
    errors = data.problems()
    reading = _spirometry(patient, data, day, errors)
    scored = _score(schedule.instrument, data.answers, reading, errors)
    exacerbations = _exacerbations(data.exacerbations, day, errors)
    if errors or scored is None:
        raise InvalidInput(errors)
    row = CheckIn(
        follow_up_id=follow_up.id,
        patient_id=follow_up.patient_id,
        answered_at=answered_at,
        answered_on=day,
        on_behalf=on_behalf,
        mode=data.mode or ("web" if not on_behalf else "interview"),
        respondent="self",
        language=language,
        instrument=schedule.instrument,
        recall_days=RECALL_DAYS[schedule.instrument],
        answers=[*data.answers, *([] if scored.fev1_pct_pred is None else [scored.fev1_pct_pred])],
        score=scored.score,
        band=scored.band,
        algorithm_version=scored.algorithm_version,
        rescue_puffs_per_week=data.rescue_puffs_per_week,
        exacerbations=exacerbations,
        exacerbation_count=len(exacerbations),
        severe_exacerbation_count=sum(1 for e in exacerbations if e["severity"] == "severe"),
        maintenance_ocs_mg_per_day=data.maintenance_ocs_mg_per_day,
        medication_changed=data.medication_changed,
        medication_changes=data.medication_changes,
        fev1_l=data.fev1_l,
        fvc_l=data.fvc_l,
        spirometry=reading.model_dump(mode="json") if reading else None,
        notes=data.notes,
        **records.stamp(actor),
    )
    with records.flush_or_conflict(session, Msg(m.E_ALREADY)):
        session.add(row)
    records.store(
        session, actor, row, entity_type="follow_up_check_in", out=CheckInOut, commit=False
    )
    # The outcome registry reprojects the course in this transaction.
    events.emit(
        session,
        actor,
        "followup.check_in_recorded",
        patient_id=follow_up.patient_id,
        course_id=schedule.course_id,
        follow_up_id=follow_up.id,
    )
    session.commit()
    return check_in_out(row, schedule.baseline_score)


def retract_check_in(session: Session, actor: Actor, follow_up_id: int, reason: str) -> CheckInOut:
    """Mark the follow-up's check-in as entered in error (staff): it stops counting, the
    follow-up is open (or missed) again and may be answered anew."""
    require_role(actor, ON_BEHALF_ROLES)
    follow_up = load_follow_up(session, actor, follow_up_id, for_update=True)
    row = live_check_in(follow_up)
    if row is None:
        raise NotFound("this follow-up has no check-in to retract")
    records.retract(
        session, actor, row, entity_type="follow_up_check_in", reason=reason, commit=False
    )
    events.emit(
        session,
        actor,
        "followup.check_in_retracted",
        patient_id=follow_up.patient_id,
        course_id=follow_up.schedule.course_id,
        follow_up_id=follow_up.id,
    )
    session.commit()
    return check_in_out(row, follow_up.schedule.baseline_score)
