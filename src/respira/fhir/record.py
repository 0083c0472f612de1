"""A patient's record as FHIR resources, read through each step's public service (so
each step's own rules decide who sees what: a patient gets none of another patient's
records and none of their own records retracted as entered in error), for
``Patient/{id}/$everything``, the bulk export and the reads of single resources.

A record is read into a ``PatientRecord`` (what its resources are made of) and turned
into resources by ``resources``; ``everything`` reads one patient through every step's
per-patient reads, ``read_page`` reads a page of the registry's patients for the bulk
export with one query per table for the whole page (the steps' ``*_of_patients``
reads), so both give the same resources in the same order.

A resource type is read only by the roles ``respira.fhir.roles`` gives it; what the
actor's role may not read of a patient is left out of ``$everything`` (a patient's
bundle has no AdverseEvent and no BiologicallyDerivedProduct). A single resource is read
by loading the record it comes from (a visit, a follow-up, an administration, ...) and
picking the resource with the id asked for.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from respira.diagnostics import service as diagnostics_service
from respira.diagnostics.schemas import VisitOut
from respira.diagnostics.service import ClinicalSnapshot
from respira.fhir import diagnostics_resources as dx
from respira.fhir import followup_resources as fu
from respira.fhir import patient_resources as pt
from respira.fhir import roles
from respira.fhir import treatment_resources as tx
from respira.fhir.datatypes import Json, newest, row_id
from respira.fhir.outcome import Gone
from respira.followup import service as followup_service
from respira.followup.schemas import CheckInOut, FollowUpOut
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_today
from respira.kit.errors import NotFound
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut
from respira.products import service as products_service
from respira.products.schemas import UnitOut
from respira.protocols import service as protocols_service
from respira.protocols.schemas import CourseOut
from respira.safety import service as safety_service
from respira.safety.schemas import AdverseEventOut
from respira.summaries import service as summaries_service
from respira.summaries.schemas import SignedSummary
from respira.treatment import service as treatment_service
from respira.treatment.schemas import AdministrationOut


@dataclass
class PatientRecord:
    """What a patient's resources are made of, as one reader may read it (what the
    reader's role may not read stays empty)."""

    patient: PatientOut
    visits: list[VisitOut] = field(default_factory=list)
    # The diagnostic facts the Condition states (it has one once the work-up recorded
    # anything).
    snapshot: ClinicalSnapshot | None = None
    # The answered check-ins: each follow-up with its live check-in.
    check_ins: list[tuple[FollowUpOut, CheckInOut | None]] = field(default_factory=list)
    administrations: list[AdministrationOut] = field(default_factory=list)
    # The unit of each administration, in the same order.
    units: list[UnitOut] = field(default_factory=list)
    events: list[AdverseEventOut] = field(default_factory=list)
    # When an event was last corrected (events never corrected are not in it).
    corrected: dict[int, dt.datetime] = field(default_factory=dict)
    courses: list[CourseOut] = field(default_factory=list)
    summaries: list[SignedSummary] = field(default_factory=list)


def resources(record: PatientRecord, today: dt.date) -> list[Json]:
    """The record's resources, the Patient first (``today`` decides whether a course's
    activities are still scheduled)."""
    pid = record.patient.id
    found = [pt.patient(record.patient)]
    condition = _asthma(pid, record.visits, record.snapshot)
    if condition is not None:
        found.append(condition)
    for visit in record.visits:
        found += dx.visit_resources(visit)
    for follow_up, check_in in record.check_ins:
        found += fu.check_in_resources(follow_up, check_in)
    for a in record.administrations:
        found += tx.administration_resources(a)
    found += [tx.product(unit) for unit in record.units]
    for e in record.events:
        if not e.retracted:  # R4's AdverseEvent has no status to say so
            found.append(tx.adverse_event(e, record.corrected.get(e.id)))
    for c in record.courses:
        found += [tx.care_plan(c, record.administrations, today), tx.course_weight(c)]
    found += pt.documents(record.summaries)
    return found


def everything(session: Session, actor: Actor, patient_id: int) -> list[Json]:
    """Every resource of the patient's record the actor may read, the Patient first."""
    require_role(actor, roles.FHIR_ROLES)
    return resources(_read(session, actor, patient_id), clinic_today())


