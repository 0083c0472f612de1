"""What comes in and goes out of the outcomes step (Pydantic). Sections by part of the
step; each part adds its own."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from respira.kit.validation import ClinicalIn, required_text

# --- registry exits (H2) ---------------------------------------------------------------

ExitKind = Literal["withdrawn", "died", "lost"]
EXIT_REASON_MAX = 1000


class ExitIn(ClinicalIn):
    """A patient left follow-up: withdrew consent, died, or could no longer be reached
    (``lost``), on a day (the clinic's calendar day), and why."""

    kind: ExitKind
    on_date: dt.date
    reason: Annotated[str, required_text(EXIT_REASON_MAX)]


class ExitRetractIn(ClinicalIn):
    reason: Annotated[str, required_text(EXIT_REASON_MAX)]


class ExitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: int
    patient_id: int
    kind: ExitKind
    on_date: dt.date
    reason: str | None
    recorded_at: dt.datetime
    recorded_by: str = Field(validation_alias="recorded_by_name")
    retracted: bool
    retracted_at: dt.datetime | None
    retracted_by: str | None = Field(validation_alias="retracted_by_name")
    retraction_reason: str | None
