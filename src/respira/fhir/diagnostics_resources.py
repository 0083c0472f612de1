"""The diagnostic work-up as FHIR resources: the spirometry of a visit (one Observation
per measured parameter, with the predicted value, LLN, ULN, z-score and % predicted as
components and the reference equations as the method, and one Observation with the
interpretation that has the parameters as members), the markers (eosinophils, FeNO,
IgE), the questionnaire scores (ACT, C-ACT, ACQ, GINA), the body height the equations
used, the medication of the treatment history (MedicationStatement, ATC) and the asthma
(Condition, SNOMED CT and ICD-10). Codes: ``respira.fhir.codes`` (clinical.md §7).

Ids (the records' ids in the JSON API, with the visit that holds them, since a record
is read through its visit: ``GET /api/v1/visits/{id}``):
``spirometry-{visit}-{session}`` (the interpretation) and
``spirometry-{visit}-{session}-{fev1-pre|fvc-pre|fev1fvc-pre|fef2575-pre|fev1-post|...}``,
``spirometry-{visit}-{session}-height``, ``markers-{visit}-{panel}-{eosinophils|feno|ige}``,
``questionnaire-{visit}-{response}``, ``history-{visit}-{record}-{ics|laba|lama|ocs|biologic}``
and ``asthma-{patient}``. A record retracted as entered in error (or in a retracted visit)
keeps its resource, with the status ``entered-in-error``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from respira.diagnostics.schemas import (
    HistoryOut,
    MarkersOut,
    QuestionnaireOut,
    SpirometryOut,
    VisitOut,
)
from respira.fhir import codes
from respira.fhir.datatypes import (
    Json,
    category,
    coding,
    concept,
    day,
    instant,
    interpretation_of,
    local,
    loinc,
    newest,
    quantity,
    reference,
    resource,
)
from respira.science import diagnosis_codes

PROCEDURE = ("procedure", "Procedure")
LABORATORY = ("laboratory", "Laboratory")
SURVEY = ("survey", "Survey")
VITAL_SIGNS = ("vital-signs", "Vital Signs")

PATTERN_TEXT = {
    "normal": "Normal",
    "obstruction": "Obstruction",
    "possible_restriction": "Possible restriction",
    "mixed": "Possible mixed pattern — confirm with lung volumes",
    "prism": "Preserved ratio impaired spirometry (PRISm)",
    "no-reference": "No reference values for this age",
}
RATIO_KEYS = ("fev1fvc_pre", "fev1fvc_post")


def observation_category(which: tuple[str, str]) -> list[Json]:
    return category(codes.OBSERVATION_CATEGORY, *which)


def _status(record: Any, visit: VisitOut) -> str:
    return "entered-in-error" if record.retracted or visit.retracted else "final"


def _changed(record: Any, visit: VisitOut) -> dt.datetime:
    return newest(record.recorded_at, record.retracted_at, visit.retracted_at)


def observation(
    observation_id: str,
    changed: dt.datetime,
    patient_id: int,
    *,
    status: str,
    code: Json,
    effective: str | Json,
    which: tuple[str, str],
    **fields: Any,
) -> Json:
    """An Observation of the patient (the fields every Observation of Respira has);
    ``effective`` is a date or date-time, or a period (a dict)."""
    when = "effectivePeriod" if isinstance(effective, dict) else "effectiveDateTime"
    return resource(
        "Observation",
        observation_id,
        changed,
        status=status,
        category=observation_category(which),
        code=code,
        subject=reference("Patient", patient_id),
        **{when: effective},
        **fields,
    )


def component(code: Json, **value: Any) -> Json:
    return {"code": code, **value}


# --- spirometry ---------------------------------------------------------------------------


def spirometry_id(visit_id: int, session_id: int, key: str | None = None) -> str:
    base = f"spirometry-{visit_id}-{session_id}"
    return base if key is None else f"{base}-{key.replace('_', '-')}"


def _unit(key: str) -> tuple[float, str, str]:
    """(factor, unit, UCUM code) of a result: litres, L/s for FEF25-75, % for FEV1/FVC
    (LOINC 19926-5 is reported in %; Respira stores the ratio)."""
    if key in RATIO_KEYS:
        return 100.0, "%", "%"
    if key.startswith("fef"):
        return 1.0, "L/s", "L/s"
    return 1.0, "L", "L"


def _result_code(key: str) -> Json:
    if key in codes.SPIROMETRY_LOINC:
        code, display = codes.SPIROMETRY_LOINC[key]
        return concept(loinc(code, display), text=display)
    code_display = codes.SPIROMETRY_LOCAL[key]
    return concept(local(code_display), text=code_display[1])


def _equations(s: SpirometryOut) -> Json:
    return concept(
        local((s.equations, codes.EQUATIONS[s.equations])),
        text=s.equations_version,
    )


def _phase(key: str) -> str:
    return "post" if key.endswith("_post") else "pre"


def _bronchodilator_components(s: SpirometryOut) -> list[Json]:
    found = []
    if s.bronchodilator:
        found.append(component(concept(local(codes.BRONCHODILATOR)), valueString=s.bronchodilator))
    if s.bronchodilator_dose_ug is not None:
        found.append(
            component(
                concept(local(codes.BRONCHODILATOR_DOSE)),
                valueQuantity=quantity(s.bronchodilator_dose_ug, "µg", "ug"),
            )
        )
    return found


def _limit(value: float, key: str) -> Json:
    """A reference value (predicted, LLN, ULN) in the result's unit, to the precision
    the equations carry meaning (mL, L/s to 3 decimals; FEV1/FVC to 0.01 %)."""
    factor, unit, ucum = _unit(key)
    return quantity(round(value * factor, 2 if key in RATIO_KEYS else 3), unit, ucum)


def reference_components(pred: float, lln: float, z: float, key: str) -> list[Json]:
    """The predicted value, LLN and z-score of a result (against the equations the
    observation's method names)."""
    return [
        component(concept(local(codes.PREDICTED)), valueQuantity=_limit(pred, key)),
        component(concept(local(codes.LLN)), valueQuantity=_limit(lln, key)),
        component(concept(local(codes.Z_SCORE)), valueQuantity=quantity(round(z, 2), "z", "1")),
    ]


def _result_components(s: SpirometryOut, key: str) -> list[Json]:
    r = s.results[key]
    found = reference_components(r.pred, r.lln, r.z, key)
    found.append(component(concept(local(codes.ULN)), valueQuantity=_limit(r.uln, key)))
    if key in codes.PERCENT_PREDICTED_LOINC:
        code, display = codes.PERCENT_PREDICTED_LOINC[key]
        found.append(
            component(
                concept(loinc(code, display)), valueQuantity=quantity(round(r.pctpred, 1), "%")
            )
        )
    phase = _phase(key)
    found.append(
        component(
            concept(local(codes.PHASE)),
            valueCodeableConcept=concept(
                local((phase, codes.PHASES[phase])), text=codes.PHASES[phase]
            ),
        )
    )
    if phase == "post":
        found += _bronchodilator_components(s)
    if s.ethnicity is not None:
        found.append(
            component(
                concept(local(codes.ETHNICITY)),
                valueCodeableConcept=concept(local((s.ethnicity, s.ethnicity)), text=s.ethnicity),
            )
        )
    return found


def spirometry(s: SpirometryOut, visit: VisitOut) -> list[Json]:
    """The session's parameters, the interpretation that groups them, and the height
    the reference equations used."""
    status = _status(s, visit)
    changed = _changed(s, visit)
    effective = day(visit.visit_date)
    pid = visit.patient_id
    common: dict[str, Any] = {
        "status": status,
        "effective": effective,
        "issued": instant(s.recorded_at),
        "performer": [{"display": s.recorded_by}],
    }
    members = []
    out = []
    for key, r in s.results.items():
        factor, unit, ucum = _unit(key)
        measured = round(r.measured * factor, 2) if key in RATIO_KEYS else r.measured
        obs_id = spirometry_id(visit.id, s.id, key)
        members.append(reference("Observation", obs_id))
        out.append(
            observation(
                obs_id,
                changed,
                pid,
                code=_result_code(key),
                which=PROCEDURE,
                valueQuantity=quantity(measured, unit, ucum),
                interpretation=interpretation_of(r.flag),
                method=_equations(s),
                referenceRange=[
                    {
                        "low": _limit(r.lln, key),
                        "high": _limit(r.uln, key),
                        "text": f"LLN to ULN (5th to 95th centile), {codes.EQUATIONS[s.equations]}",
                    }
                ],
                component=_result_components(s, key),
                **common,
            )
        )
    height_id = spirometry_id(visit.id, s.id, "height")
    out.append(
        observation(
            height_id,
            changed,
            pid,
            code=concept(loinc(*codes.BODY_HEIGHT), text=codes.BODY_HEIGHT[1]),
            which=VITAL_SIGNS,
            valueQuantity=quantity(s.height_cm, "cm"),
            note=[{"text": "the height the reference equations used for this spirometry"}],
            **common,
        )
    )
    out.insert(0, _interpretation(s, visit, changed, members, common))
    return out


def _interpretation(
    s: SpirometryOut, visit: VisitOut, changed: dt.datetime, members: list[Json], common: Any
) -> Json:
    components = []
    if s.severity:
        components.append(
            component(
                concept(local(codes.SEVERITY)),
                valueCodeableConcept=concept(local((s.severity, s.severity)), text=s.severity),
            )
        )
    for which, value in ((codes.BDR_2022, s.bdr), (codes.BDR_2005, s.bdr_2005)):
        if value is not None:
            components.append(component(concept(local(which)), valueBoolean=value))
    if s.bdr_fev1_pct_pred_change is not None:
        components.append(
            component(
                concept(local(("bdr-fev1-change", "FEV1 change after bronchodilator"))),
                valueQuantity=quantity(s.bdr_fev1_pct_pred_change, "% of predicted", "%"),
            )
        )
    code = s.pattern or "no-reference"  # none: the age is outside the equations
    pattern = PATTERN_TEXT.get(code, code)
    return observation(
        spirometry_id(visit.id, s.id),
        changed,
        visit.patient_id,
        code=concept(local(codes.INTERPRETATION_PANEL), text="Spirometry interpretation"),
        which=PROCEDURE,
        valueCodeableConcept=concept(local((f"pattern-{code}", pattern)), text=pattern),
        method=_equations(s),
        hasMember=members,
        component=components,
        note=[{"text": n} for n in s.notes],
        **common,
    )


# --- markers and questionnaires --------------------------------------------------------------


def markers(m: MarkersOut, visit: VisitOut) -> list[Json]:
    out = []
    for field, (code, display, ucum, unit) in codes.MARKERS.items():
        value = getattr(m, field)
        if value is None:
            continue
        out.append(
            observation(
                f"markers-{visit.id}-{m.id}-{codes.MARKER_SLUGS[field]}",
                _changed(m, visit),
                visit.patient_id,
                status=_status(m, visit),
                code=concept(loinc(code, display), text=display),
                effective=day(visit.visit_date),
                which=PROCEDURE if field == "feno_ppb" else LABORATORY,
                issued=instant(m.recorded_at),
                valueQuantity=quantity(value, unit, ucum),
                note=[{"text": "taken on maintenance oral corticosteroids"}]
                if m.on_maintenance_ocs
                else [],
            )
        )
    return out


def score_code(instrument: str) -> Json:
    found = [coding(*c) for c in codes.SCORE_CODES[instrument]]
    return concept(*found, text=codes.INSTRUMENT_NAMES[instrument])


def score_value(instrument: str, score: float) -> dict[str, Any]:
    """ACT, C-ACT and the GINA count are whole numbers; ACQ is a mean (decimal)."""
    if instrument.startswith("acq"):
        return {"valueQuantity": quantity(score, "score", "{score}")}
    return {"valueInteger": round(score)}


def band_text(band: str) -> list[Json]:
    return [concept(text=band.replace("_", " "))]


def score_observation(
    observation_id: str,
    scored: Any,
    patient_id: int,
    changed: dt.datetime,
    on: dt.date,
    status: str = "final",
    **fields: Any,
) -> Json:
    """The score of a questionnaire (``scored``: a record with ``instrument``, ``score``,
    ``band``, ``algorithm_version`` and ``recorded_at``)."""
    return observation(
        observation_id,
        changed,
        patient_id,
        status=status,
        code=score_code(scored.instrument),
        effective=day(on),
        which=SURVEY,
        issued=instant(scored.recorded_at),
        interpretation=band_text(scored.band),
        method=concept(text=scored.algorithm_version),
        **score_value(scored.instrument, scored.score),
        **fields,
    )


def questionnaire(q: QuestionnaireOut, visit: VisitOut) -> Json:
    return score_observation(
        f"questionnaire-{visit.id}-{q.id}",
        q,
        visit.patient_id,
        _changed(q, visit),
        visit.visit_date,
        _status(q, visit),
    )


# --- medication (treatment history) -----------------------------------------------------------


def _statement(
    h: HistoryOut, visit: VisitOut, slug: str, atc: tuple[str, str], dosage: str | None
) -> Json:
    return resource(
        "MedicationStatement",
        f"history-{visit.id}-{h.id}-{slug}",
        _changed(h, visit),
        status="entered-in-error" if h.retracted or visit.retracted else "active",
        medicationCodeableConcept=concept(coding(codes.ATC, *atc), text=atc[1]),
        subject=reference("Patient", visit.patient_id),
        effectiveDateTime=day(visit.visit_date),
        dateAsserted=instant(h.recorded_at),
        informationSource={"display": h.recorded_by},
        dosage=[{"text": dosage}] if dosage else [],
        note=[{"text": "the regular asthma medication at the diagnostic visit"}],
    )


def medication(h: HistoryOut, visit: VisitOut) -> list[Json]:
    """What the patient took at the visit: ICS (GINA dose band), LABA, LAMA,
    maintenance oral corticosteroids (mg/day prednisone-equivalent), a biologic."""
    out = []
    if h.ics_dose_level != "none":
        out.append(
            _statement(h, visit, "ics", codes.ICS, f"{h.ics_dose_level} daily dose (GINA band)")
        )
    if h.laba:
        out.append(_statement(h, visit, "laba", codes.LABA, "long-acting, maintenance"))
    if h.lama:
        out.append(_statement(h, visit, "lama", codes.LAMA, "long-acting, maintenance"))
    if h.maintenance_ocs:
        dose = h.ocs_dose_mg_per_day
        text = f"{dose:g} mg/day prednisone-equivalent" if dose is not None else "maintenance"
        out.append(_statement(h, visit, "ocs", codes.OCS, text))
    if h.biologic in codes.BIOLOGICS:
        out.append(_statement(h, visit, "biologic", codes.BIOLOGICS[h.biologic], None))
    return out


def visit_resources(visit: VisitOut) -> Iterator[Json]:
    """Every resource of one visit's records."""
    for s in visit.spirometry:
        yield from spirometry(s, visit)
    for m in visit.markers:
        yield from markers(m, visit)
    for q in visit.questionnaires:
        yield questionnaire(q, visit)
    for h in visit.history:
        yield from medication(h, visit)


# --- the asthma -------------------------------------------------------------------------------

_SOURCE = re.compile(r"^visit (\d+) / (spirometry|markers) (\d+)$")


def _evidence(source: str | None) -> Json | None:
    """The Observation a snapshot's fact came from (diagnostics names it
    ``"visit 12 / spirometry 31"``)."""
    found = _SOURCE.match(source or "")
    if found is None:
        return None
    visit_id, kind, record_id = found.groups()
    if kind == "spirometry":
        return reference("Observation", spirometry_id(int(visit_id), int(record_id)))
    return reference("Observation", f"markers-{visit_id}-{record_id}-eosinophils")


def condition_id(patient_id: int) -> str:
    return f"asthma-{patient_id}"


def asthma(patient_id: int, snapshot: Any, first_visit: dt.date, changed: dt.datetime) -> Json:
    """The asthma as the work-up shows it: SNOMED CT 195967001 with the phenotype's
    codes, ICD-10 J45.x, the severity by treatment step, confirmed when spirometry
    showed a bronchodilator response (variable airflow limitation, GINA)."""
    phenotype = snapshot.phenotype.value if snapshot.phenotype else None
    sensitised = snapshot.sensitised.value if snapshot.sensitised else None
    step = snapshot.gina_step.value if snapshot.gina_step else None
    severity = codes.severity_by_step(step)
    snomed = codes.asthma_snomed(phenotype, sensitised)
    if severity is not None:
        snomed.append(codes.SEVERITY_CODES[severity][0])
    icd = codes.icd10(phenotype, sensitised)
    evidence = []
    confirmed = snapshot.bdr_positive_ever is not None and snapshot.bdr_positive_ever.value
    if confirmed:
        evidence.append(_evidence(snapshot.bdr_positive_ever.source))
    if snapshot.phenotype is not None and phenotype in diagnosis_codes.EOSINOPHILIC:
        evidence.append(_evidence(snapshot.phenotype.source))
    notes = []
    if phenotype:
        notes.append(f"type-2 phenotype: {phenotype} ({snapshot.phenotype.on.isoformat()})")
    if step is not None:
        notes.append(f"GINA treatment step {step} ({snapshot.gina_step.on.isoformat()})")
    return resource(
        "Condition",
        condition_id(patient_id),
        changed,
        clinicalStatus=concept(coding(codes.CONDITION_CLINICAL, "active", "Active")),
        verificationStatus=concept(coding(codes.CONDITION_VERIFICATION, "confirmed", "Confirmed"))
        if confirmed
        else None,
        category=[
            concept(coding(codes.CONDITION_CATEGORY, "problem-list-item", "Problem List Item"))
        ],
        severity=concept(coding(codes.SNOMED, *codes.SEVERITY_CODES[severity][1]))
        if severity
        else None,
        code=concept(
            *[coding(codes.SNOMED, c, d) for c, d in snomed],
            coding(codes.ICD10, icd, codes.ICD10_CODES[icd]),
            text="Asthma",
        ),
        subject=reference("Patient", patient_id),
        recordedDate=day(first_visit),
        evidence=[{"detail": [e]} for e in evidence if e is not None],
        note=[{"text": n} for n in notes],
    )
