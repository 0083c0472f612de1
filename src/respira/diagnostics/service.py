"""Use cases of the diagnostic work-up: open a visit, record spirometry, markers,
imaging, questionnaires and treatment history at it, read them back, and retract a
record entered in error.

Who may do what (``docs/decisions/2026-11-23-diagnostics-roles.md``): physicians and
admins record and read; a patient account reads its own visits (any other visit is
"not found", and records retracted as entered in error are not shown to it);
coordinators and the laboratory have no access.

Everything Respira computes — reference values, pattern, severity, bronchodilator
response, phenotype, questionnaire score and band — comes from ``respira.science`` at
the moment of recording and is stored with the version of the method that computed
it, so that a later change of method never silently changes a recorded result.

Records are never edited (``docs/decisions/2026-11-23-diagnostics-immutable-records.md``):
a wrong record is retracted with a reason and entered again. Each use case is one
transaction, audited in it, and raises before it writes anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from respira.diagnostics import science_texts
from respira.diagnostics.models import (
    DiagnosticVisit,
    ImagingStudy,
    MarkerPanel,
    QuestionnaireResponse,
    Sensitisation,
    SpirometryResult,
    SpirometrySession,
    TreatmentHistory,
)
from respira.diagnostics.schemas import (
    ControlSummary,
    HistoryIn,
    HistoryOut,
    ImagingIn,
    ImagingOut,
    MarkersIn,
    MarkersOut,
    QuestionnaireIn,
    QuestionnaireOut,
    RecordKind,
    RetractionIn,
    SpirometryIn,
    SpirometryOut,
    VisitIn,
    VisitList,
    VisitOut,
    VisitSummary,
)
from respira.diagnostics.snapshot import (
    RECORD_MODELS,
    SOURCE_RECORD_TYPES,
    ClinicalSnapshot,
    Retraction,
    clinical_snapshot,
    clinical_snapshots,
    retracted_clause,
    retracted_records,
)
from respira.kit import audit, records
from respira.kit.actors import Actor, Role, require_role
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.rows import from_row
from respira.kit.texts import Msg
from respira.kit.validation import decimal_age
from respira.patients import service as patients_service
from respira.patients.service import Patient
from respira.science import control
from respira.science.control import QuestionnaireError, score_questionnaire
from respira.science.phenotype import PhenotypeInputError, classify_phenotype
from respira.science.spirometry import (
    SUMMARY_FIELDS,
    SessionInterpretation,
    age_range,
    bdr_2005,
    equations_version,
    interpret_session,
    sex_code,
    takes_ethnicity,
)
from respira.science.spirometry.errors import SpirometryInputError

__all__ = [
    "READ_ROLES",
    "RECORD_MODELS",
    "SOURCE_RECORD_TYPES",
    "WRITE_ROLES",
    "ClinicalSnapshot",
    "Retraction",
    "clinical_snapshot",
    "clinical_snapshots",
    "retracted_clause",
    "retracted_records",
    "science_refusal",
]

WRITE_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN})
READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.PATIENT})
#: The message of a science error (``SpirometryInputError``, ``QuestionnaireError``) for
#: ``InvalidInput`` or inside a step's own message: the science's English as ``str``,
#: which a page writes in its reader's language (another step that runs the science,
#: such as the follow-up's check-in, uses it too).
science_refusal = science_texts.refusal
#: The questionnaires' short names for the pages (ACT, C-ACT, ACQ-5, ...).
SHORT_INSTRUMENT = control.SHORT_NAMES

# Science field names → the names the caller knows (the patient record's).
_SCIENCE_FIELDS = {"sex": "sex_at_birth", "age": "visit_date"}

# A kind of record as a refusal names it ("no such spirometry record at this visit").
KIND_WORDS: dict[str, str] = {
    "spirometry": N_("spirometry"),
    "markers": N_("markers"),
    "imaging": N_("imaging"),
    "questionnaires": N_("questionnaires"),
    "history": N_("history"),
}

_KINDS: dict[str, tuple[type[Any], str, type[Any]]] = {
    "spirometry": (SpirometrySession, "spirometry_session", SpirometryOut),
    "markers": (MarkerPanel, "marker_panel", MarkersOut),
    "imaging": (ImagingStudy, "imaging_study", ImagingOut),
    "questionnaires": (QuestionnaireResponse, "questionnaire_response", QuestionnaireOut),
    "history": (TreatmentHistory, "treatment_history", HistoryOut),
}


# --- loading and visibility -----------------------------------------------------------


def _load_visit(
    session: Session, actor: Actor, visit_id: int, *, for_write: bool = False
) -> DiagnosticVisit:
    visit = session.get(DiagnosticVisit, visit_id, with_for_update=for_write or None)
    if visit is None:
        raise NotFound(N_("no such visit"))
    if records.hidden_from(actor, visit.patient_id, visit.retracted):
        raise NotFound(N_("no such visit"))
    if for_write and visit.retracted_at is not None:
        raise Conflict(
            N_("this visit was retracted as entered in error; record results at a new visit")
        )
    return visit


def _patient_of(session: Session, visit: DiagnosticVisit) -> Patient:
    patient = patients_service.find(session, visit.patient_id)
    assert patient is not None  # a foreign key with ON DELETE RESTRICT
    return patient


def _check_date(name: str, value: dt.date, patient: Patient, label: str) -> dict[str, str]:
    """``label`` is a marked message id (``N_``), translated on the page."""
    if value < patient.date_of_birth:
        return {
            name: Msg(
                N_("%(what)s (%(day)s) is before the patient's date of birth (%(birth)s)"),
                what=Msg(label),
                day=value.isoformat(),
                birth=patient.date_of_birth.isoformat(),
            )
        }
    return {}


_OutT = TypeVar("_OutT", bound=BaseModel)


def _audit_after(out: Any) -> dict[str, Any]:
    data: dict[str, Any] = out.model_dump(
        mode="json",
        exclude={"recorded_at", "retracted", "retracted_at", "retracted_by", "retraction_reason"},
    )
    return data


def _recording_at(session: Session, actor: Actor, visit_id: int) -> tuple[DiagnosticVisit, Patient]:
    """For a writer, the visit a new record goes into (locked, not retracted) and its
    patient."""
    require_role(actor, WRITE_ROLES)
    visit = _load_visit(session, actor, visit_id, for_write=True)
    return visit, _patient_of(session, visit)


def _store(session: Session, actor: Actor, row: Any, entity_type: str, out: type[_OutT]) -> _OutT:
    """Insert a new record of a visit, audited with what Respira computed."""
    return records.store(
        session, actor, row, entity_type=entity_type, out=out, audit_after=_audit_after
    )


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise InvalidInput(errors)


# --- visits ---------------------------------------------------------------------------


def create_visit(session: Session, actor: Actor, patient_id: int, data: VisitIn) -> VisitOut:
    require_role(actor, WRITE_ROLES)
    patient = patients_service.get_for_update(session, actor, patient_id)
    _raise_if(_check_date("visit_date", data.visit_date, patient, N_("The visit date")))
    visit = DiagnosticVisit(
        patient_id=patient.id, visit_date=data.visit_date, **records.stamp(actor)
    )
    session.add(visit)
    session.flush()
    out = _visit_out(visit, actor)
    audit.record(
        session,
        actor,
        entity_type="diagnostic_visit",
        entity_id=visit.id,
        action="create",
        after={"patient_id": patient.id, "visit_date": data.visit_date.isoformat()},
    )
    session.commit()
    return out


def _with_records(stmt: Any) -> Any:
    return stmt.options(
        selectinload(DiagnosticVisit.spirometry).selectinload(SpirometrySession.results),
        selectinload(DiagnosticVisit.markers).selectinload(MarkerPanel.sensitisations),
        selectinload(DiagnosticVisit.imaging),
        selectinload(DiagnosticVisit.questionnaires),
        selectinload(DiagnosticVisit.history),
    )


def _visit_out(visit: DiagnosticVisit, actor: Actor) -> VisitOut:
    out = VisitOut.model_validate(visit)
    # Retracted records may have been entered for the wrong person: a patient sees only
    # what stands.
    for kind in _KINDS:
        setattr(out, kind, records.visible_items(actor, getattr(out, kind)))
    return out


def get_visit(session: Session, actor: Actor, visit_id: int) -> VisitOut:
    require_role(actor, READ_ROLES)
    visit = _load_visit(session, actor, visit_id)
    loaded = session.scalars(
        _with_records(select(DiagnosticVisit).where(DiagnosticVisit.id == visit.id))
    ).one()
    return _visit_out(loaded, actor)


def _summary(visit: DiagnosticVisit) -> VisitSummary:
    spiro = records.newest_live(visit.spirometry)
    panel = records.newest_live(visit.markers)
    control: list[ControlSummary] = []
    seen: set[str] = set()
    for q in visit.questionnaires:
        if q.retracted or q.instrument in seen:
            continue
        seen.add(q.instrument)
        control.append(ControlSummary(instrument=q.instrument, score=q.score, band=q.band))
    results = {r.key: r for r in spiro.results} if spiro else {}
    fev1 = results.get("fev1_pre")
    return from_row(
        VisitSummary,
        visit,
        pattern=spiro.pattern if spiro else None,
        severity=spiro.severity if spiro else None,
        fev1_pre_l=spiro.fev1_pre_l if spiro else None,
        fev1_pre_pctpred=fev1.pctpred if fev1 else None,
        fev1_pre_z=fev1.z if fev1 else None,
        bdr=spiro.bdr if spiro else None,
        bdr_2005=spiro.bdr_2005 if spiro else None,
        phenotype=panel.phenotype if panel else None,
        control=control,
        records={kind: records.count_live(getattr(visit, kind)) for kind in _KINDS},
    )


def _patient_visits(session: Session, actor: Actor, patient_id: int) -> Sequence[DiagnosticVisit]:
    require_role(actor, READ_ROLES)
    patient = patients_service.get_visible(session, actor, patient_id)
    stmt = select(DiagnosticVisit).where(DiagnosticVisit.patient_id == patient.id)
    if actor.role == Role.PATIENT:
        stmt = stmt.where(DiagnosticVisit.retracted_at.is_(None))
    return session.scalars(
        _with_records(stmt).order_by(DiagnosticVisit.visit_date.desc(), DiagnosticVisit.id.desc())
    ).all()


def list_visits(session: Session, actor: Actor, patient_id: int) -> VisitList:
    """A patient's visits, newest first, each with its key results."""
    items = [_summary(v) for v in _patient_visits(session, actor, patient_id)]
    return VisitList(items=items, total=len(items))