def _read(session: Session, actor: Actor, patient_id: int) -> PatientRecord:
    """The patient's record as the actor may read it, through each step's reads of one
    patient."""
    # Held to the end: every step's service asks for the patient's row again, and the
    # session keeps a row only while something refers to it (one read, not one a step).
    row = patients_service.get_visible(session, actor, patient_id)
    record = PatientRecord(PatientOut.model_validate(row))
    if roles.may(actor, roles.DIAGNOSTICS):
        record.visits, record.snapshot = _diagnostics(session, actor, patient_id)
    if roles.may(actor, roles.FOLLOWUP):
        for item in followup_service.list_for_patient(session, actor, patient_id):
            if item.check_in_id is not None:
                detail = followup_service.get_follow_up(session, actor, item.id)
                record.check_ins.append((detail, detail.check_in))
    if roles.may(actor, roles.ADMINISTRATIONS):
        record.administrations = treatment_service.list_administrations(session, actor, patient_id)
    if roles.may(actor, roles.UNITS):
        record.units = [
            products_service.get_unit(session, actor, a.din) for a in record.administrations
        ]
    if roles.may(actor, roles.SAFETY):
        record.events = safety_service.list_events(session, actor, patient_id)
        ids = [e.id for e in record.events]
        record.corrected = safety_service.corrected_at(session, actor, ids)
    if roles.may(actor, roles.COURSES):
        record.courses = protocols_service.list_courses(session, actor, patient_id)
    if roles.may(actor, roles.SUMMARIES):
        record.summaries = summaries_service.signed_summaries(session, actor, patient_id)
    return record


def read_page(
    session: Session, actor: Actor, patient_ids: Sequence[int]
) -> Iterator[PatientRecord]:
    """The records of a page of the registry's patients, one patient after the other,
    as ``everything`` reads them for the registry's readers (admins, the operator; they
    read every part): each step's rows of the whole page in one query per table, then
    per patient only the signed summaries (their PDFs: one patient's at a time)."""
    # Held while the page is read: the steps' services find them in the session.
    rows = patients_service.registry_rows(session, actor, patient_ids)
    ids = [row.id for row in rows]
    work_ups = diagnostics_service.work_ups_of_patients(session, actor, ids)
    check_ins = followup_service.answered_check_ins(session, actor, ids)
    given = treatment_service.administrations_of_patients(session, actor, ids)
    dins = {a.din for found in given.values() for a in found}
    units = products_service.units_by_din(session, actor, dins)
    events = safety_service.events_of_patients(session, actor, ids)
    event_ids = [e.id for found in events.values() for e in found]
    corrected = safety_service.corrected_at(session, actor, event_ids)
    courses = protocols_service.courses_of_patients(session, actor, ids)
    for row in rows:
        pid = row.id
        visits, snapshot = work_ups[pid]
        yield PatientRecord(
            PatientOut.model_validate(row),
            visits=visits,
            snapshot=snapshot,
            check_ins=list(check_ins[pid]),
            administrations=given[pid],
            units=[units[a.din] for a in given[pid]],
            events=events[pid],
            corrected=corrected,
            courses=courses[pid],
            summaries=summaries_service.signed_summaries(session, actor, pid),
        )


_KINDS = ("spirometry", "markers", "questionnaires", "history")


def _work_up(visits: list[VisitOut]) -> list[tuple[dt.date, dt.datetime]]:
    """(visit date, recorded at) of every live record at a live visit."""
    return [
        (v.visit_date, r.recorded_at)
        for v in visits
        if not v.retracted
        for kind in _KINDS
        for r in getattr(v, kind)
        if not r.retracted
    ]


def _asthma(
    patient_id: int, visits: list[VisitOut], snapshot: ClinicalSnapshot | None
) -> Json | None:
    """The asthma, once the work-up has recorded anything (a live record at a live
    visit); it changed when the newest of those records did."""
    recorded = _work_up(visits)
    if not recorded or snapshot is None:
        return None
    first = min(on for on, _ in recorded)
    return dx.asthma(patient_id, snapshot, first, newest(*(at for _, at in recorded)))


def _diagnostics(
    session: Session, actor: Actor, patient_id: int
) -> tuple[list[VisitOut], ClinicalSnapshot | None]:
    """The patient's visits, and the clinical snapshot once they hold a live record."""
    visits = diagnostics_service.patient_visits(session, actor, patient_id)
    if not _work_up(visits):
        return visits, None
    return visits, diagnostics_service.snapshot_for(session, actor, patient_id)


