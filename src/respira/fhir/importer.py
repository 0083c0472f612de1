"""Spirometry from another system: a FHIR transaction Bundle of Observations of FEV1 and
FVC before and after the bronchodilator (clinical.md §7.1 LOINC 20157-4, 19876-2,
20155-8, 19874-7; FEV1/FVC 19926-5 is checked against them and not stored, since
Respira computes it) for one known patient on one day becomes a diagnostic visit with a
spirometry record, interpreted by diagnostics like any other (``record_spirometry``: the
reference equations, pattern, severity, bronchodilator response).

The bronchodilator and its dose (required with post values) and the reference equations
come from the components and the method Respira itself writes (``respira.fhir.codes``);
without a method the clinic's default equations (GLI Global 2022) are used.

A bundle is accepted whole or refused whole: every check runs before anything is
written, and the visit and the record are written in savepoints of the request's one
transaction (diagnostics' use cases commit; here their commits only release savepoints),
so a refusal by diagnostics' own rules leaves nothing behind. A refusal is an
OperationOutcome naming each problem and where it lies: 400 for what is not a
transaction Bundle of well-formed Observations, 422 for an unknown code, unit or
patient, or values the spirometry record refuses.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from respira.diagnostics import service as diagnostics_service
from respira.diagnostics.schemas import SpirometryIn, VisitIn
from respira.fhir import codes, roles
from respira.fhir.datatypes import Json, codes_of, instant, row_id
from respira.fhir.diagnostics_resources import spirometry_id
from respira.fhir.outcome import Issue, Refusal, issue_at
from respira.fhir.patient_resources import base_url, mrn_system
from respira.kit import audit
from respira.kit.actors import Actor, require_role
from respira.kit.errors import DomainError, InvalidInput, NotFound
from respira.patients import service as patients_service

MAX_ENTRIES = 20
ACCEPTED_STATUSES = frozenset({"final", "amended", "corrected"})
# FEV1/FVC given and FEV1/FVC computed from the volumes may differ by rounding only.
RATIO_TOLERANCE = 0.005
_VOLUME_UNITS = {"L": 1.0, "l": 1.0, "mL": 0.001, "ml": 0.001}
_DOSE_UNITS = {"ug": 1.0, "µg": 1.0, "mg": 1000.0}


# --- the shape of what is accepted (pydantic: the errors name their place) ----------------


class _Element(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Coding(_Element):
    system: str | None = None
    code: str | None = None


class _Concept(_Element):
    coding: list[_Coding] = Field(default_factory=list)
    text: str | None = None


class _Quantity(_Element):
    value: float
    unit: str | None = None
    code: str | None = None

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @property
    def unit_code(self) -> str | None:
        return self.code or self.unit


class _Identifier(_Element):
    system: str | None = None
    value: str | None = None


class _Reference(_Element):
    reference: str | None = None
    identifier: _Identifier | None = None


class _Component(_Element):
    code: _Concept
    valueQuantity: _Quantity | None = None
    valueString: str | None = None
    valueCodeableConcept: _Concept | None = None


class _Observation(_Element):
    resourceType: Literal["Observation"]
    status: str
    code: _Concept
    subject: _Reference
    effectiveDateTime: str
    valueQuantity: _Quantity
    component: list[_Component] = Field(default_factory=list)
    method: _Concept | None = None


class _Request(_Element):
    method: str
    url: str


class _Entry(_Element):
    fullUrl: str | None = None
    resource: _Observation
    request: _Request


class _Bundle(_Element):
    resourceType: Literal["Bundle"]
    type: Literal["transaction"]
    identifier: _Identifier | None = None
    entry: list[_Entry] = Field(min_length=1, max_length=MAX_ENTRIES)


# --- reading the bundle -------------------------------------------------------------------


@dataclass
class Reading:
    """What the bundle says, with where each value came from (the entry's index)."""

    subject: tuple[str, str] | None = None  # ("id", "12") or ("mrn", "RSP-...")
    day: dt.date | None = None
    volumes: dict[str, float] = field(default_factory=dict)
    # FEV1/FVC given: (phase if the bundle says it, value, entry); the phase found for it.
    ratios: list[tuple[str | None, float, int]] = field(default_factory=list)
    ratio_phase: dict[int, str] = field(default_factory=dict)
    entry_of: dict[str, int] = field(default_factory=dict)
    equations: str | None = None
    ethnicity: str | None = None
    bronchodilator: str | None = None
    dose_ug: float | None = None
    identifier: str | None = None
    issues: list[Issue] = field(default_factory=list)

    def problem(self, path: list[Any], message: str, code: str = "processing") -> None:
        self.issues.append(Issue(message, code=code, expression=(issue_at(path),)))


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refusal([Issue(f"the body is not JSON: {exc}", code="structure")], 400) from exc


def _shape(data: Any) -> _Bundle:
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise Refusal([Issue("the body is not a FHIR Bundle", code="structure")], 400)
    if data.get("type") != "transaction":
        raise Refusal(
            [
                Issue(
                    "only a Bundle of type transaction is accepted",
                    code="structure",
                    expression=("Bundle.type",),
                )
            ],
            400,
        )
    kinds = [
        (i, e.get("resource", {}).get("resourceType"))
        for i, e in enumerate(data.get("entry") or [])
        if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    ]
    others = [
        Issue(
            f"a {kind} cannot be imported: only Observations of spirometry are accepted",
            code="not-supported",
            expression=(issue_at(["entry", i, "resource"]),),
        )
        for i, kind in kinds
        if kind != "Observation"
    ]
    if others:
        raise Refusal(others)
    try:
        return _Bundle.model_validate(data)
    except ValidationError as exc:
        issues = [
            Issue(
                f"{issue_at(list(err['loc']))}: {err['msg']}",
                code="required" if err["type"] == "missing" else "structure",
                expression=(issue_at(list(err["loc"])),),
            )
            for err in exc.errors()
        ]
        raise Refusal(issues, 400) from exc


def _subject(ref: _Reference) -> tuple[str, str] | None:
    if ref.reference:
        text = ref.reference
        for prefix in (base_url() + "/", ""):
            if text.startswith(prefix + "Patient/"):
                return ("id", text[len(prefix) + len("Patient/") :])
        return None
    if ref.identifier and ref.identifier.system == mrn_system() and ref.identifier.value:
        return ("mrn", ref.identifier.value)
    return None


def _day(text: str) -> dt.date | None:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _component(obs: _Observation, which: tuple[str, str]) -> _Component | None:
    for c in obs.component:
        if (codes.RESPIRA, which[0]) in set(codes_of(c.code.model_dump())):
            return c
    return None


def _read_entry(reading: Reading, i: int, entry: _Entry) -> None:
    obs = entry.resource
    at = ["entry", i, "resource"]
    if entry.request.method.upper() != "POST" or entry.request.url.split("?")[0] != "Observation":
        reading.problem(
            ["entry", i, "request"], "only POST Observation is accepted", "not-supported"
        )
        return
    if obs.status not in ACCEPTED_STATUSES:
        reading.problem(
            [*at, "status"],
            f"status {obs.status!r}: only final results are accepted (final, amended, corrected)",
            "value",
        )
    subject = _subject(obs.subject)
    if subject is None:
        reading.problem(
            [*at, "subject"],
            "the subject must be Patient/{id} of this clinic or "
            "its medical record number (identifier)",
            "value",
        )
    elif reading.subject is not None and subject != reading.subject:
        reading.problem([*at, "subject"], "every Observation must be of the same patient")
    reading.subject = reading.subject or subject
    on = _day(obs.effectiveDateTime)
    if on is None:
        reading.problem([*at, "effectiveDateTime"], "not a FHIR date or dateTime", "value")
    elif reading.day is not None and on != reading.day:
        reading.problem(
            [*at, "effectiveDateTime"],
            "every Observation must be of the same day (one spirometry session)",
        )
    reading.day = reading.day or on
    found = {c for s, c in codes_of(obs.code.model_dump()) if s == codes.LOINC and c}
    volume = next((c for c in found if c in codes.IMPORT_VOLUMES), None)
    if volume is not None:
        _read_volume(reading, i, obs, codes.IMPORT_VOLUMES[volume])
    elif codes.FEV1_FVC_LOINC in found:
        _read_ratio(reading, i, obs)
    else:
        names = ", ".join(f"{s}|{c}" for s, c in codes_of(obs.code.model_dump())) or "no code"
        reading.problem(
            [*at, "code"],
            f"unknown code ({names}): Respira imports FEV1 and FVC "
            "before (LOINC 20157-4, 19876-2) and after (20155-8, 19874-7) the "
            "bronchodilator, and FEV1/FVC (19926-5)",
            "code-invalid",
        )
        return
    _read_method(reading, i, obs)


def _read_volume(reading: Reading, i: int, obs: _Observation, name: str) -> None:
    at = ["entry", i, "resource"]
    factor = _VOLUME_UNITS.get(obs.valueQuantity.unit_code or "")
    if factor is None:
        reading.problem(
            [*at, "valueQuantity"],
            f"unit {obs.valueQuantity.unit_code!r}: give the volume in L or mL (UCUM)",
            "value",
        )
        return
    if name in reading.volumes:
        reading.problem([*at, "code"], f"{name} is given twice")
        return
    reading.volumes[name] = round(obs.valueQuantity.value * factor, 6)
    reading.entry_of[name] = i
    if name.endswith("_post_l"):
        drug = _component(obs, codes.BRONCHODILATOR)
        if drug is not None and drug.valueString:
            reading.bronchodilator = drug.valueString
        dose = _component(obs, codes.BRONCHODILATOR_DOSE)
        if dose is not None and dose.valueQuantity is not None:
            scale = _DOSE_UNITS.get(dose.valueQuantity.unit_code or "")
            if scale is None:
                reading.problem(
                    [*at, "component"],
                    "give the bronchodilator dose in µg (UCUM ug) or mg",
                    "value",
                )
            else:
                reading.dose_ug = dose.valueQuantity.value * scale


def _read_ratio(reading: Reading, i: int, obs: _Observation) -> None:
    """FEV1/FVC (LOINC 19926-5 has no phase: Respira's phase component says it when
    present; without it the ratio is matched to the volumes of either phase)."""
    q = obs.valueQuantity
    value = q.value / 100 if q.unit_code == "%" else q.value
    phase = None
    said = _component(obs, codes.PHASE)
    if said is not None and said.valueCodeableConcept is not None:
        phases = {c for _, c in codes_of(said.valueCodeableConcept.model_dump())}
        phase = "post" if "post" in phases else "pre"
    reading.ratios.append((phase, value, i))


def _read_method(reading: Reading, i: int, obs: _Observation) -> None:
    if obs.method is None:
        return
    chosen = [c for s, c in codes_of(obs.method.model_dump()) if s == codes.RESPIRA]
    if not chosen:
        return
    if chosen[0] not in codes.EQUATIONS:
        reading.problem(
            ["entry", i, "resource", "method"],
            f"unknown reference equations {chosen[0]!r} (gli-global or gli-2012)",
            "code-invalid",
        )
        return
    reading.equations = reading.equations or chosen[0]
    group = _component(obs, codes.ETHNICITY)
    if group is not None and group.valueCodeableConcept is not None:
        reading.ethnicity = next(
            (c for _, c in codes_of(group.valueCodeableConcept.model_dump()) if c), None
        )


def _check_ratios(reading: Reading) -> None:
    computed = {
        phase: reading.volumes[f"fev1_{phase}_l"] / reading.volumes[f"fvc_{phase}_l"]
        for phase in ("pre", "post")
        if f"fev1_{phase}_l" in reading.volumes and f"fvc_{phase}_l" in reading.volumes
    }
    for phase, value, i in reading.ratios:
        candidates = [phase] if phase else ["pre", "post"]
        match = next(
            (
                p
                for p in candidates
                if p in computed and abs(computed[p] - value) <= RATIO_TOLERANCE
            ),
            None,
        )
        if match is not None and match not in reading.ratio_phase.values():
            reading.ratio_phase[i] = match
            continue
        known = ", ".join(f"{p} {r:.3f}" for p, r in computed.items()) or "no FEV1 and FVC pair"
        reading.problem(
            ["entry", i, "resource", "valueQuantity"],
            f"FEV1/FVC ({value:.3f}) does not match FEV1/FVC computed from the volumes of the "
            f"bundle ({known}), or is given twice",
            "value",
        )


def read_bundle(data: Any) -> Reading:
    bundle = _shape(data)
    reading = Reading(identifier=bundle.identifier.value if bundle.identifier else None)
    for i, entry in enumerate(bundle.entry):
        _read_entry(reading, i, entry)
    _check_ratios(reading)
    if not reading.volumes and not reading.issues:
        reading.problem(["entry"], "no FEV1 or FVC was given")
    if reading.issues:
        raise Refusal(reading.issues)
    return reading


# --- the patient and the record -------------------------------------------------------------


def _patient(session: Session, actor: Actor, subject: tuple[str, str]) -> int:
    kind, value = subject
    unknown = Refusal(
        [
            Issue(
                f"the subject ({value}) is no patient of this clinic",
                code="not-found",
                expression=("Bundle.entry[0].resource.subject",),
            )
        ]
    )
    if kind == "id":
        try:
            return patients_service.get_patient(session, actor, row_id(value)).id
        except NotFound:
            raise unknown from None
    page = patients_service.search_patients(session, actor, value, 1, 5)
    match = [p.id for p in page.items if p.medical_record_number == value]
    if not match:
        raise unknown
    return match[0]


def _spirometry_in(reading: Reading) -> SpirometryIn:
    body: dict[str, Any] = {**reading.volumes, "equations": reading.equations or "gli-global"}
    for name, value in (
        ("ethnicity", reading.ethnicity),
        ("bronchodilator", reading.bronchodilator),
        ("bronchodilator_dose_ug", reading.dose_ug),
    ):
        if value is not None:
            body[name] = value
    try:
        return SpirometryIn.model_validate(body)
    except ValidationError as exc:
        errors = {
            str(err["loc"][0]) if err["loc"] else "spirometry": err["msg"] for err in exc.errors()
        }
        raise _refused(reading, errors) from exc


def _refused(reading: Reading, errors: dict[str, str]) -> Refusal:
    """Diagnostics' field errors as issues at the entries that gave the fields."""
    issues = []
    for name, message in errors.items():
        where = name.split(".")[0]
        i = reading.entry_of.get(where)
        if i is None and where.startswith("bronchodilator"):
            i = next((reading.entry_of[k] for k in reading.entry_of if "_post_" in k), None)
        expression = (issue_at(["entry", i, "resource"]),) if i is not None else ("Bundle",)
        issues.append(Issue(f"{name}: {message}", code="invariant", expression=expression))
    return Refusal(issues)


@dataclass(frozen=True)
class Imported:
    patient_id: int
    visit_id: int
    spirometry_id: int
    response: Json


def import_bundle(session: Session, actor: Actor, body: bytes) -> Imported:
    """Check the bundle whole, then store it as a visit with a spirometry record in the
    caller's transaction (not committed here) and audit the import."""
    require_role(actor, roles.IMPORT_ROLES)
    reading = read_bundle(parse_json(body))
    assert reading.subject is not None and reading.day is not None
    patient_id = _patient(session, actor, reading.subject)
    try:
        visit_in = VisitIn.model_validate({"visit_date": reading.day})
    except ValidationError as exc:
        where = issue_at(["entry", 0, "resource", "effectiveDateTime"])
        raise Refusal(
            [
                Issue(f"the date {reading.day.isoformat()}: {e['msg']}", "value", (where,))
                for e in exc.errors()
            ]
        ) from exc
    data = _spirometry_in(reading)
    stored = Session(bind=session.connection(), join_transaction_mode="create_savepoint")
    try:
        visit = diagnostics_service.create_visit(stored, actor, patient_id, visit_in)
        out = diagnostics_service.record_spirometry(stored, actor, visit.id, data)
    except InvalidInput as exc:
        raise _refused(reading, exc.errors) from exc
    except DomainError as exc:
        raise Refusal([Issue(exc.message)], 422) from exc
    finally:
        stored.close()
    audit.record(
        session,
        actor,
        entity_type="fhir_import",
        entity_id=out.id,
        action="import",
        after={
            "patient_id": patient_id,
            "visit_id": visit.id,
            "spirometry_id": out.id,
            "bundle_identifier": reading.identifier,
            "observations": len(reading.entry_of) + len(reading.ratios),
        },
    )
    return Imported(patient_id, visit.id, out.id, _response(reading, visit.id, out.id))


def _response(reading: Reading, visit_id: int, session_id: int) -> Json:
    where: dict[int, str] = {}
    for name, i in reading.entry_of.items():
        where[i] = name.removesuffix("_l")
    for i, phase in reading.ratio_phase.items():
        where[i] = f"fev1fvc_{phase}"
    now = instant(dt.datetime.now(dt.UTC))
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "transaction-response",
        "entry": [
            {
                "response": {
                    "status": "201 Created",
                    "location": f"Observation/{spirometry_id(visit_id, session_id, where[i])}",
                    "lastModified": now,
                }
            }
            for i in sorted(where)
        ],
    }