def patient_visits(session: Session, actor: Actor, patient_id: int) -> list[VisitOut]:
    """A patient's visits with all their records, newest first (each as ``get_visit``
    shows it), read in one go (the FHIR record and export)."""
    return [_visit_out(v, actor) for v in _patient_visits(session, actor, patient_id)]


def work_ups_of_patients(
    session: Session, actor: Actor, patient_ids: Sequence[int]
) -> dict[int, tuple[list[VisitOut], ClinicalSnapshot]]:
    """Each patient's visits with all their records, newest first (``patient_visits``),
    and clinical snapshot (``snapshot_for``), for a page of the registry (the FHIR
    export): one query per table for the whole page; for the registry's readers."""
    require_role(actor, patients_service.REGISTRY_ROLES)
    stmt = _with_records(select(DiagnosticVisit).where(DiagnosticVisit.patient_id.in_(patient_ids)))
    order = (
        DiagnosticVisit.patient_id,
        DiagnosticVisit.visit_date.desc(),
        DiagnosticVisit.id.desc(),
    )
    # Held while the snapshots are read: they find the same records in the session.
    rows = session.scalars(stmt.order_by(*order)).all()
    snapshots = clinical_snapshots(session, patient_ids)
    found: dict[int, tuple[list[VisitOut], ClinicalSnapshot]] = {
        pid: ([], snapshots[pid]) for pid in patient_ids
    }
    for visit in rows:
        found[visit.patient_id][0].append(_visit_out(visit, actor))
    return found


