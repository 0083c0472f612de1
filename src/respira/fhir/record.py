"""A patient's record as FHIR resources, read through each step's public service (so
each step's own rules decide who sees what: a patient gets none of another patient's
records and none of their own records retracted as entered in error), for
``Patient/{id}/$everything``, the bulk export and the reads of single resources.

A resource type is read only by the roles ``respira.fhir.roles`` gives it; what the
actor's role may not read of a patient is left out of ``$everything`` (a patient's
bundle has no AdverseEvent and no BiologicallyDerivedProduct). A single resource is read
by loading the record it comes from (a visit, a follow-up, an administration, ...) and
picking the resource with the id asked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy.orm import Session

from respira.diagnostics import service as diagnostics_service
from respira.diagnostics.schemas import VisitOut
from respira.fhir import diagnostics_resources as dx
from respira.fhir import followup_resources as fu
from respira.fhir import patient_resources as pt
from respira.fhir import roles
from respira.fhir import treatment_resources as tx
from respira.fhir.datatypes import Json, newest, row_id
from respira.fhir.outcome import Gone
from respira.followup import service as followup_service
from respira.kit.actors import Actor, require_role
from respira.kit.errors import NotFound
from respira.kit.validation import today_utc
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut
from respira.products import service as products_service
from respira.protocols import service as protocols_service
from respira.safety import service as safety_service
from respira.summaries import service as summaries_service
from respira.treatment import service as treatment_service


def everything(session: Session, actor: Actor, patient_id: int) -> list[Json]:
    """Every resource of the patient's record the actor may read, the Patient first."""
    require_role(actor, roles.FHIR_ROLES)
    # Held to the end: every step's service asks for the patient's row again, and the
    # session keeps a row only while something refers to it (one read, not one a step).
    row = patients_service.get_visible(session, actor, patient_id)
    found = [pt.patient(PatientOut.model_validate(row))]
    if roles.may(actor, roles.DIAGNOSTICS):
        found += _diagnostics(session, actor, patient_id)
    if roles.may(actor, roles.FOLLOWUP):
        for item in followup_service.list_for_patient(session, actor, patient_id):
            if item.check_in_id is not None:
                detail = followup_service.get_follow_up(session, actor, item.id)
                found += fu.check_in_resources(detail)
    administrations = []
    if roles.may(actor, roles.ADMINISTRATIONS):
        administrations = treatment_service.list_administrations(session, actor, patient_id)
        for a in administrations:
            found += tx.administration_resources(a)
    if roles.may(actor, roles.UNITS):
        for a in administrations:
            found.append(tx.product(products_service.get_unit(session, actor, a.din)))
    if roles.may(actor, roles.SAFETY):
        for e in safety_service.list_events(session, actor, patient_id):
            if not e.retracted:  # R4's AdverseEvent has no status to say so
                found.append(tx.adverse_event(e))
    if roles.may(actor, roles.COURSES):
        today = today_utc()
        for c in protocols_service.list_courses(session, actor, patient_id):
            found += [tx.care_plan(c, administrations, today), tx.course_weight(c)]
    if roles.may(actor, roles.SUMMARIES):
        found += pt.documents(summaries_service.signed_summaries(session, actor, patient_id))
    return found


def _visits(session: Session, actor: Actor, patient_id: int) -> list[VisitOut]:
    return diagnostics_service.patient_visits(session, actor, patient_id)


def _diagnostics(session: Session, actor: Actor, patient_id: int) -> list[Json]:
    visits = _visits(session, actor, patient_id)
    found: list[Json] = []
    for visit in visits:
        found += dx.visit_resources(visit)
    condition = _asthma(session, actor, patient_id, visits)
    if condition is not None:
        found.insert(0, condition)
    return found


_KINDS = ("spirometry", "markers", "questionnaires", "history")


def _asthma(session: Session, actor: Actor, patient_id: int, visits: list[VisitOut]) -> Json | None:
    """The asthma, once the work-up has recorded anything (a live record at a live
    visit); it changed when the newest of those records did."""
    recorded = [
        (v.visit_date, r.recorded_at)
        for v in visits
        if not v.retracted
        for kind in _KINDS
        for r in getattr(v, kind)
        if not r.retracted
    ]
    if not recorded:
        return None
    snapshot = diagnostics_service.snapshot_for(session, actor, patient_id)
    first = min(on for on, _ in recorded)
    return dx.asthma(patient_id, snapshot, first, newest(*(at for _, at in recorded)))


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
    return fu.check_in_resources(followup_service.get_follow_up(session, actor, follow_up_id))


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
    condition = _asthma(session, actor, patient_id, _visits(session, actor, patient_id))
    return [condition] if condition else []


def _medication(session: Session, actor: Actor, rid: str) -> list[Json]:
    found = _VISIT_RECORD.match(rid)
    return _visit(session, actor, row_id(found.group(1))) if found else []


def _care_plan(session: Session, actor: Actor, rid: str) -> list[Json]:
    course = protocols_service.get_course(session, actor, row_id(rid))
    given = treatment_service.list_administrations(session, actor, course.patient_id)
    return [tx.care_plan(course, given, today_utc())]


def _adverse_event(session: Session, actor: Actor, rid: str) -> list[Json]:
    event = safety_service.get_event(session, actor, row_id(rid))
    if event.retracted:
        raise Gone("the adverse event was retracted as entered in error")
    return [tx.adverse_event(event)]


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
