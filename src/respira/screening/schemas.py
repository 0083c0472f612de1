"""What screening takes in and gives out (the API's JSON contract).

Screening (issue 3): the answer has ``id``, ``decision`` (``eligible`` |
``not_eligible`` | ``needs_review``), ``criteria_version`` and ``criteria`` (a list
of ``{id, description, status: met | not_met | unknown, evidence}``, here with the
criterion's kind, source, whether it is required, and the facts it read);
``POST /api/v1/screenings/{id}/sign`` takes ``{password, meaning}`` and afterwards the
screening answers ``signed_by``, ``signed_at`` and ``meaning``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from respira.kit import validation as v
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.kit.validation import blank_to_none
from respira.screening.models import MEANINGS, TRI_FIELDS

Tri = Literal["yes", "no", "unknown"]
Decision = Literal["eligible", "not_eligible", "needs_review"]
Status = Literal["met", "not_met", "unknown"]

MAX_TOML_CHARS = 64 * 1024


def _egfr(value: float) -> float:
    if not 1 <= value <= 200:
        raise ValueError(
            "eGFR must be between 1 and 200 mL/min/1.73m² (is the unit mL/min/1.73m²? "
            "a creatinine value in µmol/L or mg/dL is not an eGFR)"
        )
    return value


def _detail(value: str) -> str:
    return v.plain_text(value, field_max=500)


def _notes(value: str) -> str:
    return v.plain_text(value, field_max=2000)


PastDate = v.PlausiblePastDate
Egfr = Annotated[float, AfterValidator(_egfr)]
Detail = Annotated[str, AfterValidator(_detail)]
Notes = Annotated[str, AfterValidator(_notes)]


class FindingsIn(v.InputModel):
    """The physician's screening findings. Every yes/no question defaults to
    ``unknown`` ("not assessed"), which a rule reads as unknown, never as "no"."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    assessed_on: PastDate
    pneumonia: Tri = "unknown"
    active_tuberculosis: Tri = "unknown"
    other_active_infection: Tri = "unknown"
    tb_screening_result: Literal["negative", "positive", "indeterminate"] | None = None
    tb_screening_on: PastDate | None = None
    respiratory_infection_4w: Tri = "unknown"
    exacerbation_or_scs_4w: Tri = "unknown"
    heart_failure_nyha: Literal["none", "I", "II", "III", "IV"] | None = None
    unstable_cardiac_disease: Tri = "unknown"
    egfr_ml_min_1_73m2: Egfr | None = None
    egfr_measured_on: PastDate | None = None
    dialysis: Tri = "unknown"
    hepatic_impairment: Tri = "unknown"
    pregnant: Tri = "unknown"
    lactating: Tri = "unknown"
    pregnancy_test_result: Literal["negative", "positive"] | None = None
    pregnancy_test_on: PastDate | None = None
    malignancy_active_or_within_5y: Tri = "unknown"
    alternative_diagnosis: Tri = "unknown"
    alternative_diagnosis_detail: Detail | None = None
    immunosuppressant_30d: Tri = "unknown"
    investigational_product_30d: Tri = "unknown"
    excipient_allergy: Tri = "unknown"
    excipient_allergy_detail: Detail | None = None
    thrombosis_risk: Tri = "unknown"
    current_smoker: Tri = "unknown"
    ever_smoked: Tri = "unknown"
    smoking_quit_on: PastDate | None = None
    vaping: Tri = "unknown"
    airflow_variability_documented: Tri = "unknown"
    stable_general_health: Tri = "unknown"
    informed_consent: Tri = "unknown"
    decision_capacity: Tri = "unknown"
    notes: Notes | None = None

    _blanks = field_validator(
        "tb_screening_result",
        "tb_screening_on",
        "heart_failure_nyha",
        "egfr_ml_min_1_73m2",
        "egfr_measured_on",
        "pregnancy_test_result",
        "pregnancy_test_on",
        "smoking_quit_on",
        "alternative_diagnosis_detail",
        "excipient_allergy_detail",
        "notes",
        mode="before",
    )(blank_to_none)


# The yes/no questions whose "yes" speaks for the programme; every other one asks about a
# condition or treatment that excludes.
FAVOURABLE_YES = frozenset(
    {
        "airflow_variability_documented",
        "stable_general_health",
        "informed_consent",
        "decision_capacity",
    }
)


def clear_findings(sex_at_birth: str, today: dt.date, **changes: Any) -> FindingsIn:
    """Findings with nothing against the programme, assessed ``today`` (the demo clinic's
    candidates start from these): every question answered the favourable way, a
    negative TB screening and an eGFR of 90 twelve days ago, no heart failure, and for a
    woman a negative pregnancy test today (pregnancy and lactation are not assessed for
    a man); ``changes`` set any finding otherwise."""
    values: dict[str, Any] = {n: ("yes" if n in FAVOURABLE_YES else "no") for n in TRI_FIELDS}
    values.update(
        assessed_on=today,
        tb_screening_result="negative",
        tb_screening_on=today - dt.timedelta(days=12),
        heart_failure_nyha="none",
        egfr_ml_min_1_73m2=90.0,
        egfr_measured_on=today - dt.timedelta(days=12),
    )
    if sex_at_birth == "male":
        values.update(pregnant="unknown", lactating="unknown")
    else:
        values.update(pregnancy_test_result="negative", pregnancy_test_on=today)
    values.update(changes)
    return FindingsIn.model_validate(values)