# --- spirometry -----------------------------------------------------------------------

# What a session stores of its interpretation, besides the reference values and notes.
_INTERPRETATION = ("equations_version", *SUMMARY_FIELDS)


@dataclass(frozen=True)
class HeightDefault:
    """The newest recorded height on a visit's date: the patient's previous spirometry
    session's (``on``: its visit date) or, without one, the patient record's."""

    height_cm: float
    source: str  # "previous_session" | "patient_record"
    on: dt.date | None


def _height_default(
    session: Session, visit: DiagnosticVisit, patient: Patient
) -> HeightDefault | None:
    row = session.execute(
        select(SpirometrySession.height_cm, DiagnosticVisit.visit_date)
        .join(DiagnosticVisit, DiagnosticVisit.id == SpirometrySession.visit_id)
        .where(
            DiagnosticVisit.patient_id == patient.id,
            DiagnosticVisit.visit_date <= visit.visit_date,
            DiagnosticVisit.retracted_at.is_(None),
            SpirometrySession.retracted_at.is_(None),
        )
        .order_by(DiagnosticVisit.visit_date.desc(), SpirometrySession.id.desc())
        .limit(1)
    ).first()
    if row is not None:
        return HeightDefault(row[0], "previous_session", row[1])
    if patient.height_cm is not None:
        return HeightDefault(patient.height_cm, "patient_record", None)
    return None


