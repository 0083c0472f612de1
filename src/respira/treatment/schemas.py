"""What the stay takes in and gives out: the JSON contract of issue 10 (field names
exactly as the issue lists them) plus what Respira adds (who recorded, when).

Single-field rules (plausible vital-sign ranges, the route, the reactions list) are
checked here so that the message lands beside the field; rules that tie fields together
(systolic above diastolic, end after start) are in ``problems()``; rules that need the
database (the unit, the course, the witness, a recent go check) are in the service.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.kit.validation import ClinicalIn as _In
from respira.kit.validation import UTCDatetime as AwareDatetime
from respira.kit.validation import blank_to_none
from respira.kit.validation import required_text as _text
from respira.treatment.models import VITAL_RANGES

Route = Literal["iv", "nebulised"]
Phase = Literal["before", "during", "after"]
Reaction = Literal["fever", "chills", "headache", "nausea", "fatigue", "infusion-site irritation"]
REACTIONS: tuple[str, ...] = (
    N_("fever"),
    N_("chills"),
    N_("headache"),
    N_("nausea"),
    N_("fatigue"),
    N_("infusion-site irritation"),
)
ROUTE_LABELS = {"iv": N_("intravenous infusion"), "nebulised": N_("nebulised")}
PHASES: tuple[str, ...] = ("before", "during", "after")
# The phases in words (a page shows them with ``_()`` in the reader's language).
PHASE_WORDS = {"before": N_("before"), "during": N_("during"), "after": N_("after")}
VITAL_LABELS: dict[str, tuple[str, str]] = {
    "temperature_c": (N_("Temperature"), N_("°C")),
    "heart_rate_bpm": (N_("Heart rate"), N_("beats/min")),
    "systolic_mmhg": (N_("Systolic pressure"), N_("mmHg")),
    "diastolic_mmhg": (N_("Diastolic pressure"), N_("mmHg")),
    "spo2_pct": (N_("SpO2"), N_("%")),
    "respiratory_rate_per_min": (N_("Respiratory rate"), N_("breaths/min")),
}
# A bedside check is good for this long before the administration that relies on it.
CHECK_VALID_FOR = dt.timedelta(minutes=30)


def _number(value: float) -> float | int:
    """A number as a person writes it (37, not 37.0), for a message's parameters."""
    return int(value) if float(value).is_integer() else value


def _in_range(name: str) -> Any:
    low, high = VITAL_RANGES[name]
    label, unit = VITAL_LABELS[name]

    def check(value: float) -> float:
        if not low <= value <= high:
            raise ValueError(
                Msg(
                    N_(
                        "%(label)s %(value)s %(unit)s is not plausible: it must be between "
                        "%(low)s and %(high)s %(unit)s"
                    ),
                    label=Msg(label),
                    value=_number(value),
                    unit=Msg(unit),
                    low=_number(low),
                    high=_number(high),
                )
            )
        return value

    return AfterValidator(check)


# --- bedside checks -------------------------------------------------------------------


class BedsideCheckIn(_In):
    """``patient_code`` is the wristband code (the medical record number); ``din`` the
    13 scanned characters, or 14 when the eye-readable check character is typed."""

    patient_code: str = Field(min_length=1, max_length=64)
    din: str = Field(min_length=1, max_length=32)


class BedsideCheckOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ok: bool
    reasons: list[str]
    reason_codes: list[str]
    patient_code: str
    patient_id: int | None
    din: str
    unit_id: int | None
    course_id: int | None
    checked_at: dt.datetime
    checked_by_name: str


# --- administrations ------------------------------------------------------------------