class FindingsOut(FindingsIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    supersedes_id: int | None
    recorded_at: dt.datetime
    recorded_by: str = Field(validation_alias="recorded_by_name")
    # Stored records are shown as they were stored, whatever today's date.
    assessed_on: dt.date
    tb_screening_on: dt.date | None
    egfr_measured_on: dt.date | None
    pregnancy_test_on: dt.date | None
    smoking_quit_on: dt.date | None


class CriteriaSetIn(v.InputModel):
    model_config = ConfigDict(extra="forbid")

    toml: str = Field(min_length=1, max_length=MAX_TOML_CHARS)
    based_on_id: int | None = None
    activate: bool = False


class CriterionDef(BaseModel):
    id: str
    kind: str
    description: str
    source: str
    required: bool
    recheck_before_infusion: bool = False
    rule: dict[str, Any]


class CriteriaSetSummary(BaseModel):
    id: int
    version: str
    title: str
    is_active: bool
    based_on_id: int | None
    created_at: dt.datetime
    created_by: str
    activated_at: dt.datetime | None
    activated_by: str | None
    text_sha256: str
    criteria_count: int
    screenings_count: int


class CriteriaSetOut(CriteriaSetSummary):
    description: str
    toml: str
    criteria: list[CriterionDef]


class FactUseOut(BaseModel):
    fact: str
    label: str
    value: Any
    unit: str | None
    on: dt.date | None
    source: str | None
    state: Literal["used", "missing", "stale", "uncovered"]
    result: bool | None
    text: str
    # The value rounded as clinicians read it and exact, each with its unit, and the
    # rest of ``text`` (screenings evaluated before issue 14 have none of them).
    shown: str | None = None
    exact: str | None = None
    detail: str | None = None


class CriterionResultOut(BaseModel):
    id: str
    kind: str
    description: str
    source: str
    required: bool
    recheck_before_infusion: bool = False
    status: Status
    evidence: str
    facts: list[FactUseOut]


class ChangedEvidenceOut(BaseModel):
    """A record the screening read that was retracted or superseded since."""

    model_config = ConfigDict(from_attributes=True)

    record_type: str
    record_id: int
    label: str
    change: Literal["retracted", "superseded"]
    changed_at: dt.datetime | None
    changed_by: str | None
    reason: str | None
    superseded_by_id: int | None

    @property
    def kind(self) -> str:
        """The record's kind as a message id (not in the JSON): a page writes
        ``_(e.kind)`` and the id, in the reader's language."""
        from respira.screening.evidence import LABELS

        return LABELS[self.record_type]


class ScreeningIn(v.InputModel):
    """Run a screening; the optional note is kept as the audit trail's reason."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Annotated[str, AfterValidator(lambda s: v.plain_text(s, field_max=500))] | None = None


class ScreeningOut(BaseModel):
    id: int
    patient_id: int
    decision: Decision
    reasons: list[str]
    criteria_version: str
    criteria_set_id: int
    screening_date: dt.date
    criteria: list[CriterionResultOut]
    findings_id: int | None
    evaluated_at: dt.datetime
    evaluated_by: str
    supersedes_id: int | None
    superseded_by_id: int | None
    physician_note: str | None
    signed: bool
    signed_by: str | None
    signed_by_id: int | None
    signed_at: dt.datetime | None
    meaning: str | None
    signature_id: int | None
    content_hash: str | None
    signature_valid: bool | None
    version: int
    # The criteria the treatment step asks again on the infusion day, before the first
    # administration (time-critical exclusions: infection, pregnancy, exacerbation).
    recheck_before_first_infusion: list[str]
    # Whether a record the screening read was retracted or superseded since, and which
    # (a patient is not shown retracted records).
    evidence_changed: bool
    changed_evidence: list[ChangedEvidenceOut]


# The meanings are MEANINGS, written out so that the sentence can be translated.
_CHOOSE_MEANING = N_("choose what your signature means: approved eligibility or declined")
assert _CHOOSE_MEANING.endswith(" or ".join(MEANINGS))


class SignIn(v.InputModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=1024)
    meaning: str = Field(max_length=64)

    @field_validator("password")
    @classmethod
    def _password_given(cls, value: str) -> str:
        if not value:
            raise ValueError(Msg(N_("enter your password to sign")))
        return value

    @field_validator("meaning")
    @classmethod
    def _meaning_known(cls, value: str) -> str:
        value = value.strip()
        if value not in MEANINGS:
            raise ValueError(Msg(_CHOOSE_MEANING))
        return value


class NoteIn(v.InputModel):
    """The reviewing physician's note on an unsigned screening (signed with it)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    physician_note: Notes | None = None

    _blank = field_validator("physician_note", mode="before")(blank_to_none)