def spirometry_height_default(
    session: Session, actor: Actor, visit_id: int
) -> HeightDefault | None:
    """The height a new spirometry session of this visit takes when none is entered."""
    require_role(actor, WRITE_ROLES)
    visit = _load_visit(session, actor, visit_id)
    return _height_default(session, visit, _patient_of(session, visit))


def _interpretation_or_none(
    data: SpirometryIn, equations: str, sex: str, age: float, height_cm: float
) -> SessionInterpretation | None:
    """The interpretation of the session, or ``None`` when the patient's age lies outside
    the equations (every other input is still checked, at an age they cover)."""
    ethnicity = data.ethnicity if takes_ethnicity(equations) else None

    def interpret(at_age: float) -> SessionInterpretation:
        return interpret_session(
            equations,
            sex=sex,
            age=at_age,
            height_cm=height_cm,
            ethnicity=ethnicity,
            **data.measured(),
        )

    low, high = age_range(equations, "fev1")
    try:
        if low <= age <= high:
            return interpret(age)
        interpret(min(max(age, low), high))  # the other inputs' checks
        return None
    except SpirometryInputError as exc:
        field = _SCIENCE_FIELDS.get(exc.field, exc.field)
        raise InvalidInput({field: science_texts.refusal(exc)}) from exc


def _no_reference_note(equations: str, age: float) -> str:
    low, high = age_range(equations, "fev1")
    return science_texts.NO_REFERENCE_NOTE % {
        "equations": EQUATION_NAMES[equations],
        "low": f"{low:g}",
        "high": f"{high:g}",
        "age": f"{age:.1f}",
    }


#: The equation sets as people name them (pages and notes).
EQUATION_NAMES = {"gli-global": "GLI Global 2022", "gli-2012": "GLI-2012"}


def record_spirometry(
    session: Session, actor: Actor, visit_id: int, data: SpirometryIn
) -> SpirometryOut:
    """Record a session. The reference equations take the height measured at the
    session (``data.height_cm``) or, when none was entered, the newest recorded one
    (``_height_default``); a patient whose age lies outside the equations gets the
    session stored without reference values."""
    visit, patient = _recording_at(session, actor, visit_id)
    errors = data.problems()
    height: float | None = data.height_cm
    height_source = "measured"
    if height is None:
        default = _height_default(session, visit, patient)
        if default is None:
            errors["height_cm"] = N_(
                "enter the height measured at this test (cm): no earlier spirometry or "
                "patient record gives one"
            )
        else:
            height, height_source = default.height_cm, default.source
    _raise_if(errors)
    assert data.fev1_pre_l is not None and data.fvc_pre_l is not None and height is not None
    sex = sex_code(patient.sex_at_birth)
    age = decimal_age(patient.date_of_birth, visit.visit_date)
    ethnicity = data.ethnicity if takes_ethnicity(data.equations) else None
    result = _interpretation_or_none(data, data.equations, sex, age, height)
    if result is not None:
        interpretation: dict[str, Any] = {name: getattr(result, name) for name in _INTERPRETATION}
        notes = [str(note) for note in result.notes]
        results = [SpirometryResult(key=key, **asdict(r)) for key, r in result.results.items()]
    else:
        legacy = (
            None
            if data.fev1_post_l is None or data.fvc_post_l is None
            else bdr_2005(data.fev1_pre_l, data.fev1_post_l, data.fvc_pre_l, data.fvc_post_l) == 1
        )
        # Only the 2005 BDR rule needs no predicted value.
        interpretation = {
            **dict.fromkeys(SUMMARY_FIELDS),
            "equations_version": equations_version(data.equations),
            "bdr_2005": legacy,
        }
        notes = [_no_reference_note(data.equations, age)]
        results = []
    row = SpirometrySession(
        visit_id=visit.id,
        **data.model_dump(exclude={"ethnicity", "height_cm"}),
        ethnicity=ethnicity,
        sex=sex,
        age_years=age,
        height_cm=height,
        height_source=height_source,
        **interpretation,
        notes=notes,
        results=results,
        **records.stamp(actor),
    )
    return _store(session, actor, row, "spirometry_session", SpirometryOut)


