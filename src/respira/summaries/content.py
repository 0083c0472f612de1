"""What a medical summary says, gathered from the other steps' public services as plain
data (codes, numbers and ISO dates, no words of any language): the content that is
signed and frozen, from which the PDFs in the patient's language and in English are
made (``respira.summaries.document``).

Every section is gathered whether or not its data exists; a section without data holds
``None`` or empty lists, and the document says "nothing recorded yet" for it rather than
leaving it out. The sources, each read as the acting user may read it:

- identity: the patient registry;
- diagnosis and diagnostics before treatment: the diagnostic visits up to the first
  administration (or, without one, up to the first approved course's start; without a
  course, every visit): the newest spirometry session with its GLI reference values and
  its ATS/ERS 2022 interpretation, the newest marker panel and phenotype, the newest score
  of each questionnaire, chest imaging and the treatment history; the newest signed
  screening decision;
- the course as given: the approved courses (protocols), their administrations with the
  unit's DIN and lot (treatment, products), the stays (admissions) and the supporting
  sessions done or skipped (the ward board of each day of the stay);
- vital signs and reactions of each administration (treatment);
- adverse events (safety), live ones only;
- follow-up: each check-in with its questionnaire against the schedule's baseline,
  rescue use, exacerbations, oral corticosteroid and FEV1 (follow-up);
- current medication: the treatment history before treatment and the medication changes
  the check-ins report.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from respira.diagnostics import service as diagnostics_service
from respira.followup import service as followup_service
from respira.kit.actors import Actor
from respira.kit.clinic_time import clinic_day
from respira.kit.errors import NotFound
from respira.patients import service as patients_service
from respira.products import service as products_service
from respira.protocols import service as protocols_service
from respira.safety import service as safety_service
from respira.science import diagnosis_codes as codes
from respira.screening import service as screening_service
from respira.treatment import service as treatment_service

# The version of this content's layout: a frozen summary keeps the layout it was made in.
CONTENT_VERSION = 1
SECTIONS: tuple[str, ...] = (
    "identity",
    "diagnosis",
    "diagnostics",
    "course",
    "administrations",
    "adverse_events",
    "follow_up",
    "medication",
    "recommendations",
    "limits",
)
VITALS: tuple[str, ...] = (
    "temperature_c",
    "heart_rate_bpm",
    "systolic_mmhg",
    "diastolic_mmhg",
    "spo2_pct",
    "respiratory_rate_per_min",
)
SPIROMETRY_KEYS: tuple[str, ...] = (
    "fev1_pre",
    "fev1_post",
    "fvc_pre",
    "fvc_post",
    "fev1fvc_pre",
    "fev1fvc_post",
    "fef2575_pre",
)


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _plain(record: Any, *names: str) -> dict[str, Any]:
    """The named attributes of a record as plain data (dates as ISO text, lists copied)."""
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(record, name)
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, list | tuple):
            value = list(value)
        out[name] = value
    return out


def gather(
    session: Session, actor: Actor, patient_id: int, *, recommendations: str | None = None
) -> dict[str, Any]:
    """The summary's content for the patient, as ``actor`` may read it."""
    patient = patients_service.get_patient(session, actor, patient_id)
    administrations = treatment_service.list_administrations(session, actor, patient_id)
    courses = [
        c
        for c in protocols_service.list_courses(session, actor, patient_id)
        if c.status == "approved"
    ]
    cutoff = _treatment_start(administrations, courses)
    visits = _visits_before(session, actor, patient_id, cutoff)
    diagnostics = _diagnostics(visits)
    follow_up = _follow_up(session, actor, patient_id, diagnostics)
    return {
        "content_version": CONTENT_VERSION,
        "treatment_start": _iso(cutoff),
        "sections": {
            "identity": _identity(patient),
            "diagnosis": _diagnosis(session, actor, patient_id, diagnostics),
            "diagnostics": diagnostics,
            "course": _courses(session, actor, patient_id, courses, administrations),
            "administrations": [_vitals_and_reactions(a) for a in reversed(administrations)],
            "adverse_events": _adverse_events(session, actor, patient_id),
            "follow_up": follow_up,
            "medication": _medication(diagnostics, follow_up),
            "recommendations": recommendations,
            "limits": True,
        },
    }


# --- identity ---------------------------------------------------------------------------


def _identity(patient: Any) -> dict[str, Any]:
    return _plain(
        patient,
        "first_name",
        "last_name",
        "date_of_birth",
        "sex_at_birth",
        "medical_record_number",
        "country",
        "height_cm",
        "weight_kg",
    )


