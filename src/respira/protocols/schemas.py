"""What the protocol step takes in and gives out (the API's JSON contract, issue 10).

``POST /api/v1/patients/{id}/courses`` takes ``{source, start_date, stay_days,
weight_kg, infusions: [{day, dose_million_cells_per_kg}], nebulisations: [{day,
amount_million_cells}], supporting: [{modality, count, days}], harvest_id?}`` and, here
also, the optional ``weight_measured_on`` (default: the day of drafting),
``premedication``, ``repeat_of_id`` (a repeat course) and ``override`` (a second
physician's e-signed override of the programme's limits). The answer adds ``id``,
``version``, ``status`` and, per infusion, ``cells_total`` = round(dose × 10^6 × weight).

Bounds here are only those of sense (a day of the stay is at least 1; a dose above
100 ×10^6 cells/kg is a unit error); the programme's limits are data, checked by the
service against the version in force so that its answer names that version.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from respira.kit import validation as v
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.kit.validation import ClinicalIn as _In
from respira.kit.validation import required_text as _required_text
from respira.patients.schemas import WeightKg

Source = Literal["allogeneic_cord", "autologous_bone_marrow", "autologous_adipose"]
Status = Literal["draft", "approved", "superseded"]
Modality = Literal[
    "physiotherapy",
    "kinesiotherapy",
    "electrotherapy",
    "ultrasound",
    "lymphatic_drainage",
    "low_level_laser",
    "imr_infusions",
    "plasmapheresis",
    "hypoxy_hyperoxy",
    "mesodiencephalic_modulation",
]

SOURCE_LABELS: dict[str, str] = {
    "allogeneic_cord": N_("Cord MSC, allogeneic (released lot)"),
    "autologous_bone_marrow": N_("Bone marrow MSC, autologous"),
    "autologous_adipose": N_("Adipose MSC, autologous"),
}
MODALITY_LABELS: dict[str, str] = {
    "physiotherapy": N_("Physiotherapy"),
    "kinesiotherapy": N_("Kinesiotherapy"),
    "electrotherapy": N_("Electrotherapy"),
    "ultrasound": N_("Ultrasound therapy"),
    "lymphatic_drainage": N_("Lymphatic drainage"),
    "low_level_laser": N_("Low-level laser therapy"),
    "imr_infusions": N_("Intracellular metabolism recovery (IMR) infusions"),
    "plasmapheresis": N_("Plasmapheresis"),
    "hypoxy_hyperoxy": N_("Hypoxy-hyperoxy therapy"),
    "mesodiencephalic_modulation": N_("Mesodiencephalic modulation"),
}
# The longest stay any limits version may allow, and so the largest day of a stay.
MAX_STAY_DAYS = 60


def _text(limit: int) -> AfterValidator:
    return AfterValidator(lambda s: v.plain_text(s, field_max=limit))


Day = Annotated[int, Field(ge=1, le=MAX_STAY_DAYS)]


class InfusionIn(_In):
    day: Day
    dose_million_cells_per_kg: float = Field(
        gt=0, le=100, description="10^6 cells per kg body weight"
    )


class NebulisationIn(_In):
    day: Day
    amount_million_cells: float = Field(gt=0, le=10_000, description="10^6 cells")


class SupportingIn(_In):
    modality: Modality
    count: int = Field(ge=1, le=100, description="sessions in the stay")
    days: list[Day] = Field(min_length=1, max_length=MAX_STAY_DAYS)


class OverrideIn(_In):
    """A second physician's e-signed override of the limits the plan is outside of:
    the second physician (by sign-in email or account id), their password, and why."""

    second_physician_email: str | None = Field(default=None, max_length=320)
    second_physician_id: int | None = Field(default=None, ge=1)
    password: str = Field(max_length=1024)
    reason: Annotated[str, _required_text(1000)]

    @model_validator(mode="after")
    def _names_a_physician(self) -> OverrideIn:
        if not self.second_physician_email and self.second_physician_id is None:
            raise ValueError("name the second physician: second_physician_email or _id")
        return self


class CourseIn(_In):
    source: Source
    start_date: dt.date = Field(description="the first day of the stay (day 1)")
    stay_days: int = Field(ge=1, le=MAX_STAY_DAYS)
    weight_kg: WeightKg
    weight_measured_on: v.PlausiblePastDate | None = None
    infusions: list[InfusionIn] = Field(min_length=1, max_length=12)
    nebulisations: list[NebulisationIn] = Field(default_factory=list, max_length=60)
    supporting: list[SupportingIn] = Field(default_factory=list, max_length=10)
    premedication: Annotated[str, _text(1000)] | None = None
    harvest_id: int | None = Field(default=None, ge=1)
    repeat_of_id: int | None = Field(default=None, ge=1)
    override: OverrideIn | None = None

    def problems(self) -> dict[str, str]:
        """Rules within the plan itself: days inside the stay, one IV infusion a day,
        each modality once with its sessions spread evenly over its days."""
        out: dict[str, str] = {}
        last = self.stay_days
        seen: dict[int, int] = {}
        for i, inf in enumerate(self.infusions):
            if inf.day > last:
                out[f"infusions.{i}.day"] = (
                    f"day {inf.day} is after the last day of a {last}-day stay "
                    f"(days run 1..{last}, day 1 being the start date)"
                )
            elif inf.day in seen:
                out[f"infusions.{i}.day"] = (
                    f"infusion {seen[inf.day] + 1} is already on day {inf.day}: at most one "
                    "IV infusion a day"
                )
            seen.setdefault(inf.day, i)
        for i, neb in enumerate(self.nebulisations):
            if neb.day > last:
                out[f"nebulisations.{i}.day"] = (
                    f"day {neb.day} is after the last day of a {last}-day stay (days run 1..{last})"
                )
        modalities: set[str] = set()
        for i, sup in enumerate(self.supporting):
            if sup.modality in modalities:
                out[f"supporting.{i}.modality"] = (
                    f"{MODALITY_LABELS[sup.modality]} is listed twice: give it once, with "
                    "all its days"
                )
            modalities.add(sup.modality)
            late = [d for d in sup.days if d > last]
            if late:
                out[f"supporting.{i}.days"] = (
                    f"day {late[0]} is after the last day of a {last}-day stay"
                )
            elif len(set(sup.days)) != len(sup.days):
                out[f"supporting.{i}.days"] = "a day is listed twice"
            elif sup.count % len(sup.days):
                out[f"supporting.{i}.count"] = (
                    f"{sup.count} sessions do not spread evenly over {len(sup.days)} days: "
                    "give as many sessions on each listed day (count = days × sessions a day)"
                )
        return out


class ApproveIn(_In):
    password: str = Field(max_length=1024)
    meaning: str = Field(max_length=64)


# --- programme limits -----------------------------------------------------------------


class LimitsIn(_In):
    dose_min_million_cells_per_kg: float = Field(gt=0, le=100)
    dose_max_million_cells_per_kg: float = Field(gt=0, le=100)
    max_infusions_per_course: int = Field(ge=1, le=12)
    stay_min_days: int = Field(ge=1, le=MAX_STAY_DAYS)
    stay_max_days: int = Field(ge=1, le=MAX_STAY_DAYS)
    lead_time_bone_marrow_days: int = Field(ge=0, le=365)
    lead_time_adipose_days: int = Field(ge=0, le=365)
    infusion_chairs_per_day: int = Field(ge=1, le=100)
    reason: Annotated[str, _required_text(1000)]

    def problems(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.dose_min_million_cells_per_kg > self.dose_max_million_cells_per_kg:
            out["dose_min_million_cells_per_kg"] = "is above the highest dose"
        if self.stay_min_days > self.stay_max_days:
            out["stay_min_days"] = "is longer than the longest stay"
        return out


class LimitsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int | None
    version: int
    dose_min_million_cells_per_kg: float
    dose_max_million_cells_per_kg: float
    max_infusions_per_course: int
    stay_min_days: int
    stay_max_days: int
    lead_time_bone_marrow_days: int
    lead_time_adipose_days: int
    infusion_chairs_per_day: int
    reason: str
    created_at: dt.datetime | None
    created_by: str = Field(validation_alias="created_by_name")


# --- courses out ----------------------------------------------------------------------


class InfusionOut(BaseModel):
    day: int
    date: dt.date
    dose_million_cells_per_kg: float
    cells_total: int


class NebulisationOut(BaseModel):
    day: int
    date: dt.date
    amount_million_cells: float


class SupportingOut(BaseModel):
    modality: Modality
    count: int
    days: list[int]


class LimitBreach(BaseModel):
    limit: str
    field: str
    message: str


class OverrideOut(BaseModel):
    second_physician: str
    second_physician_id: int
    reason: str
    limits: list[LimitBreach]
    signature_id: int


class ChangeOut(BaseModel):
    field: str
    before: Any
    after: Any


class CourseOut(BaseModel):
    id: int
    patient_id: int
    number: int
    version: int
    status: Status
    source: Source
    harvest_id: int | None
    start_date: dt.date
    end_date: dt.date
    stay_days: int
    weight_kg: float
    weight_measured_on: dt.date
    premedication: str | None
    infusions: list[InfusionOut]
    nebulisations: list[NebulisationOut]
    supporting: list[SupportingOut]
    repeat_of_id: int | None
    revises_id: int | None
    superseded_by_id: int | None
    revision_id: int | None  # the next version, draft or approved, if there is one
    limits_version: int
    override: OverrideOut | None
    created_at: dt.datetime
    created_by: str
    approved_at: dt.datetime | None
    approved_by: str | None
    meaning: str | None
    content_hash: str | None
    medication_at_approval: str | None
    changes_from_previous: list[ChangeOut] | None


class DayPlan(BaseModel):
    """One day of the stay as the ward prints it."""

    day: int
    date: dt.date
    infusions: list[InfusionOut]
    nebulisations: list[NebulisationOut]
    supporting: list[tuple[str, int]]  # (modality, sessions that day)


class Eligibility(BaseModel):
    """Whether a course may be drafted for the patient, and why (not): ``reason`` in
    English (the API's), ``reason_text`` the same as a ``Msg`` that a page shows in its
    reader's language."""

    eligible: bool
    screening_id: int | None
    reason: str
    _said: Msg | None = PrivateAttr(default=None)

    def said(self, reason: Msg) -> None:
        """Keep the reason's message (its id and parameters) for the pages."""
        self._said = reason

    @property
    def reason_text(self) -> str:
        return self._said if self._said is not None else self.reason