# --- markers --------------------------------------------------------------------------


def record_markers(session: Session, actor: Actor, visit_id: int, data: MarkersIn) -> MarkersOut:
    visit, patient = _recording_at(session, actor, visit_id)
    _raise_if(data.problems())
    age = decimal_age(patient.date_of_birth, visit.visit_date)
    try:
        # The panel's fields are the classification's inputs, under the same names.
        inputs = {k: v for k, v in dict(data).items() if k != "confirm_low_eosinophils"}
        phenotype = classify_phenotype(age_years=age, **inputs)
    except PhenotypeInputError as exc:
        field = "visit_date" if exc.field == "age_years" else exc.field
        raise InvalidInput({field: science_texts.refusal(exc)}) from exc
    row = MarkerPanel(
        visit_id=visit.id,
        **data.panel_fields(),
        age_years=age,
        phenotype=phenotype.label,
        phenotype_detail=phenotype.as_dict(),
        phenotype_version=phenotype.version,
        sensitisations=[Sensitisation(**t.model_dump()) for t in data.sensitisations],
        **records.stamp(actor),
    )
    return _store(session, actor, row, "marker_panel", MarkersOut)


# --- imaging --------------------------------------------------------------------------


def record_imaging(session: Session, actor: Actor, visit_id: int, data: ImagingIn) -> ImagingOut:
    visit, patient = _recording_at(session, actor, visit_id)
    errors = data.problems()
    errors.update(_check_date("study_date", data.study_date, patient, N_("The study date")))
    _raise_if(errors)
    row = ImagingStudy(visit_id=visit.id, **data.model_dump(), **records.stamp(actor))
    return _store(session, actor, row, "imaging_study", ImagingOut)


# --- treatment and exacerbation history -----------------------------------------------


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def record_history(session: Session, actor: Actor, visit_id: int, data: HistoryIn) -> HistoryOut:
    visit, patient = _recording_at(session, actor, visit_id)
    errors = data.problems()
    year_ago = _year_before(visit.visit_date)
    for name, value, label in (
        ("last_exacerbation_date", data.last_exacerbation_date, N_("The last severe exacerbation")),
        ("last_systemic_cs_date", data.last_systemic_cs_date, N_("The last systemic CS course")),
    ):
        if value is None:
            continue
        if value > visit.visit_date:
            errors[name] = Msg(
                N_("%(what)s (%(day)s) is after the visit (%(visit)s); record it at a later visit"),
                what=Msg(label),
                day=value.isoformat(),
                visit=visit.visit_date.isoformat(),
            )
        else:
            errors.update(_check_date(name, value, patient, label))
    last = data.last_exacerbation_date
    if last is not None and "last_exacerbation_date" not in errors:
        if data.severe_exacerbations_12m == 0 and last > year_ago:
            errors["last_exacerbation_date"] = Msg(
                N_(
                    "the last severe exacerbation (%(day)s) lies within the 12 months before "
                    "the visit, but 0 severe exacerbations in 12 months were recorded"
                ),
                day=last.isoformat(),
            )
        elif data.severe_exacerbations_12m > 0 and last <= year_ago:
            errors["last_exacerbation_date"] = Msg(
                N_(
                    "%(count)s severe exacerbation(s) in the last 12 months were recorded, but "
                    "the last one (%(day)s) is more than 12 months before the visit"
                ),
                count=data.severe_exacerbations_12m,
                day=last.isoformat(),
            )
    _raise_if(errors)
    row = TreatmentHistory(visit_id=visit.id, **data.model_dump(), **records.stamp(actor))
    return _store(session, actor, row, "treatment_history", HistoryOut)


