"""What the safety step takes in and gives out: the JSON contract of issue 11 (field names
exactly as the issue lists them) plus what Respira adds (the lot, the clock, who
recorded and acknowledged, the reports, the history).

Single-field rules (the causality and outcome vocabularies, grade 1–5, text lengths) are
checked here so that the message lands beside the field; rules that need the catalogue
or tie fields together (a grade the term lacks, resolution before onset, the grade-5
rule) are in ``problems()``; rules that need the database (the administration, the
infusion/allergic rule, the expected list in force) are in the service.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from respira.kit.errors import InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.kit.validation import ClinicalIn, latest_today
from respira.kit.validation import UTCDatetime as AwareDatetime
from respira.kit.validation import required_text as _text
from respira.kit.web.forms import errors_by_field
from respira.safety import catalogue, rules
from respira.safety.rules import Causality, Criterion, Outcome

ReportKind = Literal["initial", "follow_up"]
RosterRole = Literal["physician", "medical_director"]

_EVENT_FIELDS = (
    "term",
    "grade",
    "onset_date",
    "resolution_date",
    "serious_criteria",
    "causality",
    "administration_id",
    "action",
    "outcome",
    "narrative",
)


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class AdverseEventIn(ClinicalIn):
    term: str = Field(min_length=1, max_length=100)
    grade: int = Field(ge=1, le=5)
    onset_date: dt.date
    resolution_date: dt.date | None = None
    serious_criteria: list[Criterion] = Field(default_factory=list, max_length=6)
    causality: Causality
    administration_id: int | None = None
    action: Annotated[str, _text(500)] | None = None
    outcome: Outcome | None = None
    narrative: Annotated[str, _text(4000)] | None = None

    _blanks = field_validator(
        "resolution_date", "administration_id", "action", "outcome", "narrative", mode="before"
    )(_blank_to_none)

    def problems(self) -> dict[str, str]:
        out = catalogue.grade_problem(self.term, self.grade)
        if len(set(self.serious_criteria)) != len(self.serious_criteria):
            out["serious_criteria"] = N_("a seriousness criterion is listed twice")
        for name, message in rules.date_problems(
            self.onset_date, self.resolution_date, latest_today()
        ).items():
            out.setdefault(name, message)
        if "grade" not in out:
            consistent = rules.grade_five_rule(self.grade, self.serious_criteria, self.outcome)
            for name, message in consistent.problems.items():
                out.setdefault(name, message)
        return out


class CorrectionIn(ClinicalIn):
    """A correction: why, and the fields of ``AdverseEventIn`` that change (the rest
    stay as they are); the changed record is checked as a whole (``corrected``)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    reason: Annotated[str, _text(1000)]

    def changes(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    def corrected(self, stored: dict[str, Any]) -> AdverseEventIn:
        """The record as corrected: 422 naming a field that is not the event's, or a
        value the event's schema refuses."""
        unknown = sorted(set(self.changes()) - set(_EVENT_FIELDS))
        if unknown:
            raise InvalidInput({name: "is not a field of an adverse event" for name in unknown})
        try:
            return AdverseEventIn.model_validate({**stored, **self.changes()})
        except ValidationError as exc:
            raise InvalidInput(errors_by_field(exc)) from None


def event_fields(row: Any) -> dict[str, Any]:
    """A stored event as ``AdverseEventIn``'s fields (to correct it)."""
    return {name: getattr(row, name) for name in _EVENT_FIELDS}


class ReasonIn(ClinicalIn):
    reason: Annotated[str, _text(1000)]


class ReportIn(ClinicalIn):
    kind: ReportKind
    text: Annotated[str, _text(8000)]
    password: str = Field(min_length=1, max_length=200)


class LotHoldIn(ClinicalIn):
    """Why the lot is stopped; the password e-signs a released lot's recall."""

    reason: Annotated[str, _text(1000)]
    password: str = Field(default="", max_length=200)


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    kind: ReportKind
    number: int
    text: str
    event_version: int
    signature_id: int
    signed_at: dt.datetime
    signed_by_name: str


class HistoryEntry(BaseModel):
    """One change of the event, from the audit trail."""

    at: dt.datetime
    by: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


class AdverseEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    administration_id: int | None
    course_id: int | None
    unit_id: int | None
    din: str | None
    lot_id: int | None
    lot_code: str | None
    term: str
    meddra_code: str | None
    ctcae_version: str
    grade: int
    onset_date: dt.date
    resolution_date: dt.date | None
    serious_criteria: list[str]
    serious: bool
    causality: str
    related: bool
    expected: bool
    expected_list_version: int
    action: str | None
    outcome: str | None
    narrative: str | None
    clock: str | None
    clock_started_at: dt.datetime | None
    report_due_at: dt.datetime | None
    follow_up_due_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    acknowledged_by_name: str | None
    recorded_at: dt.datetime
    recorded_by_name: str
    retracted: bool
    retraction_reason: str | None
    version: int


class AdverseEventDetail(AdverseEventOut):
    medical_record_number: str
    reports: list[ReportOut]
    history: list[HistoryEntry]
    clock_label: str | None = None
    clock_source: str | None = None


# --- the reference list of expected reactions -------------------------------------------


class ExpectedListIn(ClinicalIn):
    effective_from: dt.date
    terms: list[str] = Field(min_length=1, max_length=50)
    source: Annotated[str, _text(1000)]

    def problems(self) -> dict[str, str]:
        unknown = [t for t in self.terms if catalogue.ctcae().term(t) is None]
        if unknown:
            return {
                "terms": Msg(
                    N_("not CTCAE v%(version)s terms of the catalogue: %(terms)s"),
                    version=catalogue.ctcae().version,
                    terms=", ".join(unknown),
                )
            }
        names = [catalogue.ctcae().term(t).name for t in self.terms]  # type: ignore[union-attr]
        if len(set(names)) != len(names):
            return {"terms": N_("a term is listed twice")}
        return {}


class ExpectedListOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int | None
    version: int
    effective_from: dt.date
    terms: list[str]
    source: str
    created_at: dt.datetime | None
    created_by_name: str


# --- the on-call roster -----------------------------------------------------------------


class StaffRef(BaseModel):
    """A member of staff an alert or a message can go to."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    name: str
    email: str


class OnCallIn(ClinicalIn):
    user_id: int
    role: RosterRole
    starts_at: AwareDatetime
    ends_at: AwareDatetime

    def problems(self) -> dict[str, str]:
        if self.ends_at <= self.starts_at:
            return {"ends_at": N_("the shift must end after it starts")}
        if self.ends_at - self.starts_at > dt.timedelta(days=31):
            return {"ends_at": N_("a shift is at most 31 days; add the next one separately")}
        return {}


class OnCallOut(BaseModel):
    id: int
    user_id: int
    name: str
    email: str
    role: RosterRole
    starts_at: dt.datetime
    ends_at: dt.datetime
    created_by_name: str


# --- the views --------------------------------------------------------------------------


class TermCounts(BaseModel):
    term: str
    by_grade: dict[int, int]
    events: int
    patients: int
    serious: int


class ProgrammeOut(BaseModel):
    """Counts of live adverse events by term and grade, with the number of patients
    treated (at least one administration), so that a rate can be read."""

    ctcae_version: str
    patients_treated: int
    patients_with_events: int
    events: int
    serious: int
    terms: list[TermCounts]


class LotSafety(BaseModel):
    lot_id: int
    lot_code: str
    events: int
    related_severe: int
    flagged: bool
    threshold: int


class LotEventOut(BaseModel):
    """An event as the lot's page shows it: no patient identity (the laboratory reads
    lots, not patients)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    din: str | None
    term: str
    grade: int
    causality: str
    related: bool
    serious: bool
    onset_date: dt.date


class LotDetail(LotSafety):
    status: str | None
    events_list: list[LotEventOut]


class GradeOut(BaseModel):
    grade: int
    definition: str


class TermOut(BaseModel):
    name: str
    meddra_code: str | None
    note: str | None
    grades: list[GradeOut]


class CatalogueOut(BaseModel):
    version: str
    published: str
    source: str
    generic: list[GradeOut]
    terms: list[TermOut]