# --- single resources ---------------------------------------------------------------------

_VISIT_RECORD = re.compile(
    r"^(?:spirometry|markers|questionnaire|history)-(\d+)-\d+(?:-[a-z0-9-]+)?$"
)
_CHECK_IN = re.compile(r"^checkin-(\d+)-(?:score|fev1|fvc)$")
_VITALS = re.compile(r"^vitals-(\d+)-\d+-[a-z0-9-]+$")
_WEIGHT = re.compile(r"^course-(\d+)-weight$")
_CONDITION = re.compile(r"^asthma-(\d+)$")

Loader = Callable[[Session, Actor, str], list[Json]]


def _visit(session: Session, actor: Actor, visit_id: int) -> list[Json]:
    return list(dx.visit_resources(diagnostics_service.get_visit(session, actor, visit_id)))


def _follow_up(session: Session, actor: Actor, follow_up_id: int) -> list[Json]:
    detail = followup_service.get_follow_up(session, actor, follow_up_id)
    return fu.check_in_resources(detail, detail.check_in)


def _administration(session: Session, actor: Actor, administration_id: int) -> list[Json]:
    a = treatment_service.get_administration(session, actor, administration_id)
    return tx.administration_resources(a)


def _observation(session: Session, actor: Actor, rid: str) -> list[Json]:
    for pattern, load in (
        (_VISIT_RECORD, _visit),
        (_CHECK_IN, _follow_up),
        (_VITALS, _administration),
    ):
        found = pattern.match(rid)
        if found:
            return load(session, actor, row_id(found.group(1)))
    weight = _WEIGHT.match(rid)
    if weight:
        return [
            tx.course_weight(protocols_service.get_course(session, actor, row_id(weight.group(1))))
        ]
    return []


def _condition(session: Session, actor: Actor, rid: str) -> list[Json]:
    found = _CONDITION.match(rid)
    if found is None:
        return []
    patient_id = row_id(found.group(1))
    condition = _asthma(patient_id, *_diagnostics(session, actor, patient_id))
    return [condition] if condition else []


def _medication(session: Session, actor: Actor, rid: str) -> list[Json]:
    found = _VISIT_RECORD.match(rid)
    return _visit(session, actor, row_id(found.group(1))) if found else []


def _care_plan(session: Session, actor: Actor, rid: str) -> list[Json]:
    course = protocols_service.get_course(session, actor, row_id(rid))
    given = treatment_service.list_administrations(session, actor, course.patient_id)
    return [tx.care_plan(course, given, clinic_today())]


def _adverse_event(session: Session, actor: Actor, rid: str) -> list[Json]:
    event = safety_service.get_event(session, actor, row_id(rid))
    if event.retracted:
        raise Gone("the adverse event was retracted as entered in error")
    corrected = safety_service.corrected_at(session, actor, [event.id])
    return [tx.adverse_event(event, corrected.get(event.id))]


def _document(session: Session, actor: Actor, rid: str) -> list[Json]:
    summary = summaries_service.get_summary(session, actor, row_id(rid))
    return pt.documents(summaries_service.signed_summaries(session, actor, summary.patient_id))


READERS: dict[str, Loader] = {
    "Patient": lambda s, a, rid: [pt.patient(patients_service.get_patient(s, a, row_id(rid)))],
    "Condition": _condition,
    "Observation": _observation,
    "MedicationStatement": _medication,
    "QuestionnaireResponse": lambda s, a, rid: _follow_up(s, a, row_id(rid)),
    "Procedure": lambda s, a, rid: _administration(s, a, row_id(rid)),
    "BiologicallyDerivedProduct": lambda s, a, rid: [
        tx.product(products_service.get_unit(s, a, rid))
    ],
    "AdverseEvent": _adverse_event,
    "CarePlan": _care_plan,
    "DocumentReference": _document,
}


def read(session: Session, actor: Actor, kind: str, resource_id: str) -> Json:
    """One resource by type and id, after its step's rules (404 for what the actor may
    not see or what does not exist)."""
    require_role(actor, roles.TYPE_ROLES[kind])
    for found in READERS[kind](session, actor, resource_id):
        if found["resourceType"] == kind and found["id"] == resource_id:
            return found
    raise NotFound(f"no {kind} with the id {resource_id}")