# --- before treatment -------------------------------------------------------------------


def _treatment_start(administrations: list[Any], courses: list[Any]) -> dt.date | None:
    """The day treatment began: the first administration, else the first approved
    course's first day; None when neither exists."""
    if administrations:
        first: dt.datetime = min(a.started_at for a in administrations)
        return clinic_day(first)
    if courses:
        start: dt.date = min(c.start_date for c in courses)
        return start
    return None


def _visits_before(
    session: Session, actor: Actor, patient_id: int, cutoff: dt.date | None
) -> list[Any]:
    """The live diagnostic visits on or before ``cutoff`` (all without one), newest
    first, each with its records."""
    listed = diagnostics_service.list_visits(session, actor, patient_id).items
    wanted = [v for v in listed if not v.retracted and (cutoff is None or v.visit_date <= cutoff)]
    return [diagnostics_service.get_visit(session, actor, v.id) for v in wanted]


def _newest(visits: list[Any], kind: str) -> tuple[Any, Any] | tuple[None, None]:
    """The newest live record of a kind and its visit (visits newest first, a visit's
    records newest first)."""
    for visit in visits:
        for record in getattr(visit, kind):
            if not record.retracted:
                return record, visit
    return None, None


def _diagnostics(visits: list[Any]) -> dict[str, Any]:
    spiro, spiro_visit = _newest(visits, "spirometry")
    panel, panel_visit = _newest(visits, "markers")
    history, history_visit = _newest(visits, "history")
    questionnaires: dict[str, dict[str, Any]] = {}
    imaging: list[dict[str, Any]] = []
    for visit in visits:
        for q in visit.questionnaires:
            if not q.retracted and q.instrument not in questionnaires:
                questionnaires[q.instrument] = {
                    **_plain(q, "instrument", "score", "band"),
                    "on": _iso(visit.visit_date),
                }
        imaging += [
            _plain(i, "modality", "study_date", "abnormal", "findings")
            for i in visit.imaging
            if not i.retracted
        ]
    return {
        "spirometry": _spirometry(spiro, spiro_visit) if spiro else None,
        "markers": _markers(panel, panel_visit) if panel else None,
        "questionnaires": list(questionnaires.values()),
        "imaging": imaging[:3],
        "history": _history(history, history_visit) if history else None,
    }


def _spirometry(s: Any, visit: Any) -> dict[str, Any]:
    results = {
        key: _plain(r, "measured", "pred", "lln", "z", "pctpred", "flag")
        for key, r in s.results.items()
        if key in SPIROMETRY_KEYS
    }
    return {
        "on": _iso(visit.visit_date),
        "results": results,
        **_plain(
            s,
            "equations",
            "equations_version",
            "age_years",
            "height_cm",
            "pattern",
            "severity",
            "bdr",
            "bdr_fev1_pct_pred_change",
            "bdr_fvc_pct_pred_change",
            "bdr_2005",
            "bronchodilator",
            "bronchodilator_dose_ug",
        ),
    }


def _markers(m: Any, visit: Any) -> dict[str, Any]:
    return {
        "on": _iso(visit.visit_date),
        "sensitisations": [_plain(s, "allergen", "positive") for s in m.sensitisations],
        **_plain(
            m,
            "blood_eosinophils_per_ul",
            "feno_ppb",
            "total_ige_iu_ml",
            "on_maintenance_ocs",
            "on_biologic",
            "phenotype",
        ),
    }


def _history(h: Any, visit: Any) -> dict[str, Any]:
    return {
        "on": _iso(visit.visit_date),
        "ocs_dose_mg_per_day": h.ocs_dose_mg_per_day if h.maintenance_ocs else 0.0,
        **_plain(
            h,
            "ics_dose_level",
            "laba",
            "lama",
            "maintenance_ocs",
            "biologic",
            "gina_step",
            "severe_exacerbations_12m",
            "hospitalisations_12m",
            "rescue_puffs_per_week",
        ),
    }