class VitalsIn(_In):
    phase: Phase
    temperature_c: Annotated[float, _in_range("temperature_c")] | None = None
    heart_rate_bpm: Annotated[float, _in_range("heart_rate_bpm")] | None = None
    systolic_mmhg: Annotated[float, _in_range("systolic_mmhg")] | None = None
    diastolic_mmhg: Annotated[float, _in_range("diastolic_mmhg")] | None = None
    spo2_pct: Annotated[float, _in_range("spo2_pct")] | None = None
    respiratory_rate_per_min: Annotated[float, _in_range("respiratory_rate_per_min")] | None = None

    _blanks = field_validator(*VITAL_RANGES, mode="before")(blank_to_none)

    def problems(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if (self.systolic_mmhg is None) != (self.diastolic_mmhg is None):
            out["diastolic_mmhg" if self.diastolic_mmhg is None else "systolic_mmhg"] = N_(
                "blood pressure needs both systolic and diastolic (mmHg)"
            )
        elif (
            self.systolic_mmhg is not None
            and self.diastolic_mmhg is not None
            and self.systolic_mmhg <= self.diastolic_mmhg
        ):
            out["systolic_mmhg"] = Msg(
                N_("systolic (%(systolic)s mmHg) must be above diastolic (%(diastolic)s mmHg)"),
                systolic=_number(self.systolic_mmhg),
                diastolic=_number(self.diastolic_mmhg),
            )
        if all(getattr(self, name) is None for name in VITAL_RANGES):
            out["phase"] = Msg(
                N_("no vital sign was entered for the %(phase)s measurement"),
                phase=Msg(PHASE_WORDS[self.phase]),
            )
        return out


class AdministrationIn(_In):
    din: str = Field(min_length=1, max_length=32)
    patient_id: int
    course_id: int
    route: Route
    started_at: AwareDatetime
    ended_at: AwareDatetime
    volume_ml: float = Field(gt=0, le=1000)
    rate_ml_per_h: float = Field(gt=0, le=2000)
    vitals: list[VitalsIn] = Field(min_length=1, max_length=50)
    witness_email: str = Field(min_length=3, max_length=320)
    reactions: list[Reaction] = Field(default_factory=list, max_length=len(REACTIONS))
    reaction_notes: Annotated[str, _text(2000)] | None = None

    _blanks = field_validator("reaction_notes", mode="before")(blank_to_none)

    def problems(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.ended_at < self.started_at:
            out["ended_at"] = N_("the end of the administration is before its start")
        now = dt.datetime.now(dt.UTC)
        if self.started_at > now + dt.timedelta(minutes=5):
            out["started_at"] = N_("the start of the administration is in the future")
        if self.ended_at > now + dt.timedelta(minutes=5):
            out["ended_at"] = N_("the end of the administration is in the future")
        if len(set(self.reactions)) != len(self.reactions):
            out["reactions"] = N_("a reaction is listed twice")
        if "before" not in {vs.phase for vs in self.vitals}:
            out["vitals"] = N_("vital signs before the administration are required")
        for i, vs in enumerate(self.vitals):
            for name, message in vs.problems().items():
                out.setdefault(f"vitals.{i}.{name}", message)
        return out


class VitalsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    phase: Phase
    temperature_c: float | None
    heart_rate_bpm: float | None
    systolic_mmhg: float | None
    diastolic_mmhg: float | None
    spo2_pct: float | None
    respiratory_rate_per_min: float | None


class AdministrationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    din: str
    patient_id: int
    course_id: int
    admission_id: int | None
    bedside_check_id: int
    infusion_day: int | None
    route: Route
    started_at: dt.datetime
    ended_at: dt.datetime
    volume_ml: float
    rate_ml_per_h: float
    vitals: list[VitalsOut]
    operator: str = Field(validation_alias="recorded_by_name")
    operator_id: int | None = Field(validation_alias="recorded_by_id")
    witness_id: int
    witness_name: str
    reactions: list[str]
    reaction_notes: str | None
    recorded_at: dt.datetime
    # Entered in error (staff still see it, marked; a patient does not).
    retracted: bool = False


# --- admissions -----------------------------------------------------------------------


class AdmissionIn(_In):
    course_id: int
    admitted_at: AwareDatetime


class DischargeIn(_In):
    discharged_at: AwareDatetime | None = None
    note: Annotated[str, _text(2000)] | None = None

    _blanks = field_validator("note", "discharged_at", mode="before")(blank_to_none)


class AdmissionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    course_id: int
    admitted_at: dt.datetime
    admitted_by: str = Field(validation_alias="recorded_by_name")
    discharged_at: dt.datetime | None
    discharged_by_name: str | None
    discharge_note: str | None


# --- supporting sessions --------------------------------------------------------------


class SupportingSessionIn(_In):
    course_id: int
    modality: Annotated[str, _text(64)]
    day: dt.date
    done: bool
    reason: Annotated[str, _text(1000)] | None = None

    _blanks = field_validator("reason", mode="before")(blank_to_none)

    def problems(self) -> dict[str, str]:
        if not self.done and self.reason is None:
            return {"reason": N_("say why the session was skipped")}
        return {}


class SupportingSessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    course_id: int
    patient_id: int
    modality: str
    day: dt.date
    done: bool
    reason: str | None
    recorded_by_name: str
    recorded_at: dt.datetime


# --- the ward board -------------------------------------------------------------------


class DueItem(BaseModel):
    """Something the course has due on the day: an infusion (with its dose), a
    nebulisation, or a supporting session; ``done`` once recorded. ``label`` and
    ``detail`` are English sentences; the structured fields say the same for a page to
    write in its reader's language: the course ``day`` of an infusion or nebulisation,
    when and by whom an infusion was ``given_at``/``given_by``, a supporting
    session's ``skip_reason`` (a session recorded as not done), and the number of the
    ``dose`` (``dose_million_cells``: million cells per kg of an infusion, million cells
    of a nebulisation)."""

    kind: Literal["infusion", "nebulisation", "supporting"]
    label: str
    dose: str | None = None
    dose_million_cells: float | None = None
    cells: float | None = None
    modality: str | None = None
    day: int | None = None
    done: bool
    detail: str | None = None
    given_at: dt.datetime | None = None
    given_by: str | None = None
    skip_reason: str | None = None
    record_id: int | None = None


class WardPatient(BaseModel):
    patient_id: int
    name: str
    medical_record_number: str
    course_id: int
    course_number: str | None
    admission_id: int | None
    admitted_at: dt.datetime | None
    discharged_at: dt.datetime | None
    in_ward: bool
    due: list[DueItem]


class WardBoard(BaseModel):
    day: dt.date
    patients: list[WardPatient]