# --- questionnaires ------------------------------------------------------------------

# Ages for which the instruments are validated (ACT ≥ 12, Nathan 2004; C-ACT 4–11,
# Liu 2007): another age's score has no meaning.
_INSTRUMENT_AGES = {"act": (12.0, None), "cact": (4.0, 12.0)}


def _visit_fev1_pctpred(session: Session, visit_id: int) -> float | None:
    """The pre-bronchodilator FEV1 % predicted of the visit's newest spirometry session
    that stands, unrounded (ACQ-7's item 7), or ``None`` without one (or when that
    session has no reference values); the visit page pre-fills the same value."""
    newest = (
        select(SpirometrySession.id)
        .where(SpirometrySession.visit_id == visit_id, SpirometrySession.retracted_at.is_(None))
        .order_by(SpirometrySession.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return session.scalar(
        select(SpirometryResult.pctpred).where(
            SpirometryResult.session_id == newest, SpirometryResult.key == "fev1_pre"
        )
    )


def _acq7_fev1(session: Session, visit: DiagnosticVisit) -> float:
    """ACQ-7 sent without its seventh answer scores item 7 from the visit's spirometry,
    at full precision, so that the page and the API score the same value (rounding
    95.4 % to 95 % would move the item from 0 to 1)."""
    found = _visit_fev1_pctpred(session, visit.id)
    if found is None:
        raise InvalidInput(
            {
                "answers.6": N_(
                    "no spirometry with reference values is recorded at this visit: "
                    "enter the pre-bronchodilator FEV1 % predicted as the seventh answer"
                )
            }
        )
    return found


def record_questionnaire(
    session: Session, actor: Actor, visit_id: int, data: QuestionnaireIn
) -> QuestionnaireOut:
    visit, patient = _recording_at(session, actor, visit_id)
    age = decimal_age(patient.date_of_birth, visit.visit_date)
    low, high = _INSTRUMENT_AGES.get(data.instrument, (None, None))
    if (low is not None and age < low) or (high is not None and age >= high):
        span: str = (
            f"{low:g}–{high - 1:g}"
            if high is not None
            else Msg(N_("%(low)s and over"), low=f"{low:g}")
        )
        raise InvalidInput(
            {
                "instrument": Msg(
                    N_(
                        "%(instrument)s is validated for ages %(span)s; "
                        "the patient is %(age)s on the visit date"
                    ),
                    instrument=data.instrument.upper(),
                    span=span,
                    age=int(age),
                )
            }
        )
    answers = list(data.answers)
    if data.instrument == "acq7" and len(answers) == len(control.ITEMS["acq7"]) - 1:
        answers.append(_acq7_fev1(session, visit))
    try:
        scored = score_questionnaire(data.instrument, answers)
    except QuestionnaireError as exc:
        field = f"answers.{exc.item - 1}" if exc.item is not None else "answers"
        raise InvalidInput({field: science_texts.refusal(exc)}) from exc
    row = QuestionnaireResponse(
        visit_id=visit.id,
        instrument=data.instrument,
        answers=answers,
        score=scored.score,
        band=scored.band,
        algorithm_version=scored.algorithm_version,
        respondent=data.respondent,
        mode=data.mode,
        **records.stamp(actor),
    )
    return _store(session, actor, row, "questionnaire_response", QuestionnaireOut)


# --- retraction -----------------------------------------------------------------------


def retract_visit(session: Session, actor: Actor, visit_id: int, data: RetractionIn) -> VisitOut:
    """Mark a visit as entered in error: it and everything in it stop counting (the
    snapshot, the lists) but stay readable to staff, with who retracted it and why."""
    require_role(actor, WRITE_ROLES)
    visit = _load_visit(session, actor, visit_id, for_write=True)
    records.retract(session, actor, visit, entity_type="diagnostic_visit", reason=data.reason)
    return get_visit(session, actor, visit.id)


def retract_record(
    session: Session,
    actor: Actor,
    visit_id: int,
    kind: RecordKind,
    record_id: int,
    data: RetractionIn,
) -> Any:
    require_role(actor, WRITE_ROLES)
    visit = _load_visit(session, actor, visit_id, for_write=True)
    model, entity_type, out_schema = _KINDS[kind]
    row = session.get(model, record_id, with_for_update=True)
    if row is None or row.visit_id != visit.id:
        raise NotFound(Msg(N_("no such %(kind)s record at this visit"), kind=Msg(KIND_WORDS[kind])))
    if row.retracted_at is not None:
        raise Conflict(N_("this record was already retracted"))
    records.retract(session, actor, row, entity_type=entity_type, reason=data.reason)
    return out_schema.model_validate(row)


# --- for other steps ------------------------------------------------------------------


def snapshot_for(session: Session, actor: Actor, patient_id: int) -> ClinicalSnapshot:
    """The clinical snapshot after the same visibility rules as a read."""
    require_role(actor, READ_ROLES)
    patient = patients_service.get_visible(session, actor, patient_id)
    return clinical_snapshot(session, patient.id)


@dataclass(frozen=True)
class PositiveSensitisation:
    """A positive allergy test of a panel that stands, with the visit it was tested at."""

    allergen: str
    method: str | None
    tested_on: dt.date
    visit_id: int
    panel_id: int


def positive_sensitisations(session: Session, patient_id: int) -> list[PositiveSensitisation]:
    """The patient's positive allergy tests, newest visit first, from panels and visits
    not retracted (no actor: the calling step checks its own roles, as with
    ``clinical_snapshot``; the logistics step carries food allergens to the kitchen)."""
    rows = session.execute(
        select(
            Sensitisation.allergen,
            Sensitisation.method,
            DiagnosticVisit.visit_date,
            DiagnosticVisit.id,
            MarkerPanel.id,
        )
        .join(MarkerPanel, MarkerPanel.id == Sensitisation.panel_id)
        .join(DiagnosticVisit, DiagnosticVisit.id == MarkerPanel.visit_id)
        .where(
            DiagnosticVisit.patient_id == patient_id,
            Sensitisation.positive.is_(True),
            MarkerPanel.retracted_at.is_(None),
            DiagnosticVisit.retracted_at.is_(None),
        )
        .order_by(DiagnosticVisit.visit_date.desc(), MarkerPanel.id.desc(), Sensitisation.id)
    ).all()
    return [PositiveSensitisation(*row) for row in rows]


# --- the kinds of record, for the routes ----------------------------------------------


@dataclass(frozen=True)
class RecordUseCase:
    """A kind of record of a visit: what a request sends, what the answer holds, and
    the use case that records it (``record(session, actor, visit_id, data)``)."""

    body: type[BaseModel]
    out: type[BaseModel]
    record: Callable[..., Any]


RECORD_USE_CASES: dict[str, RecordUseCase] = {
    "spirometry": RecordUseCase(SpirometryIn, SpirometryOut, record_spirometry),
    "markers": RecordUseCase(MarkersIn, MarkersOut, record_markers),
    "imaging": RecordUseCase(ImagingIn, ImagingOut, record_imaging),
    "questionnaires": RecordUseCase(QuestionnaireIn, QuestionnaireOut, record_questionnaire),
    "history": RecordUseCase(HistoryIn, HistoryOut, record_history),
}


def snapshot_on(session: Session, patient_id: int, on: dt.date) -> ClinicalSnapshot:
    """The clinical snapshot as the record stood on a day (visits on or before it): the
    baseline before a course, for the outcome registry's projection (no role check: it
    reads for the system, and nothing of it goes to a user)."""
    return clinical_snapshots(session, [patient_id], on=on)[patient_id]