def _diagnosis(
    session: Session, actor: Actor, patient_id: int, diagnostics: dict[str, Any]
) -> dict[str, Any]:
    """Asthma with its phenotype, severity and control as measured before treatment,
    and the programme's eligibility decision."""
    markers = diagnostics["markers"]
    history = diagnostics["history"]
    spiro = diagnostics["spirometry"]
    sensitised = None
    if markers and markers["sensitisations"]:
        sensitised = any(s["positive"] for s in markers["sensitisations"])
    signed = [
        s
        for s in screening_service.list_screenings(session, actor, patient_id)
        if s.signed and s.superseded_by_id is None
    ]
    screening = signed[0] if signed else None
    phenotype = markers["phenotype"] if markers else None
    gina_step = history["gina_step"] if history else None
    return {
        "icd10": codes.icd10(phenotype, sensitised),
        "snomed": codes.snomed(phenotype, sensitised, gina_step),
        "severity_by_step": codes.severity_by_step(gina_step),
        "phenotype": phenotype,
        "phenotype_on": markers["on"] if markers else None,
        "sensitised": sensitised,
        "gina_step": gina_step,
        "gina_step_on": history["on"] if history else None,
        "airflow_severity": spiro["severity"] if spiro else None,
        "spirometry_pattern": spiro["pattern"] if spiro else None,
        "control": diagnostics["questionnaires"],
        "screening": None
        if screening is None
        else {
            "decision": screening.decision,
            "signed_by": screening.signed_by,
            "signed_at": _iso(screening.signed_at),
            "criteria_version": screening.criteria_version,
        },
    }


# --- the course as given ----------------------------------------------------------------


def _unit(session: Session, actor: Actor, din: str) -> Any | None:
    """The unit of a DIN as the products step knows it (its lot and cell count)."""
    try:
        return products_service.get_unit(session, actor, din)
    except NotFound:
        return None


def _given(session: Session, actor: Actor, a: Any, weight_kg: float) -> dict[str, Any]:
    unit = _unit(session, actor, a.din)
    cells = unit.cells_million if unit else None
    return {
        "administration_id": a.id,
        "started_at": _iso(a.started_at),
        "ended_at": _iso(a.ended_at),
        "infusion_day": a.infusion_day,
        "route": a.route,
        "din": a.din,
        "lot_code": unit.lot_code if unit else None,
        "cells_million": cells,
        "dose_million_per_kg": None if cells is None else round(cells / weight_kg, 3),
        "volume_ml": a.volume_ml,
        "rate_ml_per_h": a.rate_ml_per_h,
    }


def _supporting(session: Session, actor: Actor, course: Any) -> list[dict[str, Any]]:
    """Each supporting modality of the course: planned sessions, and those recorded done
    or skipped (read from the ward board of each day of the stay up to today)."""
    counts = {s.modality: {"done": 0, "skipped": 0} for s in course.supporting}
    today = dt.datetime.now(dt.UTC).date()
    days_with_sessions = sorted({d for s in course.supporting for d in s.days})
    for day in days_with_sessions:
        on = course.start_date + dt.timedelta(days=day - 1)
        if on > today:
            break
        board = treatment_service.ward_board(session, actor, on)
        for ward_patient in board.patients:
            if ward_patient.course_id != course.id:
                continue
            for item in ward_patient.due:
                if item.kind == "supporting" and item.done and item.modality in counts:
                    outcome = "done" if item.detail == "done" else "skipped"
                    counts[item.modality][outcome] += 1
    return [
        {"modality": s.modality, "planned": s.count, "days": list(s.days), **counts[s.modality]}
        for s in course.supporting
    ]


def _courses(
    session: Session,
    actor: Actor,
    patient_id: int,
    courses: list[Any],
    administrations: list[Any],
) -> list[dict[str, Any]]:
    admissions = treatment_service.list_admissions(session, actor, patient_id)
    out = []
    for c in courses:
        given = [
            _given(session, actor, a, c.weight_kg)
            for a in sorted(administrations, key=lambda a: a.started_at)
            if a.course_id == c.id
        ]
        iv = [g for g in given if g["route"] == "iv" and g["cells_million"] is not None]
        nebulised = [g for g in given if g["route"] == "nebulised"]
        iv_total = sum(g["cells_million"] for g in iv)
        out.append(
            {
                "number": c.number,
                "version": c.version,
                "source": c.source,
                "start_date": _iso(c.start_date),
                "end_date": _iso(c.end_date),
                "stay_days": c.stay_days,
                "weight_kg": c.weight_kg,
                "weight_measured_on": _iso(c.weight_measured_on),
                "premedication": c.premedication,
                "approved_by": c.approved_by,
                "approved_at": _iso(c.approved_at),
                "planned_infusions": [
                    {
                        "day": i.day,
                        "date": _iso(i.date),
                        "dose_million_per_kg": i.dose_million_cells_per_kg,
                        "cells_total": i.cells_total,
                    }
                    for i in c.infusions
                ],
                "planned_nebulisations": [
                    {"day": n.day, "date": _iso(n.date), "amount_million": n.amount_million_cells}
                    for n in c.nebulisations
                ],
                "supporting": _supporting(session, actor, c),
                "given": given,
                "iv_cells_million_total": round(iv_total, 3),
                "iv_dose_million_per_kg_total": round(iv_total / c.weight_kg, 3),
                "nebulisations_given": len(nebulised),
                "stays": [
                    {
                        "admitted_at": _iso(adm.admitted_at),
                        "discharged_at": _iso(adm.discharged_at),
                        "note": adm.discharge_note,
                    }
                    for adm in reversed(admissions)
                    if adm.course_id == c.id
                ],
            }
        )
    return out


