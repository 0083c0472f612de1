"""What the intake step takes in and gives out: the JSON contract of consultation
requests (issue 3: ``kind, name, email, phone, country, preferred_language,
preferred_contact_time, description, consent, consent_text_version``; Respira adds
``id, status, created_at``, and ``version`` and ``patient_id``).

The public form and the public API share ``ConsultationRequestIn``, so both apply the
same rules and limits. Its rules raise errors with a code (``respira.intake.messages``)
so that the page can show each message in the visitor's language; the API answers in
English.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from respira.intake import models as m
from respira.intake.messages import CONSENT_TEXT_VERSION, error_text
from respira.kit import validation as v
from respira.kit.marks import N_
from respira.patients.schemas import (
    MAX_STATED_DISTINCT,
    Country,
    DateOfBirth,
    Email,
    HeightCm,
    Language,
    Name,
    PackYears,
    PatientOut,
    Phone,
    Sex,
    WeightKg,
)

Kind = Literal["consultation", "callback"]
Status = Literal["new", "contacted", "scheduled", "converted", "declined"]
KINDS: tuple[str, ...] = ("consultation", "callback")
STATUSES: tuple[str, ...] = ("new", "contacted", "scheduled", "converted", "declined")

# Limits of what a person may type (characters). A phone number is typed with spaces
# and brackets, so its input may be longer than the 16 characters stored.
NAME_MAX = m.NAME_MAX
EMAIL_MAX = m.EMAIL_MAX
PHONE_INPUT_MAX = 30
COUNTRY_INPUT_MAX = 2
LANGUAGE_MAX = m.LANGUAGE_MAX
CONTACT_TIME_MAX = m.CONTACT_TIME_MAX
DESCRIPTION_MAX = m.DESCRIPTION_MAX
CONSENT_VERSION_MAX = m.CONSENT_VERSION_MAX
DECLINE_REASON_MAX = m.DECLINE_REASON_MAX
NOTES_MAX = m.NOTES_MAX

# Bidirectional embedding, override and isolate controls: legitimate right-to-left
# names do not need them, and they can make a name display as something else.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def rule(code: str, **params: Any) -> PydanticCustomError:
    """A validation error with a code the page can translate."""
    return PydanticCustomError(code, error_text(code, **params), params or None)


def clean_text(
    value: object, *, max_len: int, required: bool, one_line: bool = False
) -> str | None:
    """Free text from a person: line breaks normalised, NFC, trimmed, without control
    characters, within its length. Blank means absent."""
    if value is None:
        if required:
            raise rule("required")
        return None
    if not isinstance(value, str):
        raise rule("not_text")
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        if required:
            raise rule("required")
        return None
    for ch in text:
        cat = unicodedata.category(ch)
        if (cat == "Cc" and ch not in "\n\t") or cat == "Cs" or ch in _BIDI_CONTROLS:
            raise rule("control_chars")
    if one_line and ("\n" in text or "\t" in text):
        raise rule("one_line")
    if len(text) > max_len:
        raise rule("too_long", max=max_len)
    return text


def _optional_contact(
    value: object, max_len: int, normalise: Callable[[str], str], code: str
) -> str | None:
    """An email address or phone number on one line, normalised; blank means absent and
    one that does not ``normalise`` is the ``code`` rule's error."""
    text = clean_text(value, max_len=max_len, required=False, one_line=True)
    if text is None:
        return None
    try:
        return normalise(text)
    except ValueError:
        raise rule(code) from None


