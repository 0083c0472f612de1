"""The screening step's part of a physician's worklist (issue 14): screenings waiting
for review or for the signature, and signed screenings resting on changed evidence.

"Waiting" means the patient's newest screening (none supersedes it) is not signed:
``needs_review`` (a criterion is unknown: the physician completes the findings or
decides) apart from those ready for the signature (``eligible`` or ``not_eligible``).
Oldest first: the one waiting longest heads the list. A waiting screening whose
evidence changed since it was evaluated says so (signing it would sign stale facts).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.marks import N_
from respira.kit.step import WorkItem, WorkRow
from respira.patients.service import Patient
from respira.screening import evidence
from respira.screening.decisions import signed_with_changed_evidence
from respira.screening.models import Screening
from respira.screening.roles import SIGN_ROLES, WORKLIST_ROLES

# At most this many screenings are listed under an item (the count says how many wait).
ROWS = 25

DECISION_NOTES = {
    "eligible": N_("eligible, screened on %(date)s"),
    "not_eligible": N_("not eligible, screened on %(date)s"),
    "needs_review": N_("needs review, screened on %(date)s"),
}
CHANGED_NOTE = N_("a record it used changed since: screen again before signing")


def _unsigned_heads() -> Any:
    superseded = select(Screening.supersedes_id).where(Screening.supersedes_id.is_not(None))
    return Screening.signature_id.is_(None), Screening.id.not_in(superseded)


def _waiting(session: Session) -> tuple[dict[str, int], dict[str, list[WorkRow]]]:
    """How many unsigned newest screenings there are of each decision, and the oldest
    ``ROWS`` of each."""
    conditions = _unsigned_heads()
    counts: dict[str, int] = dict(
        session.execute(
            select(Screening.decision, func.count()).where(*conditions).group_by(Screening.decision)
        ).all()
    )
    rows: dict[str, list[WorkRow]] = {}
    for group in (("needs_review",), ("eligible", "not_eligible")):
        found = session.execute(
            select(
                Screening.id,
                Screening.decision,
                Screening.screening_date,
                Patient.first_name,
                Patient.last_name,
                Patient.medical_record_number,
            )
            .join(Patient, Patient.id == Screening.patient_id)
            .where(*conditions, Screening.decision.in_(group))
            .order_by(Screening.evaluated_at, Screening.id)
            .limit(ROWS)
        ).all()
        changed = evidence.changed_evidence(session, [r.id for r in found])
        rows[group[0]] = [
            WorkRow(
                text=f"{r.last_name}, {r.first_name} ({r.medical_record_number})",
                href=f"/screenings/{r.id}",
                note=CHANGED_NOTE if r.id in changed else DECISION_NOTES[r.decision],
                params={} if r.id in changed else {"date": r.screening_date},
                urgency="attention" if r.id in changed else "normal",
            )
            for r in found
        ]
    return counts, rows


def _changed_since_signed(session: Session, actor: Actor) -> WorkItem:
    signed = signed_with_changed_evidence(session, actor)
    names = {
        pid: f"{last}, {first} ({mrn})"
        for pid, first, last, mrn in session.execute(
            select(
                Patient.id, Patient.first_name, Patient.last_name, Patient.medical_record_number
            ).where(Patient.id.in_({s.patient_id for s in signed}))
        )
    }
    return WorkItem(
        label=N_("Signed screenings whose evidence changed"),
        count=len(signed),
        href=None,
        urgency="overdue" if signed else "normal",
        rows=tuple(
            WorkRow(
                text=names[s.patient_id],
                href=f"/screenings/{s.id}",
                note=N_("signed on %(date)s; a record it used was retracted or superseded"),
                params={"date": s.signed_at},
                urgency="overdue",
            )
            for s in signed[:ROWS]
        ),
    )


def items(session: Session, actor: Actor) -> list[WorkItem]:
    """Physicians: screenings waiting for review and for the signature, and signed
    screenings whose evidence changed; admins: the last of these."""
    found: list[WorkItem] = []
    if actor.role in WORKLIST_ROLES:
        found.append(_changed_since_signed(session, actor))
    if actor.role in SIGN_ROLES:
        counts, rows = _waiting(session)
        found += [
            WorkItem(
                label=N_("Screenings waiting for review"),
                count=counts.get("needs_review", 0),
                href=None,
                urgency="attention" if counts.get("needs_review") else "normal",
                rows=tuple(rows["needs_review"]),
            ),
            WorkItem(
                label=N_("Screenings waiting for the signature"),
                count=counts.get("eligible", 0) + counts.get("not_eligible", 0),
                href=None,
                rows=tuple(rows["eligible"]),
            ),
        ]
    return found