def _vitals_and_reactions(a: Any) -> dict[str, Any]:
    return {
        "administration_id": a.id,
        "started_at": _iso(a.started_at),
        "route": a.route,
        "din": a.din,
        "vitals": [{"phase": v.phase, **{k: getattr(v, k) for k in VITALS}} for v in a.vitals],
        "reactions": list(a.reactions),
        "reaction_notes": a.reaction_notes,
    }


# --- after treatment --------------------------------------------------------------------


def _adverse_events(session: Session, actor: Actor, patient_id: int) -> list[dict[str, Any]]:
    events = safety_service.list_events(session, actor, patient_id)
    return [
        _plain(
            e,
            "term",
            "ctcae_version",
            "grade",
            "onset_date",
            "resolution_date",
            "serious",
            "serious_criteria",
            "causality",
            "related",
            "expected",
            "outcome",
            "action",
            "din",
            "lot_code",
        )
        for e in reversed(events)
        if not e.retracted
    ]


def _follow_up(
    session: Session, actor: Actor, patient_id: int, diagnostics: dict[str, Any]
) -> dict[str, Any]:
    """The check-ins of the patient's schedules and what the baseline was before
    treatment (clinical.md §6: change from baseline, with the MCIDs)."""
    planned = followup_service.list_for_patient(session, actor, patient_id)
    check_ins = []
    baseline_score = baseline_on = instrument = None
    for f in planned:
        if f.check_in_id is None:
            continue
        detail = followup_service.get_follow_up(session, actor, f.id)
        c = detail.check_in
        if c is None:
            continue
        if baseline_score is None and detail.baseline_score is not None:
            baseline_score, baseline_on = detail.baseline_score, _iso(detail.baseline_on)
        instrument = instrument or c.instrument
        fev1 = c.spirometry.results.get("fev1_pre") if c.spirometry else None
        check_ins.append(
            {
                **_plain(f, "course_number", "month"),
                **_plain(
                    c,
                    "answered_on",
                    "instrument",
                    "score",
                    "band",
                    "baseline_score",
                    "change_from_baseline",
                    "important_change",
                    "rescue_puffs_per_week",
                    "fev1_l",
                ),
                "exacerbations": c.exacerbation_count,
                "severe_exacerbations": c.severe_exacerbation_count,
                "ocs_mg_per_day": c.maintenance_ocs_mg_per_day,
                "fev1_pctpred": fev1.pctpred if fev1 else None,
                "medication_changes": c.medication_changes if c.medication_changed else None,
            }
        )
    history = diagnostics["history"]
    spiro = diagnostics["spirometry"]
    fev1_pre = spiro["results"].get("fev1_pre") if spiro else None
    return {
        "baseline": {
            "instrument": instrument,
            "score": baseline_score,
            "on": baseline_on,
            "rescue_puffs_per_week": history["rescue_puffs_per_week"] if history else None,
            "severe_exacerbations_12m": history["severe_exacerbations_12m"] if history else None,
            "ocs_mg_per_day": history["ocs_dose_mg_per_day"] if history else None,
            "fev1_l": fev1_pre["measured"] if fev1_pre else None,
            "fev1_on": spiro["on"] if spiro else None,
        },
        "check_ins": check_ins,
        "planned": [
            _plain(f, "course_number", "month", "window_start", "window_end", "state")
            for f in planned
            if f.check_in_id is None
        ],
    }


def _medication(diagnostics: dict[str, Any], follow_up: dict[str, Any]) -> dict[str, Any]:
    """The regular medication before treatment, and every change a check-in reported
    since (oldest first)."""
    changes = [
        {"month": c["month"], "answered_on": c["answered_on"], "text": c["medication_changes"]}
        for c in follow_up["check_ins"]
        if c["medication_changes"]
    ]
    return {"history": diagnostics["history"], "changes": changes}
