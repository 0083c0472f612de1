"""Approving a course with the physician's e-signature: the rules checked again, the
infusion chairs taken, the patient's regular medication recorded, and the version it
revises superseded."""

from __future__ import annotations

from sqlalchemy.orm import Session

from respira.diagnostics import service as diagnostics_service
from respira.kit import audit, records
from respira.kit.actors import Actor, require_role
from respira.kit.db import utcnow
from respira.kit.errors import Conflict
from respira.patients import service as patients_service
from respira.products import service as products_service
from respira.protocols.checks import check_capacity, check_overlap, check_start, require_eligible
from respira.protocols.limits import Plan, limit_breaches, limits_row, refuse_breaches
from respira.protocols.models import APPROVAL_MEANING, Course
from respira.protocols.planning import supersede
from respira.protocols.reads import course_content, course_out, limits_version_of, load_course
from respira.protocols.roles import WRITE_ROLES
from respira.protocols.schemas import CourseOut

NOT_RECORDED = "not recorded"


def _medication(session: Session, actor: Actor, patient_id: int) -> str:
    """The patient's regular asthma medication as the newest treatment history in
    diagnostics records it, with its date and source; "not recorded" without one."""
    snap = diagnostics_service.snapshot_for(session, actor, patient_id)
    if snap.ics_dose_level is None:
        return NOT_RECORDED
    ics = snap.ics_dose_level.value
    parts = ["no inhaled corticosteroid" if ics == "none" else f"{ics}-dose inhaled corticosteroid"]
    if snap.on_laba is not None and snap.on_laba.value:
        parts.append("long-acting beta-agonist (LABA)")
    if snap.on_lama is not None and snap.on_lama.value:
        parts.append("long-acting muscarinic antagonist (LAMA)")
    if snap.maintenance_ocs is not None and snap.maintenance_ocs.value:
        dose = snap.ocs_dose_mg_per_day.value if snap.ocs_dose_mg_per_day else None
        parts.append(
            "maintenance oral corticosteroid"
            + (f" {dose:g} mg/day prednisone-equivalent" if dose else "")
        )
    if snap.biologic is not None and snap.biologic.value:
        parts.append(f"biologic: {snap.biologic.value}")
    step = f"; GINA step {snap.gina_step.value}" if snap.gina_step is not None else ""
    return (
        f"{', '.join(parts)}{step} (treatment history of "
        f"{snap.ics_dose_level.on.isoformat()}, {snap.ics_dose_level.source})"
    )


def approve_course(
    session: Session, actor: Actor, course_id: int, *, password: str, meaning: str
) -> CourseOut:
    """Approve a draft with the physician's e-signature ("approved protocol"). The
    rules are checked again now (eligibility, the limits in force, the start date, the
    patient's other stays and the infusion chairs, which the approval takes), and the
    patient's regular medication is recorded. Approving a revision supersedes the
    version it revises."""
    require_role(actor, WRITE_ROLES)
    row = load_course(session, actor, course_id)
    patients_service.get_for_update(session, actor, row.patient_id)
    row = load_course(session, actor, course_id, lock=True)
    if row.status != "draft":
        raise Conflict(
            f"course {row.number} version {row.version} is {row.status}: an approved course "
            "never changes; revise it to make a new version"
        )
    require_eligible(session, actor, row.patient_id)
    limits = limits_row(session, actor, lock=True)
    previous = session.get(Course, row.revises_id) if row.revises_id is not None else None
    plan = Plan.of(row)
    harvest = (
        products_service.get_harvest(session, actor, row.harvest_id)
        if row.harvest_id is not None
        else None
    )
    covered = {b["limit"] for b in row.override_limits or []}
    uncovered = [b for b in limit_breaches(plan, limits, harvest) if b.limit not in covered]
    if uncovered:
        refuse_breaches(uncovered)
    check_start(plan, previous)
    check_overlap(session, row.patient_id, plan, row.number)
    check_capacity(session, plan, limits, [row.id] + ([previous.id] if previous else []))
    medication = _medication(session, actor, row.patient_id)
    content = {**course_content(row, limits_version_of(session, row)), "medication": medication}
    sig = audit.esign(
        session,
        actor,
        password=password,
        meaning=meaning,
        allowed_meanings=(APPROVAL_MEANING,),
        entity_type="course",
        entity_id=row.id,
        content=content,
    )
    now = utcnow()
    row.status = "approved"
    row.approved_at = now
    row.approved_by_id = actor.user_id
    row.approved_by_name = actor.name
    row.approval_signature_id = sig.id
    row.content_hash = sig.content_hash
    row.medication_at_approval = medication
    if previous is not None and previous.status == "approved":
        supersede(session, actor, previous, row, at=now, reason=f"version {row.version} approved")
    records.flush(session, "this course was approved at the same moment by someone else")
    audit.record(
        session,
        actor,
        entity_type="course",
        entity_id=row.id,
        action="approve",
        before={"status": "draft"},
        after={
            "status": "approved",
            "signature_id": sig.id,
            "content_hash": sig.content_hash,
            "medication_at_approval": medication,
        },
    )
    session.commit()
    return course_out(session, row)
