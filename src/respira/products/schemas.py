"""What the cell product's use cases take in and answer (the JSON contract), and the
``UnitFacts`` the treatment step reads at the bedside."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.kit.validation import InputModel

MarkerResult = Literal["non-reactive", "reactive"]
Tissue = Literal["bone_marrow", "adipose"]
LotStatus = Literal["quarantine", "released", "recalled", "discarded"]
UnitStatus = Literal["available", "allocated", "thawed", "administered", "discarded"]

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ScreeningPanel(InputModel):
    """The donor's infectious-disease screening (clinical.md §5.2, adventitious agents):
    a marker left out was not tested."""

    model_config = _STRICT

    hiv: MarkerResult | None = None
    hbv: MarkerResult | None = None
    hcv: MarkerResult | None = None
    htlv: MarkerResult | None = None
    syphilis: MarkerResult | None = None
    cmv: MarkerResult | None = None


class DonorIn(InputModel):
    model_config = _STRICT

    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    consent: bool
    screening: ScreeningPanel = Field(default_factory=ScreeningPanel)


class DonorOut(BaseModel):
    id: int
    code: str
    consent: bool
    screening: ScreeningPanel
    eligible: bool
    ineligible_reasons: list[str]
    recorded_at: dt.datetime
    recorded_by: str


class HarvestIn(InputModel):
    model_config = _STRICT

    patient_id: int = Field(ge=1)
    tissue: Tissue
    harvested_on: dt.date
    volume_ml: float = Field(gt=0, le=1000, description="aspirate or lipoaspirate volume, mL")
    operator: str = Field(min_length=1, max_length=200)


class HarvestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    tissue: Tissue
    harvested_on: dt.date
    volume_ml: float
    operator: str
    recorded_at: dt.datetime
    recorded_by_name: str


class LotIn(InputModel):
    model_config = _STRICT

    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    origin: Literal["donor", "harvest"]
    donor_id: int | None = Field(default=None, ge=1)
    harvest_id: int | None = Field(default=None, ge=1)
    passage: int = Field(ge=0, le=50, description="the passage at which the lot was recorded")
    passaged_on: dt.date | None = None
    viable_cells_million: float = Field(ge=0, le=1_000_000)
    population_doublings: float | None = Field(default=None, ge=0, le=100)
    expiry: dt.date
    medium: str | None = Field(default=None, max_length=120)
    cryoprotectant: str = Field(default="10% DMSO", min_length=1, max_length=120)
    cryopreserved_on: dt.date | None = None
    freezer: str | None = Field(default=None, max_length=40)
    rack: str | None = Field(default=None, max_length=40)
    box: str | None = Field(default=None, max_length=40)
    position: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _one_origin(self) -> LotIn:
        if self.origin == "donor" and (self.donor_id is None or self.harvest_id is not None):
            raise ValueError("a donor lot names its donor_id and no harvest_id")
        if self.origin == "harvest" and (self.harvest_id is None or self.donor_id is not None):
            raise ValueError("a harvest lot names its harvest_id and no donor_id")
        return self


class PassageIn(InputModel):
    model_config = _STRICT

    passage: int = Field(ge=0, le=50)
    passaged_on: dt.date
    viable_cells_million: float = Field(ge=0, le=1_000_000)
    population_doublings: float | None = Field(default=None, ge=0, le=100)


class PassageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    passage: int
    passaged_on: dt.date
    viable_cells_million: float
    population_doublings: float | None
    recorded_by_name: str


class StorageIn(InputModel):
    model_config = _STRICT

    cryopreserved_on: dt.date
    freezer: str = Field(min_length=1, max_length=40)
    rack: str = Field(min_length=1, max_length=40)
    box: str = Field(min_length=1, max_length=40)
    position: str = Field(min_length=1, max_length=40)


class SpecItem(InputModel):
    """One release specification: a numeric range (``min`` and/or ``max``, inclusive) or
    the accepted categorical results."""

    model_config = ConfigDict(extra="forbid")

    attribute: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    label: str = Field(default="", max_length=120)
    unit: str = Field(max_length=16)
    min: float | None = None
    max: float | None = None
    max_exclusive: bool = False
    accepted: list[str] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> SpecItem:
        numeric = self.min is not None or self.max is not None
        if numeric == bool(self.accepted):
            raise ValueError(
                f"{self.attribute}: give numeric limits (min and/or max) or accepted results"
            )
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"{self.attribute}: min is above max")
        return self


class SpecificationIn(InputModel):
    model_config = _STRICT

    version: str = Field(min_length=1, max_length=64)
    source: str = Field(min_length=1, max_length=4000)
    passage_limit: int = Field(ge=0, le=50)
    items: list[SpecItem] = Field(min_length=1, max_length=50)

    @field_validator("items")
    @classmethod
    def _distinct(cls, items: list[SpecItem]) -> list[SpecItem]:
        names = [i.attribute for i in items]
        if len(set(names)) != len(names):
            raise ValueError("each attribute may have one specification")
        return items


class SpecificationOut(BaseModel):
    version: str
    source: str
    passage_limit: int
    items: list[SpecItem]
    created_at: dt.datetime
    created_by: str


class QcIn(InputModel):
    model_config = _STRICT

    attribute: str = Field(min_length=1, max_length=40)
    value: str = Field(min_length=1, max_length=64)
    unit: str = Field(default="", max_length=16)
    method: str = Field(min_length=1, max_length=200)
    tested_on: dt.date | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _as_text(cls, value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return repr(value) if isinstance(value, float) else str(value)
        return value


class QcResultOut(BaseModel):
    id: int
    attribute: str
    value: str
    unit: str
    method: str
    tested_on: dt.date
    operator: str
    recorded_at: dt.datetime


class QcCheck(BaseModel):
    """One specification against the newest result of its attribute."""

    attribute: str
    label: str
    unit: str
    requirement: str
    result: QcResultOut | None
    outcome: Literal["pass", "fail", "missing"]


class SignatureIn(InputModel):
    model_config = _STRICT

    password: str = Field(min_length=1, max_length=1024)
    meaning: str = Field(min_length=1, max_length=64)


class RecallIn(InputModel):
    model_config = _STRICT

    password: str = Field(min_length=1, max_length=1024)
    reason: str = Field(min_length=3, max_length=2000)


class ReasonIn(InputModel):
    model_config = _STRICT

    reason: str = Field(min_length=3, max_length=2000)


class UnitsIn(InputModel):
    model_config = _STRICT

    count: int = Field(ge=1, le=100)
    cells_million: float | None = Field(default=None, gt=0, le=100_000)
    volume_ml: float = Field(default=10.0, gt=0, le=1000)


class UnitOut(BaseModel):
    id: int
    din: str
    check_character: str
    eye_readable: str
    lot_id: int
    lot_code: str
    status: UnitStatus
    cells_million: float
    volume_ml: float
    thawed_at: dt.datetime | None
    thaw_expires_at: dt.datetime | None
    post_thaw_viability_pct: float | None


class LotOut(BaseModel):
    """A lot; ``blocking`` says in English why it cannot be released now (the API's),
    ``blocking_text`` the same as ``Msg``s that a page writes in its reader's language."""

    id: int
    code: str
    origin: Literal["donor", "harvest"]
    donor_id: int | None
    donor_code: str | None
    harvest_id: int | None
    patient_id: int | None
    status: LotStatus
    quarantine_reason: str | None
    passage: int
    passage_limit: int
    past_passage_limit: bool
    viable_cells_million: float
    population_doublings: float | None
    passages: list[PassageOut]
    medium: str | None
    cryoprotectant: str
    cryopreserved_on: dt.date | None
    storage: str | None
    expiry: dt.date
    expired: bool
    spec_version: str
    qc: list[QcCheck]
    qc_complete: bool
    all_specs_pass: bool
    donor_eligible: bool | None
    releasable: bool
    blocking: list[str]
    released_at: dt.datetime | None
    released_by: str | None
    recalled_at: dt.datetime | None
    recall_reason: str | None
    discarded_at: dt.datetime | None
    discard_reason: str | None
    units: list[UnitOut]
    created_at: dt.datetime
    version: int
    _blocking_said: list[Msg] | None = PrivateAttr(default=None)

    def said(self, blocking: list[Msg]) -> LotOut:
        """The lot, keeping the messages of ``blocking`` for the pages."""
        self._blocking_said = blocking
        return self

    @property
    def blocking_text(self) -> list[str]:
        return list(self._blocking_said) if self._blocking_said is not None else self.blocking


class LotSummary(BaseModel):
    id: int
    code: str
    origin: str
    status: LotStatus
    passage: int
    past_passage_limit: bool
    expiry: dt.date
    qc_complete: bool
    all_specs_pass: bool
    releasable: bool
    quarantine_reason: str | None
    created_at: dt.datetime
    units_available: int


class CustodyIn(InputModel):
    model_config = _STRICT

    kind: Literal["handover", "received", "stored", "discarded"] = "handover"
    from_party: str = Field(min_length=1, max_length=100)
    to_party: str = Field(min_length=1, max_length=100)
    location: str = Field(min_length=1, max_length=200)
    temperature_c: float = Field(ge=-200, le=45)


class ChainEvent(BaseModel):
    at: dt.datetime
    kind: str
    actor: str
    detail: str


# The kinds of a chain of identity's events in words, marked for translation (the pages
# show them in the reader's language).
CHAIN_EVENT_TEXT: dict[str, str] = {
    "donor": N_("donor"),
    "harvest": N_("harvest"),
    "lot": N_("lot"),
    "passage": N_("passage"),
    "qc": N_("QC"),
    "release": N_("release"),
    "recall": N_("recall"),
    "discard": N_("discard"),
    "labelled": N_("labelled"),
    "handover": N_("hand-over"),
    "received": N_("received"),
    "stored": N_("stored"),
    "allocated": N_("allocated"),
    "thawed": N_("thawed"),
    "bedside_check": N_("bedside check"),
    "administered": N_("administered"),
    "recalled": N_("recalled"),
    "discarded": N_("discarded"),
}


class ChainOut(BaseModel):
    din: str
    events: list[ChainEvent]


class UnitFacts(BaseModel):
    """Everything a bedside check needs about a unit, read in one place
    (docs/decisions/2026-12-01-treatment-steps.md)."""

    unit_id: int
    din: str
    lot_id: int
    lot_status: LotStatus
    lot_expiry: dt.date
    unit_status: UnitStatus
    autologous_patient_id: int | None
    course_id: int | None
    infusion_day: int | None
    thawed_at: dt.datetime | None
    thaw_expires_at: dt.datetime | None


class DosePreparationIn(InputModel):
    model_config = _STRICT

    infusion_day: int = Field(ge=0, le=3650)
    dins: list[str] = Field(min_length=1, max_length=20)
    thawed_at: dt.datetime
    post_thaw_viability_pct: float = Field(ge=0, le=100)
    post_thaw_cells_million: float | None = Field(default=None, gt=0, le=100_000)

    @field_validator("thawed_at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("give the time with its time zone (for example 2026-12-01T09:30Z)")
        return value


class DosePreparationOut(BaseModel):
    id: int
    course_id: int
    infusion_day: int
    patient_id: int
    weight_kg: float | None
    dose_cells_million: float
    dose_cells_per_kg: float | None
    units: list[UnitOut]
    thawed_at: dt.datetime
    thaw_expires_at: dt.datetime
    post_thaw_viability_pct: float
    prepared_at: dt.datetime
    prepared_by: str
