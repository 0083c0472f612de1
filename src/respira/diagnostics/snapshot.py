"""The clinical snapshot: the newest diagnostic facts about one patient, each with its
date and the record it came from, for screening (and later steps) to decide on.

A fact that was never recorded is ``None`` — never a default value — so that a rule
that needs it answers "unknown", not "pass".

This module fixes the contract between diagnostics (which fills it) and screening
(which reads it); ``clinical_snapshot`` fills it from the diagnostic records.

Rules of the filling (retracted visits and records never count):

* "Newest" orders by the visit date, then by when the record was written; imaging by
  its study date. ``on`` is the visit date (the study date for imaging).
* Lung function comes from the newest spirometry session; BDR from the newest session
  that had a post-bronchodilator test; ``bdr_positive_ever`` is True if any session
  was positive by the 2022 or the 2005 rule (dated by the newest positive one), False
  if sessions were tested and none was positive (dated by the newest tested one).
* Each marker is the newest panel that measured it (a panel need not hold all three);
  the phenotype is the newest panel's; ``sensitised`` is the newest panel with allergy
  tests: True if any test was positive.
* Treatment and history come from the newest history record as a whole. ``biologic``
  is ``Dated(None)`` when that record says "none". ``last_exacerbation`` is
  ``Dated(None)`` when no date was given and no severe exacerbation occurred in the
  12 months before the visit; with exacerbations but no date it is ``None``
  (unknown). ``last_systemic_corticosteroid_course`` is given only when the record
  gives its date (the last dose): blank is unknown. ``ocs_dose_mg_per_day`` is 0.0 when the
  patient is not on maintenance OCS. ``adherence_confirmed`` and
  ``inhaler_technique_confirmed`` are ``None`` when the record says "unknown".
* ``chest_imaging_abnormal`` is the newest chest X-ray, CT or HRCT (not "other").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased, selectinload

from respira.diagnostics.models import (
    DiagnosticVisit,
    ImagingStudy,
    MarkerPanel,
    QuestionnaireResponse,
    SpirometrySession,
    TreatmentHistory,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Dated(Generic[T]):
    """A value with the date it was measured or reported and where it is recorded,
    e.g. ``source="visit 12 / spirometry 31"``."""

    value: T
    on: dt.date
    source: str


@dataclass(frozen=True)
class ClinicalSnapshot:
    patient_id: int
    # Lung function (newest spirometry session; pattern per ATS/ERS 2022).
    fev1_pre_l: Dated[float] | None = None
    fev1_pre_pctpred: Dated[float] | None = None
    fev1_pre_z: Dated[float] | None = None
    fev1fvc_pre_z: Dated[float] | None = None
    spirometry_pattern: Dated[str] | None = None
    # Bronchodilator responsiveness: the newest session that had a post-BD test, and
    # whether any session ever showed a response (2022 rule, and the 2005 rule).
    bdr_2022: Dated[bool] | None = None
    bdr_2005: Dated[bool] | None = None
    bdr_positive_ever: Dated[bool] | None = None
    # Control (newest of each instrument).
    act_score: Dated[int] | None = None
    acq_score: Dated[float] | None = None
    acq_instrument: Dated[str] | None = None
    gina_control: Dated[str] | None = None
    # Inflammation markers (newest).
    blood_eosinophils_per_ul: Dated[float] | None = None
    feno_ppb: Dated[float] | None = None
    total_ige_iu_ml: Dated[float] | None = None
    phenotype: Dated[str] | None = None
    sensitised: Dated[bool] | None = None
    # Treatment and history (newest history record).
    gina_step: Dated[int] | None = None
    ics_dose_level: Dated[str] | None = None  # "none" | "low" | "medium" | "high"
    on_laba: Dated[bool] | None = None
    on_lama: Dated[bool] | None = None
    maintenance_ocs: Dated[bool] | None = None
    biologic: Dated[str | None] | None = None  # the biologic's name, or None if none
    exacerbations_12m: Dated[int] | None = None  # severe: systemic CS ≥3 days or hospital/ED
    hospitalisations_12m: Dated[int] | None = None
    rescue_puffs_per_week: Dated[float] | None = None
    last_systemic_corticosteroid_course: Dated[dt.date | None] | None = None
    last_exacerbation: Dated[dt.date | None] | None = None
    # Imaging (newest chest imaging and whether findings were reported abnormal).
    chest_imaging_abnormal: Dated[bool] | None = None
    # Added by diagnostics (issue 3), after the first contract:
    # post-bronchodilator lung function of the newest session with a BD test (for the
    # ERS/ATS severe-asthma and asthma-COPD-overlap rules), the childhood ACT, the
    # maintenance OCS dose, and whether adherence and inhaler technique were confirmed
    # (None when the record says "unknown").
    fev1_post_pctpred: Dated[float] | None = None
    fev1fvc_post_z: Dated[float] | None = None
    cact_score: Dated[int] | None = None
    ocs_dose_mg_per_day: Dated[float] | None = None  # 0.0 when not on maintenance OCS
    adherence_confirmed: Dated[bool] | None = None
    inhaler_technique_confirmed: Dated[bool] | None = None


CHEST_MODALITIES = ("chest_xray", "ct", "hrct")


def _source(visit: DiagnosticVisit, kind: str, record_id: int) -> str:
    return f"visit {visit.id} / {kind} {record_id}"


def _rows(
    session: Session,
    model: type[R],
    patient_ids: Sequence[int],
    *options: Any,
    on: dt.date | None = None,
) -> dict[int, list[tuple[R, DiagnosticVisit]]]:
    """Each patient's live records of one kind with their visits, newest first
    (``options`` load the records' parts with them; ``on``: visits on or before it)."""
    stmt = (
        select(model, DiagnosticVisit)
        .join(DiagnosticVisit, model.visit_id == DiagnosticVisit.id)  # type: ignore[attr-defined]
        .options(*options)
        .where(
            DiagnosticVisit.patient_id.in_(patient_ids),
            DiagnosticVisit.retracted_at.is_(None),
            model.retracted_at.is_(None),  # type: ignore[attr-defined]
            *([DiagnosticVisit.visit_date <= on] if on is not None else []),
        )
        .order_by(
            DiagnosticVisit.visit_date.desc(),
            model.recorded_at.desc(),  # type: ignore[attr-defined]
            model.id.desc(),  # type: ignore[attr-defined]
        )
    )
    found: dict[int, list[tuple[R, DiagnosticVisit]]] = defaultdict(list)
    for row in session.execute(stmt).all():
        found[row[1].patient_id].append((row[0], row[1]))
    return found


def _chest_imaging(
    session: Session, patient_ids: Sequence[int], on: dt.date | None = None
) -> dict[int, tuple[ImagingStudy, DiagnosticVisit]]:
    """Each patient's newest live chest imaging study with its visit."""
    rows = session.execute(
        select(ImagingStudy, DiagnosticVisit)
        .join(DiagnosticVisit, ImagingStudy.visit_id == DiagnosticVisit.id)
        .where(
            DiagnosticVisit.patient_id.in_(patient_ids),
            DiagnosticVisit.retracted_at.is_(None),
            ImagingStudy.retracted_at.is_(None),
            ImagingStudy.modality.in_(CHEST_MODALITIES),
            *([DiagnosticVisit.visit_date <= on] if on is not None else []),
        )
        .order_by(
            ImagingStudy.study_date.desc(), ImagingStudy.recorded_at.desc(), ImagingStudy.id.desc()
        )
    ).all()
    found: dict[int, tuple[ImagingStudy, DiagnosticVisit]] = {}
    for study, visit in rows:
        found.setdefault(visit.patient_id, (study, visit))
    return found


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def clinical_snapshot(session: Session, patient_id: int) -> ClinicalSnapshot:
    """The newest diagnostic facts about a patient, each dated and sourced. The caller
    decides who may see them (this reads, checks no role and writes nothing)."""
    return clinical_snapshots(session, [patient_id])[patient_id]


def clinical_snapshots(
    session: Session, patient_ids: Sequence[int], *, on: dt.date | None = None
) -> dict[int, ClinicalSnapshot]:
    """``clinical_snapshot`` of each of these patients, read with one query per kind of
    record for all of them (an export of many patients); with ``on``, as the record
    stood on that day (visits on or before it: the baseline before a course)."""
    spiro = _rows(
        session, SpirometrySession, patient_ids, selectinload(SpirometrySession.results), on=on
    )
    questionnaires = _rows(session, QuestionnaireResponse, patient_ids, on=on)
    panels = _rows(
        session, MarkerPanel, patient_ids, selectinload(MarkerPanel.sensitisations), on=on
    )
    histories = _rows(session, TreatmentHistory, patient_ids, on=on)
    imaging = _chest_imaging(session, patient_ids, on)
    return {
        pid: _snapshot(
            pid, spiro[pid], questionnaires[pid], panels[pid], histories[pid], imaging.get(pid)
        )
        for pid in patient_ids
    }


def _snapshot(
    patient_id: int,
    spiro: list[tuple[SpirometrySession, DiagnosticVisit]],
    questionnaires: list[tuple[QuestionnaireResponse, DiagnosticVisit]],
    panels: list[tuple[MarkerPanel, DiagnosticVisit]],
    histories: list[tuple[TreatmentHistory, DiagnosticVisit]],
    imaging: tuple[ImagingStudy, DiagnosticVisit] | None,
) -> ClinicalSnapshot:
    f: dict[str, object] = {}

    if spiro:
        s, v = spiro[0]
        src = _source(v, "spirometry", s.id)
        res = {r.key: r for r in s.results}
        f["fev1_pre_l"] = Dated(s.fev1_pre_l, v.visit_date, src)
        if "fev1_pre" in res:
            f["fev1_pre_pctpred"] = Dated(res["fev1_pre"].pctpred, v.visit_date, src)
            f["fev1_pre_z"] = Dated(res["fev1_pre"].z, v.visit_date, src)
        if "fev1fvc_pre" in res:
            f["fev1fvc_pre_z"] = Dated(res["fev1fvc_pre"].z, v.visit_date, src)
        if s.pattern is not None:  # none: no reference values for the age
            f["spirometry_pattern"] = Dated(s.pattern, v.visit_date, src)
    tested = [(s, v) for s, v in spiro if s.bdr is not None]
    if tested:
        s, v = tested[0]
        src = _source(v, "spirometry", s.id)
        f["bdr_2022"] = Dated(bool(s.bdr), v.visit_date, src)
        if s.bdr_2005 is not None:
            f["bdr_2005"] = Dated(bool(s.bdr_2005), v.visit_date, src)
        res = {r.key: r for r in s.results}
        if "fev1_post" in res:
            f["fev1_post_pctpred"] = Dated(res["fev1_post"].pctpred, v.visit_date, src)
        if "fev1fvc_post" in res:
            f["fev1fvc_post_z"] = Dated(res["fev1fvc_post"].z, v.visit_date, src)
        positive = [(p, pv) for p, pv in tested if p.bdr or p.bdr_2005]
        if positive:
            p, pv = positive[0]
            f["bdr_positive_ever"] = Dated(True, pv.visit_date, _source(pv, "spirometry", p.id))
        else:
            f["bdr_positive_ever"] = Dated(False, v.visit_date, src)

    for q, v in questionnaires:
        src = _source(v, "questionnaire", q.id)
        if q.instrument == "act" and "act_score" not in f:
            f["act_score"] = Dated(round(q.score), v.visit_date, src)
        elif q.instrument == "cact" and "cact_score" not in f:
            f["cact_score"] = Dated(round(q.score), v.visit_date, src)
        elif q.instrument.startswith("acq") and "acq_score" not in f:
            f["acq_score"] = Dated(q.score, v.visit_date, src)
            f["acq_instrument"] = Dated(q.instrument, v.visit_date, src)
        elif q.instrument == "gina" and "gina_control" not in f:
            f["gina_control"] = Dated(q.band, v.visit_date, src)

    for name in ("blood_eosinophils_per_ul", "feno_ppb", "total_ige_iu_ml"):
        for m, v in panels:
            value = getattr(m, name)
            if value is not None:
                f[name] = Dated(float(value), v.visit_date, _source(v, "markers", m.id))
                break
    if panels:
        m, v = panels[0]
        f["phenotype"] = Dated(m.phenotype, v.visit_date, _source(v, "markers", m.id))
    for m, v in panels:
        if m.sensitisations:
            f["sensitised"] = Dated(
                any(x.positive for x in m.sensitisations),
                v.visit_date,
                _source(v, "markers", m.id),
            )
            break

    if histories:
        h, v = histories[0]
        src = _source(v, "history", h.id)
        on = v.visit_date
        f["gina_step"] = Dated(h.gina_step, on, src)
        f["ics_dose_level"] = Dated(h.ics_dose_level, on, src)
        f["on_laba"] = Dated(h.laba, on, src)
        f["on_lama"] = Dated(h.lama, on, src)
        f["maintenance_ocs"] = Dated(h.maintenance_ocs, on, src)
        f["ocs_dose_mg_per_day"] = Dated(
            h.ocs_dose_mg_per_day if h.maintenance_ocs and h.ocs_dose_mg_per_day else 0.0, on, src
        )
        f["biologic"] = Dated(None if h.biologic == "none" else h.biologic, on, src)
        f["exacerbations_12m"] = Dated(h.severe_exacerbations_12m, on, src)
        f["hospitalisations_12m"] = Dated(h.hospitalisations_12m, on, src)
        f["rescue_puffs_per_week"] = Dated(h.rescue_puffs_per_week, on, src)
        none_in_year = h.severe_exacerbations_12m == 0
        if h.last_exacerbation_date is not None or none_in_year:
            f["last_exacerbation"] = Dated(h.last_exacerbation_date, on, src)
        # A blank course date is unknown, never "no course" (issue 14): a course can be
        # given for another reason than a counted exacerbation.
        if h.last_systemic_cs_date is not None:
            f["last_systemic_corticosteroid_course"] = Dated(h.last_systemic_cs_date, on, src)
        for name, value in (
            ("adherence_confirmed", h.adherence_confirmed),
            ("inhaler_technique_confirmed", h.inhaler_technique_confirmed),
        ):
            confirmed = _yes_no(value)
            if confirmed is not None:
                f[name] = Dated(confirmed, on, src)

    if imaging is not None:
        study, v = imaging
        f["chest_imaging_abnormal"] = Dated(
            study.abnormal, study.study_date, _source(v, "imaging", study.id)
        )

    return ClinicalSnapshot(patient_id=patient_id, **f)  # type: ignore[arg-type]


# --- the records a snapshot cites, and their retraction --------------------------------

# The kinds in a snapshot's sources ("visit 12 / spirometry 31") as record types (the
# audit trail's entity types), and their tables.
SOURCE_RECORD_TYPES = {
    "spirometry": "spirometry_session",
    "questionnaire": "questionnaire_response",
    "markers": "marker_panel",
    "history": "treatment_history",
    "imaging": "imaging_study",
}
RECORD_MODELS: dict[str, Any] = {
    "spirometry_session": SpirometrySession,
    "questionnaire_response": QuestionnaireResponse,
    "marker_panel": MarkerPanel,
    "treatment_history": TreatmentHistory,
    "imaging_study": ImagingStudy,
}


@dataclass(frozen=True, slots=True)
class Retraction:
    """A cited record that is retracted, itself or with its whole visit."""

    record_type: str
    record_id: int
    retracted_at: dt.datetime
    retracted_by: str | None
    reason: str


def retracted_records(session: Session, record_type: str, ids: Sequence[int]) -> list[Retraction]:
    """Which of these records of one type are retracted (the record or its visit)."""
    model = RECORD_MODELS[record_type]
    rows = session.execute(
        select(
            model.id,
            model.retracted_at,
            model.retracted_by_name,
            model.retraction_reason,
            DiagnosticVisit.retracted_at,
            DiagnosticVisit.retracted_by_name,
            DiagnosticVisit.retraction_reason,
        )
        .join(DiagnosticVisit, model.visit_id == DiagnosticVisit.id)
        .where(
            model.id.in_(list(ids)),
            or_(model.retracted_at.is_not(None), DiagnosticVisit.retracted_at.is_not(None)),
        )
    ).all()
    out = []
    for rid, at, by, reason, visit_at, visit_by, visit_reason in rows:
        if at is None:  # the whole visit was retracted
            at, by, reason = visit_at, visit_by, f"visit retracted: {visit_reason}"
        out.append(Retraction(record_type, rid, at, by, reason or ""))
    return out


def retracted_clause(record_type: Any, record_id: Any) -> Any:
    """SQL: true when the record named by these two columns (a record type and an id,
    such as a screening's evidence) is retracted, itself or with its visit."""
    parts = []
    for rtype, model in RECORD_MODELS.items():
        visit = aliased(DiagnosticVisit)
        retracted = exists(
            select(model.id)
            .join(visit, model.visit_id == visit.id)
            .where(
                model.id == record_id,
                or_(model.retracted_at.is_not(None), visit.retracted_at.is_not(None)),
            )
        )
        parts.append(and_(record_type == rtype, retracted))
    return or_(*parts)