class ConsultationRequestIn(v.InputModel):
    """A consultation or call-back request as the public sends it (page or API).

    A consultation needs a name, an email address or a phone number, the country, a
    short description of the asthma and consent; a call-back only the name, a phone
    number, the country and consent. The preferred language defaults to the language
    the request was made in.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    name: str
    email: str | None = Field(default=None, validate_default=True)
    phone: str | None = Field(default=None, validate_default=True)
    country: str
    preferred_language: str | None = None
    preferred_contact_time: str | None = None
    description: str | None = Field(default=None, validate_default=True)
    consent: bool
    consent_text_version: str

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> object:
        if value not in KINDS:
            raise rule("kind")
        return value

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str | None:
        text = clean_text(value, max_len=NAME_MAX, required=True, one_line=True)
        if text is not None and v.person_name_problem(text):
            raise rule("required")  # nothing visible: as if the field were left empty
        return text

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: object) -> str | None:
        return _optional_contact(value, EMAIL_MAX, v.email_address, "email")

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: object) -> str | None:
        return _optional_contact(value, PHONE_INPUT_MAX, v.phone_number, "phone")

    @field_validator("phone", mode="after")
    @classmethod
    def _contact(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Cross-field rules are checked here (after kind and email) so that the error
        # names a field; a field that failed its own rule is absent from info.data.
        if value is None:
            if info.data.get("kind") == "callback":
                raise rule("callback_phone")
            if "email" in info.data and info.data["email"] is None:
                raise rule("contact")
        return value

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise rule("required") if value in (None, "") else rule("country")
        if len(value.strip()) > COUNTRY_INPUT_MAX:
            raise rule("country")
        try:
            return v.country_code(value)
        except ValueError:
            raise rule("country") from None

    @field_validator("preferred_language", mode="before")
    @classmethod
    def _language(cls, value: object) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or len(value.strip()) > LANGUAGE_MAX:
            raise rule("language")
        try:
            return v.language_tag(value)
        except ValueError:
            raise rule("language") from None

    @field_validator("preferred_contact_time", mode="before")
    @classmethod
    def _contact_time(cls, value: object) -> str | None:
        return clean_text(value, max_len=CONTACT_TIME_MAX, required=False, one_line=True)

    @field_validator("description", mode="before")
    @classmethod
    def _description_text(cls, value: object) -> str | None:
        return clean_text(value, max_len=DESCRIPTION_MAX, required=False)

    @field_validator("description", mode="after")
    @classmethod
    def _description_needed(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("kind") == "consultation":
            raise rule("description")
        return value

    @field_validator("consent", mode="before")
    @classmethod
    def _consent(cls, value: object) -> bool:
        # Only an explicit JSON true (or the ticked box) is consent.
        if value is not True:
            raise rule("consent")
        return True

    @field_validator("consent_text_version", mode="before")
    @classmethod
    def _consent_version(cls, value: object) -> str:
        if value != CONSENT_TEXT_VERSION:
            raise rule("consent_version")
        return CONSENT_TEXT_VERSION


class ConsultationRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: Kind
    name: str
    email: str | None
    phone: str | None
    country: str
    preferred_language: str
    preferred_contact_time: str | None
    description: str | None
    consent: bool
    consent_text_version: str
    consent_language: str
    consent_given_at: dt.datetime
    channel: Literal["web", "api"]
    status: Status
    decline_reason: str | None
    notes: str | None
    patient_id: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ConsultationRequestPage(BaseModel):
    items: list[ConsultationRequestOut]
    total: int
    page: int = Field(ge=1)
    page_size: int = Field(ge=1)
    pages: int


def _staff_text(max_len: int, one_line: bool = False) -> Any:
    def check(value: object) -> str | None:
        try:
            return clean_text(value, max_len=max_len, required=False, one_line=one_line)
        except PydanticCustomError as exc:  # staff get the English message, same rule
            raise ValueError(exc.message()) from None

    return check


class ConsultationRequestPatch(v.InputModel):
    """A coordinator's change: a status transition (a decline needs its reason) and/or
    the internal notes (null or blank clears them). Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    decline_reason: str | None = Field(default=None, validate_default=True)
    notes: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status_given(cls, value: object) -> object:
        if value is None:
            raise ValueError(N_("a status cannot be cleared"))
        return value

    @field_validator("decline_reason", mode="before")
    @classmethod
    def _reason_text(cls, value: object) -> str | None:
        result: str | None = _staff_text(DECLINE_REASON_MAX)(value)
        return result

    @field_validator("decline_reason", mode="after")
    @classmethod
    def _reason_with_decline(cls, value: str | None, info: ValidationInfo) -> str | None:
        status = info.data.get("status")
        if status == "declined" and value is None:
            raise ValueError(N_("give the reason for declining the request"))
        if value is not None and status != "declined" and "status" in info.data:
            raise ValueError(N_("a reason is given only together with the status declined"))
        return value

    @field_validator("notes", mode="before")
    @classmethod
    def _notes(cls, value: object) -> str | None:
        result: str | None = _staff_text(NOTES_MAX)(value)
        return result


class ConversionIn(v.InputModel):
    """What converting a request into a patient needs beyond the request: the date of
    birth and the sex at birth, optionally height, weight and smoking. Fields of the
    request (names split from the single name, email, phone, country, preferred
    language) are carried over unless sent here; a field sent as null is cleared."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    date_of_birth: DateOfBirth
    sex_at_birth: Sex
    first_name: Name | None = None
    last_name: Name | None = None
    country: Country | None = None
    preferred_language: Language | None = None
    email: Email | None = None
    phone: Phone | None = None
    height_cm: HeightCm | None = None
    weight_kg: WeightKg | None = None
    smoking_pack_years: PackYears | None = None
    reason: str | None = Field(default=None, max_length=500)
    # The probable duplicates the user checked and found to be other people (see
    # POST /api/v1/patients): a conversion is refused with them (409) until then.
    not_a_duplicate_of: list[int] = Field(default_factory=list, max_length=MAX_STATED_DISTINCT)


class ConversionOut(BaseModel):
    consultation_request: ConsultationRequestOut
    patient: PatientOut
