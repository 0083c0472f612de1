"""What the patient registry takes in and gives out (the API's JSON contract)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from respira.kit import validation as v
from respira.kit.validation import blank_to_none

MAX_AGE_YEARS = 120


def _dob(value: dt.date) -> dt.date:
    today = v.latest_today()
    if value > today:
        raise ValueError("the date of birth cannot be in the future")
    if v.age_years(value, today) > MAX_AGE_YEARS:
        raise ValueError(f"the age would be over {MAX_AGE_YEARS} years: check the year")
    return value


def _height(value: float) -> float:
    if not 40 <= value <= 250:
        raise ValueError("height must be between 40 and 250 cm (is the unit cm?)")
    return value


def _weight(value: float) -> float:
    if not 2 <= value <= 400:
        raise ValueError("weight must be between 2 and 400 kg (is the unit kg?)")
    return value


def _pack_years(value: float) -> float:
    if not 0 <= value <= 200:
        raise ValueError("pack-years must be between 0 and 200")
    return value


Name = Annotated[str, AfterValidator(v.person_name)]
DateOfBirth = Annotated[dt.date, AfterValidator(_dob)]
Country = Annotated[str, AfterValidator(v.country_code)]
Language = Annotated[str, AfterValidator(v.language_tag)]
Email = Annotated[str, AfterValidator(v.email_address)]
Phone = Annotated[str, AfterValidator(v.phone_number)]
HeightCm = Annotated[float, AfterValidator(_height)]
WeightKg = Annotated[float, AfterValidator(_weight)]
PackYears = Annotated[float, AfterValidator(_pack_years)]
Sex = Literal["female", "male"]


class _PatientForm(v.InputModel):
    """What the registration and the edit share: no unknown fields, trimmed text, and an
    optional field sent blank ("" from a form) means none."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    _blanks = field_validator(
        "email",
        "phone",
        "height_cm",
        "weight_kg",
        "smoking_pack_years",
        mode="before",
        check_fields=False,
    )(blank_to_none)


class PatientIn(_PatientForm):
    first_name: Name
    last_name: Name
    date_of_birth: DateOfBirth
    sex_at_birth: Sex
    country: Country
    preferred_language: Language = "en"
    email: Email | None = None
    phone: Phone | None = None
    height_cm: HeightCm | None = None
    weight_kg: WeightKg | None = None
    smoking_pack_years: PackYears | None = None


class PatientPatch(_PatientForm):
    """Only the fields sent are changed; optional fields may be cleared with null."""

    first_name: Name | None = None
    last_name: Name | None = None
    date_of_birth: DateOfBirth | None = None
    sex_at_birth: Sex | None = None
    country: Country | None = None
    preferred_language: Language | None = None
    email: Email | None = None
    phone: Phone | None = None
    height_cm: HeightCm | None = None
    weight_kg: WeightKg | None = None
    smoking_pack_years: PackYears | None = None

    @field_validator(
        "first_name",
        "last_name",
        "date_of_birth",
        "sex_at_birth",
        "country",
        "preferred_language",
        mode="before",
    )
    @classmethod
    def _required_not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("is required and cannot be cleared")
        return value


class PatientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    medical_record_number: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    sex_at_birth: Sex
    country: str
    preferred_language: str
    email: str | None
    phone: str | None
    height_cm: float | None
    weight_kg: float | None
    smoking_pack_years: float | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class PatientPage(BaseModel):
    items: list[PatientOut]
    total: int
    page: int = Field(ge=1)
    page_size: int = Field(ge=1)
    pages: int
    fuzzy: bool = Field(
        default=False,
        description="no patient contains the words searched for: these are the patients "
        "with the most similar names, best first",
    )


# --- probable duplicates --------------------------------------------------------------

MAX_STATED_DISTINCT = 50


class DuplicateStatement(BaseModel):
    """The user's statement that the person is not one of the patients the duplicate
    check showed: the ids of the candidates they looked at."""

    not_a_duplicate_of: list[int] = Field(
        default_factory=list,
        max_length=MAX_STATED_DISTINCT,
        description="ids of the patients shown as probable duplicates that the user "
        "checked and found to be other people (send all current candidates)",
    )


class PatientRegistration(PatientIn, DuplicateStatement):
    """A new patient, with the statement about the probable duplicates if there were
    any (``POST /api/v1/patients`` answers 409 with them first)."""


class DuplicateCandidateOut(BaseModel):
    id: int
    medical_record_number: str
    name: str
    date_of_birth: dt.date
    why: str = Field(description="why the patient may be the same person, in words")


class DuplicateConflict(BaseModel):
    """The answer (409) to a registration of a probable duplicate: the candidates."""

    detail: str
    # Empty for the other conflicts the same operations answer (a stale version).
    candidates: list[DuplicateCandidateOut] = Field(default_factory=list)
