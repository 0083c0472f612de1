"""The follow-up check-ins as FHIR resources: one QuestionnaireResponse per answered
check-in (the questionnaire's items, reliever use, asthma attacks and how they were
treated, maintenance oral corticosteroids, medication changes, home spirometry, notes),
and Observations of its score (against the baseline, with the minimal clinically
important difference) and of its FEV1 and FVC read against the reference equations.

Ids: the check-in is read through its follow-up (``GET /api/v1/follow-ups/{id}``), so the
QuestionnaireResponse's id is the follow-up's; its Observations are
``checkin-{follow-up}-{score|fev1|fvc}``. Codes: ``respira.fhir.codes`` (clinical.md
§7.1; FEV1 and FVC of home spirometry have no bronchodilator phase: 20150-9, 19870-5).
"""

from __future__ import annotations

from typing import Any

from respira.diagnostics.schemas import QUESTIONNAIRE_ITEM_LABELS
from respira.fhir import codes
from respira.fhir.datatypes import Json, concept, day, instant, local, loinc, quantity, reference
from respira.fhir.datatypes import resource as make_resource
from respira.fhir.diagnostics_resources import (
    PROCEDURE,
    component,
    observation,
    reference_components,
    score_observation,
)
from respira.followup.schemas import CheckInOut, FollowUpOut

HOME_SPIROMETRY = {
    "fev1": ("20150-9", "FEV1"),
    "fvc": ("19870-5", "Forced vital capacity [Volume] Respiratory system"),
}


def _answer(**value: Any) -> list[Json]:
    return [value]


def _item(link_id: str, text: str, **answer: Any) -> Json:
    return {"linkId": link_id, "text": text, "answer": _answer(**answer)}


def _questionnaire_items(c: CheckInOut) -> list[Json]:
    labels = QUESTIONNAIRE_ITEM_LABELS.get(c.instrument, ())
    items = []
    for i, value in enumerate(c.answers):
        text = labels[i] if i < len(labels) else f"item {i + 1}"
        key = "valueInteger" if float(value).is_integer() else "valueDecimal"
        items.append(_item(f"{c.instrument}-{i + 1}", text, **{key: value}))
    return items


def _exacerbations(c: CheckInOut) -> list[Json]:
    found = []
    for e in c.exacerbations:
        parts = [
            _item("started-on", "Started on", valueDate=day(e.started_on))
            if e.started_on
            else None,
            _item(
                "corticosteroid-course",
                "Course of steroid tablets or injections",
                valueBoolean=e.corticosteroid_course,
            ),
            _item("emergency-visit", "Emergency visit", valueBoolean=e.emergency_visit),
            _item("hospitalisation", "Hospital stay", valueBoolean=e.hospitalisation),
            _item("severity", "Severity (ATS/ERS 2009)", valueString=e.severity),
        ]
        found.append({"linkId": "exacerbation", "text": "Asthma attack", "item": parts})
    return found


def questionnaire_response(detail: FollowUpOut, c: CheckInOut) -> Json:
    patient = reference("Patient", c.patient_id)
    items: list[Json | None] = [
        {
            "linkId": c.instrument,
            "text": codes.INSTRUMENT_NAMES[c.instrument],
            "item": _questionnaire_items(c),
        },
        _item(
            "rescue-puffs-per-week",
            "Reliever inhaler puffs a week",
            valueDecimal=c.rescue_puffs_per_week,
        ),
        {
            "linkId": "exacerbations",
            "text": f"Asthma attacks since the last check-in: {c.exacerbation_count}",
            "item": _exacerbations(c),
        },
        _item(
            "maintenance-ocs-mg-per-day",
            "Maintenance oral corticosteroid, mg/day",
            valueDecimal=c.maintenance_ocs_mg_per_day,
        ),
        _item("medication-changed", "Asthma medication changed", valueBoolean=c.medication_changed),
        _item("medication-changes", "Medication changes", valueString=c.medication_changes)
        if c.medication_changes
        else None,
        _item("fev1", "FEV1", valueQuantity=quantity(c.fev1_l, "L")) if c.fev1_l else None,
        _item("fvc", "FVC", valueQuantity=quantity(c.fvc_l, "L")) if c.fvc_l else None,
        _item("notes", "Notes", valueString=c.notes) if c.notes else None,
    ]
    return make_resource(
        "QuestionnaireResponse",
        detail.id,
        c.recorded_at,
        language=c.language,
        basedOn=[reference("CarePlan", detail.course_id)],
        status="completed",
        subject=patient,
        authored=instant(c.answered_at),
        author={"display": c.recorded_by} if c.on_behalf else patient,
        source=patient,
        item=[i for i in items if i is not None],
    )


def _score(detail: FollowUpOut, c: CheckInOut) -> Json:
    components = []
    if c.change_from_baseline is not None:
        components.append(
            component(
                concept(local(("change-from-baseline", "Change from the baseline score"))),
                valueQuantity=quantity(c.change_from_baseline, "score", "{score}"),
            )
        )
    if c.important_change is not None:
        components.append(
            component(
                concept(local(("mcid-reached", "Minimal clinically important difference"))),
                valueBoolean=c.important_change,
            )
        )
    return score_observation(
        f"checkin-{detail.id}-score",
        c,
        c.patient_id,
        c.recorded_at,
        c.answered_on,
        derivedFrom=[reference("QuestionnaireResponse", detail.id)],
        component=components,
    )


def _home_spirometry(detail: FollowUpOut, c: CheckInOut, key: str) -> Json | None:
    measured = c.fev1_l if key == "fev1" else c.fvc_l
    if measured is None:
        return None
    code, display = HOME_SPIROMETRY[key]
    reading = c.spirometry
    ref = reading.results.get(key) if reading else None
    components = []
    if ref is not None:
        components = reference_components(ref.pred, ref.lln, ref.z, f"{key}_pre")
    return observation(
        f"checkin-{detail.id}-{key}",
        c.recorded_at,
        c.patient_id,
        status="final",
        code=concept(loinc(code, display), text=display),
        effective=day(c.answered_on),
        which=PROCEDURE,
        issued=instant(c.recorded_at),
        valueQuantity=quantity(measured, "L"),
        method=concept(text=reading.equations_version) if reading else None,
        derivedFrom=[reference("QuestionnaireResponse", detail.id)],
        component=components,
    )


def check_in_resources(detail: FollowUpOut, c: CheckInOut | None) -> list[Json]:
    """The answered check-in ``c`` of a follow-up as FHIR (nothing when none is
    answered)."""
    if c is None:
        return []
    found = [questionnaire_response(detail, c), _score(detail, c)]
    for key in HOME_SPIROMETRY:
        obs = _home_spirometry(detail, c, key)
        if obs is not None:
            found.append(obs)
    return found
