"""The cell therapy as FHIR resources: the course (CarePlan, with each infusion,
nebulisation and supporting session as an activity, and the weight the doses were
computed for), each administration (Procedure) with its vital signs (Observations), each
unit given (BiologicallyDerivedProduct, its ISBT 128 DIN as identifier) and the adverse
events (AdverseEvent: CTCAE grade, seriousness, causality, outcome).

Ids are the JSON API's: ``CarePlan/{course}`` (a version of a course has its own id:
``GET /api/v1/courses/{id}``), ``Procedure/{administration}``, ``BiologicallyDerivedProduct/
{din}`` (``GET /api/v1/units/{din}``), ``AdverseEvent/{event}``; the Observations are
``vitals-{administration}-{row}-{temperature|heart-rate|respiratory-rate|spo2|
blood-pressure}`` and ``course-{course}-weight``. Sources: clinical.md §4 (CTCAE grade,
ICH E2A seriousness, causality), §5.3 (dose per kg and total cells), §5.5 (the DIN),
§7.1 (vital-sign LOINC codes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from respira.fhir import codes
from respira.fhir.datatypes import (
    Json,
    coding,
    concept,
    day,
    identifier,
    instant,
    local,
    loinc,
    newest,
    quantity,
    reference,
    resource,
)
from respira.fhir.diagnostics_resources import VITAL_SIGNS, component, observation
from respira.products.schemas import UnitOut
from respira.protocols.schemas import CourseOut
from respira.safety.schemas import AdverseEventOut
from respira.treatment.schemas import AdministrationOut, VitalsOut

DIN_LABEL = "ISBT 128 Donation Identification Number"
PHASE_NOTES = {
    "before": "measured before the administration",
    "during": "measured during the administration",
    "after": "measured after the administration",
}
SOURCE_TEXT = {
    "allogeneic_cord": "umbilical cord MSC, allogeneic",
    "autologous_bone_marrow": "bone marrow MSC, autologous",
    "autologous_adipose": "adipose tissue MSC, autologous",
}


# --- administrations --------------------------------------------------------------------------


def procedure(a: AdministrationOut) -> Json:
    code, display = codes.ADMINISTRATION_CODES[a.route]
    notes = [f"{a.volume_ml:g} mL at {a.rate_ml_per_h:g} mL/h"]
    if a.reaction_notes:
        notes.append(a.reaction_notes)
    return resource(
        "Procedure",
        a.id,
        a.recorded_at,
        basedOn=[reference("CarePlan", a.course_id)],
        status="entered-in-error" if a.retracted else "completed",
        code=concept(local((code, display)), text=display),
        subject=reference("Patient", a.patient_id),
        performedPeriod={"start": instant(a.started_at), "end": instant(a.ended_at)},
        recorder={"display": a.operator},
        performer=[
            {"function": concept(text="operator"), "actor": {"display": a.operator}},
            {"function": concept(text="witness"), "actor": {"display": a.witness_name}},
        ],
        usedReference=[
            {
                **reference("BiologicallyDerivedProduct", a.din, f"unit {a.din}"),
                "identifier": identifier(DIN_LABEL, a.din, codes.ISBT128_DIN),
            }
        ],
        complication=[concept(text=r) for r in a.reactions],
        note=[{"text": n} for n in notes],
    )


def _vital_effective(a: AdministrationOut, phase: str) -> str | Json:
    if phase == "before":
        return instant(a.started_at)
    if phase == "after":
        return instant(a.ended_at)
    return {"start": instant(a.started_at), "end": instant(a.ended_at)}


def _vitals_row(a: AdministrationOut, row: int, vs: VitalsOut) -> Iterable[Json]:
    common: dict[str, Any] = {
        "status": "final",
        "effective": _vital_effective(a, vs.phase),
        "which": VITAL_SIGNS,
        "partOf": [reference("Procedure", a.id)],
        "note": [{"text": PHASE_NOTES[vs.phase]}],
    }
    for field, (code, display, ucum) in codes.VITALS.items():
        value = getattr(vs, field)
        if value is None:
            continue
        unit = {"Cel": "°C", "/min": "/min", "%": "%"}[ucum]
        yield observation(
            f"vitals-{a.id}-{row}-{codes.VITAL_SLUGS[field]}",
            a.recorded_at,
            a.patient_id,
            code=concept(loinc(code, display), text=display),
            valueQuantity=quantity(value, unit, ucum),
            **common,
        )
    if vs.systolic_mmhg is not None and vs.diastolic_mmhg is not None:
        yield observation(
            f"vitals-{a.id}-{row}-{codes.VITAL_SLUGS['blood_pressure']}",
            a.recorded_at,
            a.patient_id,
            code=concept(loinc(*codes.BLOOD_PRESSURE), text=codes.BLOOD_PRESSURE[1]),
            component=[
                component(
                    concept(loinc(*codes.SYSTOLIC)),
                    valueQuantity=quantity(vs.systolic_mmhg, "mmHg", "mm[Hg]"),
                ),
                component(
                    concept(loinc(*codes.DIASTOLIC)),
                    valueQuantity=quantity(vs.diastolic_mmhg, "mmHg", "mm[Hg]"),
                ),
            ],
            **common,
        )


def administration_resources(a: AdministrationOut) -> list[Json]:
    """The Procedure and the vital signs of one administration."""
    found = [procedure(a)]
    for row, vs in enumerate(a.vitals):
        found.extend(_vitals_row(a, row, vs))
    return found


# --- units --------------------------------------------------------------------------------------


def product(unit: UnitOut) -> Json:
    """A unit of cells with its DIN (it last changed when it was thawed, if it was)."""
    given = unit.status in ("administered", "discarded")
    return resource(
        "BiologicallyDerivedProduct",
        unit.din,
        unit.thawed_at,
        identifier=[
            identifier(DIN_LABEL, unit.din, codes.ISBT128_DIN),
            identifier("Lot", unit.lot_code),
        ],
        productCategory="cells",
        productCode=concept(
            text=f"Mesenchymal stromal cells, {unit.cells_million:g} ×10^6 cells in "
            f"{unit.volume_ml:g} mL (lot {unit.lot_code})"
        ),
        status="unavailable" if given else "available",
        quantity=1,
        processing=[
            {"description": "thawed", "timeDateTime": instant(unit.thawed_at)}
            if unit.thawed_at
            else None
        ],
    )


# --- adverse events ------------------------------------------------------------------------------


def _seriousness(e: AdverseEventOut) -> Json:
    if not e.serious:
        return concept(coding(codes.AE_SERIOUSNESS, "Non-serious", "Non-serious"))
    first = next((c for c in codes.SERIOUSNESS if c in e.serious_criteria), None)
    criteria = ", ".join(c.replace("_", " ") for c in e.serious_criteria)
    if first is None:
        return concept(coding(codes.AE_SERIOUSNESS, "Serious", "Serious"), text=criteria)
    return concept(coding(codes.AE_SERIOUSNESS, *codes.SERIOUSNESS[first]), text=criteria)


def _causality(e: AdverseEventOut) -> Json:
    if e.causality in codes.CAUSALITY:
        return concept(coding(codes.AE_CAUSALITY, *codes.CAUSALITY[e.causality]), text=e.causality)
    return concept(text=e.causality)


def adverse_event(e: AdverseEventOut, corrected_at: dt.datetime | None = None) -> Json:
    """The event; it last changed when it was recorded, acknowledged or corrected
    (``corrected_at``, the newest correction in the safety step's audit trail: the event
    keeps no time of its own for it), which ``--since`` of the bulk export compares."""
    event = concept(text=e.term)
    if e.meddra_code:
        event = concept(coding(codes.MEDDRA, e.meddra_code, e.term), text=e.term)
    suspect = []
    if e.administration_id is not None:
        suspect.append(
            {
                "instance": reference("Procedure", e.administration_id, f"unit {e.din}"),
                "causality": [{"assessment": _causality(e)}],
            }
        )
    return resource(
        "AdverseEvent",
        e.id,
        newest(e.recorded_at, e.acknowledged_at, corrected_at),
        extension=[{"url": codes.CTCAE_GRADE_EXTENSION, "valueInteger": e.grade}],
        actuality="actual",
        event=event,
        subject=reference("Patient", e.patient_id),
        date=day(e.onset_date),
        recordedDate=instant(e.recorded_at),
        seriousness=_seriousness(e),
        severity=concept(
            coding(codes.AE_SEVERITY, *codes.ctcae_severity(e.grade)),
            text=f"CTCAE {e.ctcae_version} grade {e.grade}",
        ),
        outcome=concept(coding(codes.AE_OUTCOME, codes.AE_OUTCOMES[e.outcome]), text=e.outcome)
        if e.outcome
        else None,
        recorder={"display": e.recorded_by_name},
        suspectEntity=suspect,
    )


# --- the course ----------------------------------------------------------------------------------


def course_weight_id(course_id: int) -> str:
    return f"course-{course_id}-weight"


def course_weight(c: CourseOut) -> Json:
    return observation(
        course_weight_id(c.id),
        c.created_at,
        c.patient_id,
        status="final",
        code=concept(loinc(*codes.BODY_WEIGHT), text=codes.BODY_WEIGHT[1]),
        effective=day(c.weight_measured_on),
        which=VITAL_SIGNS,
        valueQuantity=quantity(c.weight_kg, "kg"),
        note=[{"text": f"the weight the doses of course {c.number} were computed for"}],
    )


_PLAN_STATUS = {"draft": "draft", "superseded": "revoked"}


def _plan_status(c: CourseOut, today: dt.date) -> str:
    if c.status in _PLAN_STATUS:
        return _PLAN_STATUS[c.status]
    return "completed" if c.end_date < today else "active"


def _activity_status(c: CourseOut, done: bool, on: dt.date, today: dt.date) -> str:
    if done:
        return "completed"
    if c.status == "approved" and on >= today:
        return "scheduled"
    return "not-started"


def _activity(code: tuple[str, str], status: str, on: dt.date, text: str, **more: Any) -> Json:
    return {
        "detail": {
            "code": concept(local(code), text=code[1]),
            "status": status,
            "scheduledPeriod": {"start": day(on), "end": day(on)},
            "description": text,
            **more,
        },
    }


def _doses(c: CourseOut) -> list[tuple[int, dt.date, str, str, dict[str, Any]]]:
    """The cells the course gives: (day of the stay, date, route, text, more fields)."""
    found: list[tuple[int, dt.date, str, str, dict[str, Any]]] = [
        (
            inf.day,
            inf.date,
            "iv",
            f"day {inf.day}: {inf.dose_million_cells_per_kg:g} ×10^6 cells/kg × "
            f"{c.weight_kg:g} kg = {inf.cells_total / 1e6:g} ×10^6 cells",
            {"quantity": quantity(inf.cells_total, "cells", "{cells}")},
        )
        for inf in c.infusions
    ]
    found += [
        (
            neb.day,
            neb.date,
            "nebulised",
            f"day {neb.day}: {neb.amount_million_cells:g} ×10^6 cells nebulised",
            {},
        )
        for neb in c.nebulisations
    ]
    return found


def care_plan(c: CourseOut, administrations: list[AdministrationOut], today: dt.date) -> Json:
    """The course as planned, each activity marked completed with the administration
    that gave it (an infusion by its day of the stay, a nebulisation by its date)."""
    given: dict[tuple[str, Any], AdministrationOut] = {}
    for a in administrations:
        if a.course_id == c.id:
            key = ("iv", a.infusion_day) if a.route == "iv" else ("nebulised", a.started_at.date())
            given.setdefault(key, a)
    activities = []
    for day_of_stay, on, route, text, more in _doses(c):
        given_by = given.get((route, day_of_stay if route == "iv" else on))
        activities.append(
            {
                "outcomeReference": [reference("Procedure", given_by.id)] if given_by else [],
                **_activity(
                    codes.ADMINISTRATION_CODES[route],
                    _activity_status(c, given_by is not None, on, today),
                    on,
                    text,
                    **more,
                ),
            }
        )
    for sup in c.supporting:
        for d in sup.days:
            on = c.start_date + dt.timedelta(days=d - 1)
            activities.append(
                _activity(
                    codes.SUPPORTING,
                    _activity_status(c, False, on, today),
                    on,
                    f"day {d}: {sup.modality.replace('_', ' ')}, "
                    f"{sup.count // len(sup.days)} session(s)",
                )
            )
    notes = [f"source: {SOURCE_TEXT[c.source]}"]
    if c.premedication:
        notes.append(f"premedication: {c.premedication}")
    if c.medication_at_approval:
        notes.append(
            f"regular asthma medication at approval (continues unless the treating physician "
            f"changes it): {c.medication_at_approval}"
        )
    return resource(
        "CarePlan",
        c.id,
        newest(c.created_at, c.approved_at),
        status=_plan_status(c, today),
        intent="plan",
        title=f"Cell therapy course {c.number}, version {c.version}",
        replaces=[reference("CarePlan", c.revises_id)] if c.revises_id else [],
        subject=reference("Patient", c.patient_id),
        period={"start": day(c.start_date), "end": day(c.end_date)},
        created=instant(c.created_at),
        author={"display": c.approved_by or c.created_by},
        supportingInfo=[reference("Observation", course_weight_id(c.id))],
        activity=activities,
        note=[{"text": n} for n in notes],
    )
