"""What the follow-up takes in and gives out.

The contract of issue 11: ``GET /api/v1/patients/{id}/follow-ups`` answers
``[{id, month, window_start, window_end, state}]`` (plus the course, the due date and
the check-in, if any); ``POST /api/v1/follow-ups/{id}/check-in`` takes ``CheckInIn``.

Single-field rules (ranges, units) are checked here and cross-field rules in
``CheckInIn.problems()``; every message is a ``Msg`` (English for the API, translated
on the patient's page). Ranges: rescue-inhaler use 0–400 puffs a week (two 200-dose
canisters); maintenance oral corticosteroid 0–100 mg/day prednisolone equivalent
(above that it is not maintenance therapy; equivalences clinical.md §6); FEV1 0.2–8 L,
FVC 0.2–10 L (the diagnostics forms' ranges, covering the GLI reference populations),
FEV1 not above FVC by more than the spirometry tolerance of science.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from respira.followup import messages as m
from respira.kit.texts import Msg
from respira.kit.validation import ClinicalIn, plain_text, required_text
from respira.science.spirometry import TOLERANCE_FEV1_OVER_FVC_L, fev1_exceeds_fvc

State = Literal["upcoming", "open", "completed", "completed_late", "missed"]
Instrument = Literal["act", "cact", "acq5", "acq6", "acq7"]
Mode = Literal["web", "paper", "interview"]
Treatment = Literal["corticosteroid_course", "emergency_visit", "hospitalisation"]
TREATMENTS: tuple[str, ...] = ("corticosteroid_course", "emergency_visit", "hospitalisation")

MAX_EXACERBATIONS = 20
MAX_ANSWERS = 10
NOTES_MAX = 4000
MEDICATION_MAX = 2000
CONTACT_NOTE_MAX = 2000
PUFFS_RANGE = (0.0, 400.0)
OCS_RANGE = (0.0, 100.0)
FEV1_RANGE = (0.2, 8.0)
FVC_RANGE = (0.2, 10.0)


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _within(low: float, high: float, message: str) -> Any:
    def check(value: float) -> float:
        if not low <= value <= high:
            raise ValueError(Msg(message))
        return value

    return AfterValidator(check)


def _text(limit: int) -> Any:
    def check(value: str) -> str:
        try:
            return plain_text(value, field_max=limit)
        except ValueError as exc:
            raise ValueError(Msg(m.E_TOO_LONG, max=limit)) from exc

    return AfterValidator(check)


class ExacerbationIn(ClinicalIn):
    """An asthma attack since the last check-in and how it was treated (clinical.md
    §2.5: severe when it needed systemic corticosteroids — a course of tablets or
    injections — alone or with an emergency visit or a hospital stay)."""

    started_on: dt.date | None = None
    corticosteroid_course: bool = False
    emergency_visit: bool = False
    hospitalisation: bool = False

    _blanks = field_validator("started_on", mode="before")(_blank_to_none)

    @property
    def severe(self) -> bool:
        return self.corticosteroid_course


class CheckInIn(ClinicalIn):
    # The questionnaire's answers in item order (ACQ-7: items 1–6; its seventh item is
    # the FEV1 % predicted of this check-in's spirometry).
    answers: list[int | float] = Field(max_length=MAX_ANSWERS)
    rescue_puffs_per_week: Annotated[float, _within(*PUFFS_RANGE, m.E_PUFFS)]
    exacerbations: list[ExacerbationIn] = Field(default_factory=list)
    maintenance_ocs_mg_per_day: Annotated[float, _within(*OCS_RANGE, m.E_OCS)] = 0.0
    medication_changed: bool = False
    medication_changes: Annotated[str, _text(MEDICATION_MAX)] | None = None
    fev1_l: Annotated[float, _within(*FEV1_RANGE, m.E_FEV1)] | None = None
    fvc_l: Annotated[float, _within(*FVC_RANGE, m.E_FVC)] | None = None
    notes: Annotated[str, _text(NOTES_MAX)] | None = None
    # Staff entering a check-in on the patient's behalf: the day the patient answered
    # (a paper form, a phone interview) and how.
    answered_on: dt.date | None = None
    mode: Mode | None = None

    _blanks = field_validator(
        "medication_changes", "fev1_l", "fvc_l", "notes", "answered_on", "mode", mode="before"
    )(_blank_to_none)

    @field_validator("exacerbations")
    @classmethod
    def _not_too_many(cls, value: list[ExacerbationIn]) -> list[ExacerbationIn]:
        if len(value) > MAX_EXACERBATIONS:
            raise ValueError(Msg(m.E_EXACERBATIONS_MANY, max=MAX_EXACERBATIONS))
        return value

    def problems(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.medication_changed and not self.medication_changes:
            out["medication_changes"] = Msg(m.E_MEDICATION)
        if not self.medication_changed and self.medication_changes:
            out["medication_changes"] = Msg(m.E_NO_MEDICATION_CHANGE)
        if (self.fev1_l is None) != (self.fvc_l is None):
            field = "fvc_l" if self.fvc_l is None else "fev1_l"
            out[field] = Msg(m.E_FEV1_FVC_PAIR)
        elif (
            self.fev1_l is not None
            and self.fvc_l is not None
            and fev1_exceeds_fvc(self.fev1_l, self.fvc_l)
        ):
            msg = Msg(m.E_FEV1_OVER_FVC, tolerance=f"{TOLERANCE_FEV1_OVER_FVC_L:.2f}")
            out["fev1_l"] = msg
            out["fvc_l"] = msg
        return out


# --- validation errors as messages a patient can read ----------------------------------

_TYPE_MESSAGES = {
    "float_parsing": m.E_NUMBER,
    "float_type": m.E_NUMBER,
    "int_parsing": m.E_WHOLE,
    "int_type": m.E_WHOLE,
    "int_from_float": m.E_WHOLE,
    "date_parsing": m.E_DATE,
    "date_from_datetime_parsing": m.E_DATE,
    "date_type": m.E_DATE,
    "literal_error": m.E_CHOOSE,
    "bool_parsing": m.E_CHOOSE,
    "finite_number": m.E_NUMBER,
}


def readable_errors(exc: ValidationError) -> dict[str, str]:
    """``{field: Msg}`` for a check-in that did not validate; a field inside a list is
    named with dots (``answers.2``, ``exacerbations.0.started_on``)."""
    out: dict[str, str] = {}
    for err in exc.errors():
        field = ".".join(str(part) for part in err.get("loc", ())) or "__all__"
        cause = (err.get("ctx") or {}).get("error")
        message = cause.args[0] if isinstance(cause, ValueError) and cause.args else None
        if not isinstance(message, Msg):
            message = Msg(_TYPE_MESSAGES.get(str(err.get("type")), m.E_NOT_VALID))
        out.setdefault(field, message)
    return out


# --- what goes out -------------------------------------------------------------------


class FollowUpOut(BaseModel):
    """One check-in of a patient's schedule (the issue's contract, and what else a
    list shows: the course it follows, its due date, its check-in)."""

    id: int
    month: int
    window_start: dt.date
    window_end: dt.date
    state: State
    patient_id: int
    schedule_id: int
    course_id: int
    course_number: int
    due_date: dt.date
    instrument: Instrument
    check_in_id: int | None = None
    completed_at: dt.datetime | None = None
    answered_on: dt.date | None = None
    closing_soon: bool = False


class ExacerbationOut(BaseModel):
    started_on: dt.date | None
    corticosteroid_course: bool
    emergency_visit: bool
    hospitalisation: bool
    severity: Literal["severe", "moderate"]


class ReferenceOut(BaseModel):
    measured: float
    pred: float
    lln: float
    z: float
    pctpred: float
    below_lln: bool


class SpirometryReading(BaseModel):
    """Home or local spirometry read against the GLI equations, as at diagnostics."""

    equations_version: str
    sex: str
    age_years: float
    height_cm: float
    results: dict[str, ReferenceOut]
    pattern: str
    severity: str | None


class CheckInOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    follow_up_id: int
    patient_id: int
    answered_at: dt.datetime
    answered_on: dt.date
    on_behalf: bool
    mode: Mode
    respondent: str
    language: str
    instrument: Instrument
    recall_days: int
    answers: list[int | float]
    score: float
    band: str
    algorithm_version: str
    rescue_puffs_per_week: float
    exacerbations: list[ExacerbationOut]
    exacerbation_count: int
    severe_exacerbation_count: int
    maintenance_ocs_mg_per_day: float
    medication_changed: bool
    medication_changes: str | None
    fev1_l: float | None
    fvc_l: float | None
    spirometry: SpirometryReading | None
    notes: str | None
    recorded_at: dt.datetime
    recorded_by: str = Field(validation_alias="recorded_by_name")
    retracted: bool
    retraction_reason: str | None
    # Against the baseline questionnaire of the schedule (the same instrument).
    baseline_score: float | None = None
    change_from_baseline: float | None = None
    important_change: bool | None = None


class ContactIn(ClinicalIn):
    """A phone call to the patient about a check-in: reached or not, and a note."""

    reached: bool
    note: Annotated[str, required_text(CONTACT_NOTE_MAX)]


class RetractionIn(ClinicalIn):
    reason: Annotated[str, required_text(500)]


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    follow_up_id: int
    channel: str
    reached: bool
    note: str
    recorded_at: dt.datetime
    recorded_by: str = Field(validation_alias="recorded_by_name")


class ReminderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: Literal["window_open", "closing"]
    outcome: Literal["queued", "no_email", "no_account", "skipped"]
    language: str | None
    outbox_id: int | None
    created_at: dt.datetime


class FollowUpDetail(FollowUpOut):
    anchor_date: dt.date
    anchor_source: Literal["last_administration", "discharge"]
    baseline_score: float | None
    baseline_on: dt.date | None
    check_in: CheckInOut | None
    contacts: list[ContactOut]
    reminders: list[ReminderOut]
    # Why no reminder can reach the patient (no email address, no portal account), or
    # None when one can.
    no_reminder_reason: str | None


class BoardItem(FollowUpOut):
    """A row of the coordinators' list."""

    patient_name: str
    medical_record_number: str
    last_contact: ContactOut | None
    no_reminder_reason: str | None
    reminders_sent: int


class Board(BaseModel):
    items: list[BoardItem]
    counts: dict[str, int]
    closing_soon_days: int


# --- the plan --------------------------------------------------------------------------


class WindowIn(ClinicalIn):
    month: int = Field(ge=1, le=60)
    before_days: int = Field(ge=0, le=90)
    after_days: int = Field(ge=0, le=90)


class PlanIn(ClinicalIn):
    windows: list[WindowIn] = Field(min_length=1, max_length=12)
    closing_soon_days: int = Field(ge=0, le=30)
    source: Annotated[str, required_text(1000)]


class PlanOut(BaseModel):
    version: int
    windows: list[WindowIn]
    closing_soon_days: int
    source: str
    created_at: dt.datetime | None
    created_by: str | None


class ScheduleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    course_id: int
    course_number: int
    admission_id: int | None
    anchor_date: dt.date
    anchor_source: str
    plan_version: int
    instrument: Instrument
    baseline_score: float | None
    baseline_on: dt.date | None
