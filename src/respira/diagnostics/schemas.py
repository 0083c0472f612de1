"""What diagnostics takes in and gives out: the JSON contract of issue 3 (field names
exactly as the issue lists them) plus what Respira adds (who recorded a record, when,
and whether it was retracted).

Single-field rules — types, units, plausible ranges, wrong-unit catches — are checked
here, so that the message lands beside the field. Rules that tie several fields
together are in each schema's ``problems()`` (returning ``{field: message}``); rules
that need the patient record (dates against the date of birth, the patient's height)
are in the service. Every rule's message names the field and its unit.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, computed_field, field_validator

from respira.diagnostics import units
from respira.diagnostics.science_texts import translatable_problems
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.kit.validation import ClinicalIn as _In
from respira.kit.validation import PastDate, blank_to_none
from respira.kit.validation import required_text as _text
from respira.science.control import BANDS, ITEM_LABELS, ITEMS
from respira.science.spirometry import below_lln, normal_limit_flag, session_problems

# The questionnaires' items, labels and bands, as the forms and pages show them (science
# holds them; pages ask here rather than import science).
QUESTIONNAIRE_ITEMS = ITEMS
QUESTIONNAIRE_ITEM_LABELS = ITEM_LABELS
QUESTIONNAIRE_BANDS = BANDS

Equations = Literal["gli-global", "gli-2012"]
Ethnicity = Literal["caucasian", "african_american", "ne_asian", "se_asian", "other"]
Instrument = Literal["act", "cact", "acq5", "acq6", "acq7", "gina"]
Modality = Literal["chest_xray", "ct", "hrct", "other"]
IcsLevel = Literal["none", "low", "medium", "high"]
Biologic = Literal[
    "none", "omalizumab", "mepolizumab", "reslizumab", "benralizumab", "dupilumab", "tezepelumab"
]
YesNoUnknown = Literal["yes", "no", "unknown"]
RecordKind = Literal["spirometry", "markers", "imaging", "questionnaires", "history"]
#: Where the height a spirometry session used came from: measured at the session, the
#: patient's previous session, or the patient record.
HeightSource = Literal["measured", "previous_session", "patient_record"]
HEIGHT_SOURCES: tuple[str, ...] = ("measured", "previous_session", "patient_record")

ETHNICITY_LABELS: dict[str, str] = {
    "caucasian": "Caucasian",
    "african_american": "African American",
    "ne_asian": "North East Asian",
    "se_asian": "South East Asian",
    "other": "Other or mixed",
}
MODALITY_LABELS: dict[str, str] = {
    "chest_xray": "Chest X-ray",
    "ct": "Chest CT",
    "hrct": "HRCT",
    "other": "Other imaging",
}
BIOLOGIC_LABELS: dict[str, str] = {
    "none": "none",
    "omalizumab": "omalizumab (anti-IgE)",
    "mepolizumab": "mepolizumab (anti-IL-5)",
    "reslizumab": "reslizumab (anti-IL-5)",
    "benralizumab": "benralizumab (anti-IL-5Rα)",
    "dupilumab": "dupilumab (anti-IL-4Rα)",
    "tezepelumab": "tezepelumab (anti-TSLP)",
}
MAX_SENSITISATIONS = 40


# --- visits ---------------------------------------------------------------------------


class VisitIn(_In):
    visit_date: PastDate


class RetractionIn(_In):
    reason: Annotated[str, _text(500)]


# --- spirometry -----------------------------------------------------------------------


# What a spirometry session measures: FEV1 and FVC before and after the bronchodilator,
# and FEF25-75 (under the names the science takes).
SPIROMETRY_VOLUMES = ("fev1_pre_l", "fvc_pre_l", "fev1_post_l", "fvc_post_l")
SPIROMETRY_MEASURED = (*SPIROMETRY_VOLUMES, "fef2575_pre_l_s")


class SpirometryIn(_In):
    equations: Equations = "gli-global"
    ethnicity: Ethnicity | None = None
    # Measured at the session; empty: the newest recorded height (the patient's previous
    # session's on or before the visit date, else the patient record's).
    height_cm: Annotated[float, AfterValidator(units.height_cm)] | None = None
    fev1_pre_l: Annotated[float, AfterValidator(units.volume_l("FEV1", 8))] | None = None
    fvc_pre_l: Annotated[float, AfterValidator(units.volume_l("FVC", 10))] | None = None
    fev1_post_l: Annotated[float, AfterValidator(units.volume_l("FEV1", 8))] | None = None
    fvc_post_l: Annotated[float, AfterValidator(units.volume_l("FVC", 10))] | None = None
    fef2575_pre_l_s: Annotated[float, AfterValidator(units.flow_l_s("FEF25-75"))] | None = None
    bronchodilator: Annotated[str, _text(100)] | None = None
    bronchodilator_dose_ug: (
        Annotated[float, AfterValidator(units.bronchodilator_dose_ug)] | None
    ) = None

    _blanks = field_validator(
        "ethnicity",
        "height_cm",
        "fev1_pre_l",
        "fvc_pre_l",
        "fev1_post_l",
        "fvc_post_l",
        "fef2575_pre_l_s",
        "bronchodilator",
        "bronchodilator_dose_ug",
        mode="before",
    )(blank_to_none)

    @property
    def has_post(self) -> bool:
        return self.fev1_post_l is not None or self.fvc_post_l is not None

    def measured(self) -> dict[str, Any]:
        """The measured values (``None``: not measured), under the names science takes."""
        return self.model_dump(include=set(SPIROMETRY_MEASURED))

    def problems(self) -> dict[str, str]:
        # The spirometry rules (pre values required, post values in pairs, FEV1 not
        # above FVC beyond the tolerance, the reference group each equation set takes)
        # live in science; the bronchodilator name and dose are this form's own.
        out = translatable_problems(
            session_problems(
                **self.model_dump(include=set(SPIROMETRY_VOLUMES)),
                equations=self.equations,
                ethnicity=self.ethnicity,
            )
        )
        if self.has_post:
            if self.bronchodilator is None:
                out["bronchodilator"] = N_(
                    "name the bronchodilator given before the post-bronchodilator test"
                )
            if self.bronchodilator_dose_ug is None:
                out["bronchodilator_dose_ug"] = N_("enter the bronchodilator dose given (µg)")
        else:
            if self.bronchodilator is not None:
                out["bronchodilator"] = N_(
                    "no post-bronchodilator values were entered; leave the bronchodilator "
                    "empty or enter FEV1 and FVC after it"
                )
            if self.bronchodilator_dose_ug is not None:
                out["bronchodilator_dose_ug"] = N_(
                    "no post-bronchodilator values were entered; leave the dose empty or "
                    "enter FEV1 and FVC after the bronchodilator"
                )
        return out


class ReferenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    measured: float
    pred: float
    lln: float
    uln: float
    z: float
    pctpred: float

    @property
    def below_lln(self) -> bool:
        return below_lln(self.z)

    @property
    def flag(self) -> str | None:
        """below_lln | above_uln | within (science's normal-limit flag)."""
        return normal_limit_flag(self.z)


class _RecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    visit_id: int
    recorded_at: dt.datetime
    recorded_by: str = Field(validation_alias="recorded_by_name")
    retracted: bool
    retracted_at: dt.datetime | None
    retracted_by: str | None = Field(validation_alias="retracted_by_name")
    retraction_reason: str | None


class SpirometryOut(_RecordOut):
    equations: Equations
    ethnicity: Ethnicity | None
    fev1_pre_l: float
    fvc_pre_l: float
    fev1_post_l: float | None
    fvc_post_l: float | None
    fef2575_pre_l_s: float | None
    bronchodilator: str | None
    bronchodilator_dose_ug: float | None
    # Empty, with pattern, severity and the 2022 BDR null, when the equations have no
    # reference values for the patient's age on the visit date.
    results: dict[str, ReferenceOut]
    pattern: str | None
    severity: str | None
    bdr: bool | None
    bdr_fev1_pct_pred_change: float | None
    bdr_fvc_pct_pred_change: float | None
    bdr_2005: bool | None
    equations_version: str
    sex: Literal["M", "F"]
    age_years: float
    height_cm: float
    height_source: HeightSource
    notes: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reference_values(self) -> bool:
        """Whether the equations gave reference values (no: the age is outside them)."""
        return bool(self.results)

    @field_validator("results", mode="before")
    @classmethod
    def _results_by_key(cls, value: Any) -> Any:
        if isinstance(value, list):
            return {r.key: r for r in value}
        return value


# --- markers --------------------------------------------------------------------------


class SensitisationIn(_In):
    allergen: Annotated[str, _text(100)]
    positive: bool
    method: Literal["skin_prick", "sige"] | None = None

    _blanks = field_validator("method", mode="before")(blank_to_none)


class SensitisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    allergen: str
    positive: bool
    method: str | None


class MarkersIn(_In):
    blood_eosinophils_per_ul: Annotated[float, AfterValidator(units.eosinophils_per_ul)] | None = (
        None
    )
    feno_ppb: Annotated[float, AfterValidator(units.feno_ppb)] | None = None
    total_ige_iu_ml: Annotated[float, AfterValidator(units.total_ige_iu_ml)] | None = None
    sensitisations: list[SensitisationIn] = Field(
        default_factory=list, max_length=MAX_SENSITISATIONS
    )
    on_maintenance_ocs: bool = False
    on_biologic: bool = False
    # A whole count of 1–9 cells/µL is recorded only when confirmed (units.py).
    confirm_low_eosinophils: bool = False

    _blanks = field_validator(
        "blood_eosinophils_per_ul", "feno_ppb", "total_ige_iu_ml", mode="before"
    )(blank_to_none)

    def panel_fields(self) -> dict[str, Any]:
        """What the panel stores (and the phenotype takes) of the request."""
        return self.model_dump(exclude={"sensitisations", "confirm_low_eosinophils"})

    def problems(self) -> dict[str, str]:
        eos = self.blood_eosinophils_per_ul
        if units.is_very_low_eosinophil_count(eos) and not self.confirm_low_eosinophils:
            assert eos is not None
            return {
                "blood_eosinophils_per_ul": units.low_eosinophils_need_confirmation(eos),
                "confirm_low_eosinophils": units.message(
                    N_("confirm that blood eosinophils of %(value)s cells/µL is right"), value=eos
                ),
            }
        if (
            self.blood_eosinophils_per_ul is None
            and self.feno_ppb is None
            and self.total_ige_iu_ml is None
            and not self.sensitisations
        ):
            msg = N_("enter at least one marker or allergy test")
            return {"blood_eosinophils_per_ul": msg, "feno_ppb": msg, "total_ige_iu_ml": msg}
        seen: set[str] = set()
        for s in self.sensitisations:
            key = (s.allergen.casefold(), s.method)
            if str(key) in seen:
                return {
                    "sensitisations": Msg(
                        N_("%(allergen)s is listed twice with the same method"),
                        allergen=s.allergen,
                    )
                }
            seen.add(str(key))
        return {}


class MarkersOut(_RecordOut):
    blood_eosinophils_per_ul: float | None
    feno_ppb: float | None
    total_ige_iu_ml: float | None
    sensitisations: list[SensitisationOut]
    on_maintenance_ocs: bool
    on_biologic: bool
    age_years: float
    phenotype: str
    phenotype_thresholds: dict[str, Any] = Field(validation_alias="phenotype_detail")
    phenotype_version: str


# --- imaging --------------------------------------------------------------------------


class ImagingIn(_In):
    modality: Modality
    study_date: PastDate
    findings: Annotated[str, _text(5000)]
    abnormal: bool
    clinically_indicated: bool
    indication: Annotated[str, _text(500)] | None = None

    _blanks = field_validator("indication", mode="before")(blank_to_none)

    def problems(self) -> dict[str, str]:
        if self.clinically_indicated and self.indication is None:
            return {"indication": N_("state the clinical indication for the imaging")}
        if not self.clinically_indicated and self.indication is not None:
            return {
                "indication": N_(
                    "the imaging is marked as not clinically indicated; leave the "
                    "indication empty or mark it as indicated"
                )
            }
        return {}


class ImagingOut(_RecordOut):
    modality: Modality
    study_date: dt.date
    findings: str
    abnormal: bool
    clinically_indicated: bool
    indication: str | None


# --- questionnaires -------------------------------------------------------------------


class QuestionnaireIn(_In):
    instrument: Instrument
    answers: list[bool | int | float] = Field(max_length=20)
    respondent: Literal["self", "caregiver", "interviewer"] | None = None
    mode: Literal["paper", "web", "interview"] | None = None

    _blanks = field_validator("respondent", "mode", mode="before")(blank_to_none)


class QuestionnaireOut(_RecordOut):
    instrument: Instrument
    answers: list[bool | int | float]
    score: float
    band: str
    algorithm_version: str
    respondent: str | None
    mode: str | None


# --- treatment and exacerbation history -----------------------------------------------


class HistoryIn(_In):
    ics_dose_level: IcsLevel
    laba: bool
    lama: bool
    maintenance_ocs: bool
    ocs_dose_mg_per_day: Annotated[float, AfterValidator(units.ocs_dose_mg_per_day)] | None = None
    biologic: Biologic
    gina_step: int = Field(ge=1, le=5)
    gina_track: int | None = Field(default=None, ge=1, le=2)
    severe_exacerbations_12m: int = Field(ge=0, le=52)
    hospitalisations_12m: int = Field(ge=0, le=52)
    last_exacerbation_date: PastDate | None = None
    last_systemic_cs_date: PastDate | None = None
    rescue_puffs_per_week: Annotated[float, AfterValidator(units.rescue_puffs_per_week)]
    adherence_confirmed: YesNoUnknown = "unknown"
    inhaler_technique_confirmed: YesNoUnknown = "unknown"

    _blanks = field_validator(
        "ocs_dose_mg_per_day",
        "gina_track",
        "last_exacerbation_date",
        "last_systemic_cs_date",
        mode="before",
    )(blank_to_none)

    def problems(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.maintenance_ocs and self.ocs_dose_mg_per_day is None:
            out["ocs_dose_mg_per_day"] = N_(
                "enter the maintenance OCS dose (mg/day prednisone-equivalent)"
            )
        if not self.maintenance_ocs and self.ocs_dose_mg_per_day is not None:
            out["ocs_dose_mg_per_day"] = N_(
                "the patient is not on maintenance OCS; leave the dose empty or tick "
                "maintenance OCS"
            )
        if self.hospitalisations_12m > self.severe_exacerbations_12m:
            out["hospitalisations_12m"] = Msg(
                N_(
                    "%(hospitalisations)s hospitalisations but %(exacerbations)s severe "
                    "exacerbations: every asthma hospitalisation counts as a severe "
                    "exacerbation (ATS/ERS 2009)"
                ),
                hospitalisations=self.hospitalisations_12m,
                exacerbations=self.severe_exacerbations_12m,
            )
        return out


class HistoryOut(_RecordOut):
    ics_dose_level: IcsLevel
    laba: bool
    lama: bool
    maintenance_ocs: bool
    ocs_dose_mg_per_day: float | None
    biologic: Biologic
    gina_step: int
    gina_track: int | None
    severe_exacerbations_12m: int
    hospitalisations_12m: int
    last_exacerbation_date: dt.date | None
    last_systemic_cs_date: dt.date | None
    rescue_puffs_per_week: float
    adherence_confirmed: YesNoUnknown
    inhaler_technique_confirmed: YesNoUnknown


# --- visits out -----------------------------------------------------------------------


# Any one record of a visit (the answer of a retraction).
RecordOut = SpirometryOut | MarkersOut | ImagingOut | QuestionnaireOut | HistoryOut


class VisitOut(BaseModel):
    """A visit with everything recorded at it, each kind newest first."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    visit_date: dt.date
    recorded_at: dt.datetime
    recorded_by: str = Field(validation_alias="recorded_by_name")
    retracted: bool
    retracted_at: dt.datetime | None
    retracted_by: str | None = Field(validation_alias="retracted_by_name")
    retraction_reason: str | None
    spirometry: list[SpirometryOut] = Field(default_factory=list)
    markers: list[MarkersOut] = Field(default_factory=list)
    imaging: list[ImagingOut] = Field(default_factory=list)
    questionnaires: list[QuestionnaireOut] = Field(default_factory=list)
    history: list[HistoryOut] = Field(default_factory=list)


class ControlSummary(BaseModel):
    instrument: Instrument
    score: float
    band: str


class VisitSummary(BaseModel):
    """One line of a patient's visit list: the key results of the visit (each from its
    newest live record of that kind)."""

    id: int
    patient_id: int
    visit_date: dt.date
    retracted: bool
    retraction_reason: str | None
    pattern: str | None
    severity: str | None
    fev1_pre_l: float | None
    fev1_pre_pctpred: float | None
    fev1_pre_z: float | None
    bdr: bool | None
    bdr_2005: bool | None
    phenotype: str | None
    control: list[ControlSummary]
    records: dict[str, int]

    @property
    def fev1_pre_below_lln(self) -> bool:
        return below_lln(self.fev1_pre_z)


class VisitList(BaseModel):
    items: list[VisitSummary]
    total: int
