"""What the medical summaries take in and give out (the API contract of issue 12).

``POST /api/v1/patients/{id}/summaries`` takes ``{kind: discharge|follow_up, language}``
(and optionally the physician's ``recommendations``) and answers ``{id, version,
status}`` with the rest of the summary; ``POST /api/v1/summaries/{id}/sign`` takes
``{password, meaning: "approved summary"}``; ``GET /api/v1/summaries/{id}.pdf`` answers
the PDF (``?lang=en`` the English copy). A draft's text is changed with ``PATCH
/api/v1/summaries/{id}`` (``If-Match``: its ``draft_revision``), a signed summary is
corrected with ``POST /api/v1/summaries/{id}/revisions`` ``{what_changed}``.

``SignedSummary`` is what other steps read of a signed summary (the FHIR step makes a
DocumentReference of each).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from respira.kit.validation import ClinicalIn, blank_to_none, required_text

Kind = Literal["discharge", "follow_up"]
Status = Literal["draft", "signed", "superseded"]
# What the physician writes: recommendations for the home physician, and what a
# correction changed (a page or two of text, not a book).
RECOMMENDATIONS_MAX = 6000
WHAT_CHANGED_MAX = 2000


class SummaryIn(ClinicalIn):
    kind: Kind
    # The patient's language (en, de or ru); left out: the patient's preferred language
    # when Respira writes it, else English.
    language: str | None = Field(default=None, max_length=16)
    recommendations: Annotated[str, required_text(RECOMMENDATIONS_MAX)] | None = None

    _blanks = field_validator("language", "recommendations", mode="before")(blank_to_none)


class DraftIn(ClinicalIn):
    """A draft's text: the recommendations and, for a correction, what changed."""

    recommendations: Annotated[str, required_text(RECOMMENDATIONS_MAX)] | None = None
    what_changed: Annotated[str, required_text(WHAT_CHANGED_MAX)] | None = None

    _blanks = field_validator("recommendations", "what_changed", mode="before")(blank_to_none)


class RevisionIn(ClinicalIn):
    """A correction of a signed summary: a new version that says what changed."""

    what_changed: Annotated[str, required_text(WHAT_CHANGED_MAX)]


class SignIn(ClinicalIn):
    password: str = Field(max_length=1024)
    meaning: str = Field(max_length=64)


class SummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    version: int
    status: Status
    patient_id: int
    kind: Kind
    language: str
    title: str
    revises_id: int | None
    superseded_by_id: int | None = None
    recommendations: str | None
    what_changed: str | None
    changed_sections: list[str] | None
    created_at: dt.datetime
    created_by: str = Field(validation_alias="created_by_name")
    signed_at: dt.datetime | None
    signed_by: str | None = Field(validation_alias="signed_by_name")
    signature_id: int | None
    meaning: str | None = None
    content_sha256: str | None
    pdf_sha256: str | None
    pdf_english_sha256: str | None
    draft_revision: int
    # Where the PDFs are: the patient's language, and English.
    pdf_url: str
    pdf_english_url: str


@dataclass(frozen=True)
class SignedSummary:
    """A signed summary as other steps read it: the PDF is the patient's-language copy
    exactly as it was signed, ``sha256`` its hash; ``status`` is ``current`` or
    ``superseded`` (a later correction was signed)."""

    id: int
    patient_id: int
    version: int
    kind: str
    language: str
    title: str
    status: str
    signed_at: dt.datetime
    signed_by_name: str
    sha256: str
    pdf: bytes
    superseded_by_id: int | None = None
