"""Screenings: the active criteria set evaluated against the patient's facts (the
patient record, the diagnostics snapshot and the newest screening findings), the
reviewing physician's note, and the physician's e-signed decision.

A signed screening never changes: a second signature or an edit answers 409 and
changes nothing in it; the refused attempt itself is written to the audit trail. A new
screening of the same patient supersedes the patient's newest one; signing is possible
only for the newest. See docs/decisions/2026-11-23-screening-roles-and-signatures.md;
who may do what: ``respira.screening.roles``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from respira.diagnostics.service import clinical_snapshot
from respira.kit import audit, records
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_today
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound, PreconditionRequired
from respira.kit.marks import N_
from respira.kit.patient_rows import rows_of_patient
from respira.kit.rows import from_row
from respira.kit.texts import Msg
from respira.patients import service as patients_service
from respira.screening import engine, evidence, facts
from respira.screening.criteria_sets import active_criteria_set, sha256_text
from respira.screening.findings import newest_findings
from respira.screening.models import MEANINGS, Screening, ScreeningEvidence
from respira.screening.roles import (
    CLINICAL_ROLES,
    READ_ROLES,
    SIGN_ROLES,
    STATUS_ROLES,
    WORKLIST_ROLES,
)
from respira.screening.schemas import ChangedEvidenceOut, NoteIn, ScreeningOut

APPROVED, DECLINED = MEANINGS
# A decision as a refusal names it ("this one is not eligible").
_DECISION_WORDS = {
    "eligible": N_("eligible"),
    "not_eligible": N_("not eligible"),
    "needs_review": N_("needs review"),
}
_SEND_IF_MATCH = N_(
    "send If-Match with the version you read (the ETag of GET /api/v1/screenings/{id})"
)


def _load_screening(session: Session, actor: Actor, screening_id: int) -> Screening:
    row = session.get(Screening, screening_id)
    if row is None:
        raise NotFound(N_("no such screening"))
    records.require_patient_visible(actor, row.patient_id, "screening")
    return row


def _superseded_by(session: Session, screening_id: int) -> int | None:
    return session.scalar(select(Screening.id).where(Screening.supersedes_id == screening_id))


def _head(session: Session, patient_id: int) -> Screening | None:
    """The patient's newest screening: the one no other screening supersedes."""
    superseded = select(Screening.supersedes_id).where(Screening.supersedes_id.is_not(None))
    return session.scalars(
        select(Screening)
        .where(Screening.patient_id == patient_id, Screening.id.not_in(superseded))
        .order_by(Screening.id.desc())
        .limit(1)
    ).first()


def _iso(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).isoformat(timespec="microseconds")


def signed_content(row: Screening) -> dict[str, Any]:
    """Exactly what a signature covers: the whole evaluated screening as shown."""
    return {
        "screening_id": row.id,
        "patient_id": row.patient_id,
        "screening_date": row.screening_date.isoformat(),
        "criteria_set_id": row.criteria_set_id,
        "criteria_version": row.criteria_version,
        "decision": row.decision,
        "reasons": json.loads(row.reasons_json),
        "criteria": json.loads(row.results_json),
        "findings_id": row.findings_id,
        "evaluated_at": _iso(row.evaluated_at),
        "evaluated_by": row.evaluated_by_name,
        "evaluated_by_id": row.evaluated_by_id,
        "supersedes_id": row.supersedes_id,
        "physician_note": row.physician_note,
    }


WITHDRAWN = "from a record that was withdrawn after this screening"


def _redacted(criteria: list[dict[str, Any]], hidden: set[str]) -> list[dict[str, Any]]:
    """The criteria with every fact read from a record in ``hidden`` (sources) shown
    without its value, source or date: a patient does not see retracted records."""
    out = []
    for criterion in criteria:
        evidence_text = criterion["evidence"]
        fact_list = []
        for fact in criterion["facts"]:
            if fact.get("source") in hidden:
                text = f"{fact['label']}: {WITHDRAWN}"
                evidence_text = evidence_text.replace(fact["text"], text)
                fact = {
                    **fact,
                    "value": None,
                    "on": None,
                    "source": None,
                    "text": text,
                    "shown": None,
                    "exact": None,
                    "detail": None,
                }
            fact_list.append(fact)
        out.append({**criterion, "evidence": evidence_text, "facts": fact_list})
    return out


def _cited_by(source: str | None, changed: evidence.ChangedRecord) -> bool:
    """Whether a fact's source names this record (the snapshot's "visit 3 / spirometry
    31", the findings' "screening findings 7, assessed ...")."""
    if not source:
        return False
    return facts.record_of_source(source) == (changed.record_type, changed.record_id)


def screening_out(
    session: Session,
    row: Screening,
    *,
    actor: Actor | None = None,
    superseded_by: dict[int, int] | None = None,
    changed: dict[int, list[evidence.ChangedRecord]] | None = None,
) -> ScreeningOut:
    """The screening as the API answers it (to ``actor``: a patient is not shown
    retracted records); ``superseded_by`` (old id → new id) and ``changed`` (the
    screenings' changed evidence) save queries per row when a list is answered."""
    newer = (
        superseded_by.get(row.id) if superseded_by is not None else _superseded_by(session, row.id)
    )
    valid = None
    if row.content_hash is not None:
        valid = audit.content_hash(signed_content(row)) == row.content_hash
    if changed is None:
        changed = evidence.changed_evidence(session, [row.id])
    records_changed = changed.get(row.id, [])
    criteria = json.loads(row.results_json)
    if actor is not None and actor.patient_id is not None:
        withdrawn = [c for c in records_changed if c.retracted]
        hidden = {
            f["source"]
            for c in criteria
            for f in c["facts"]
            if any(_cited_by(f.get("source"), w) for w in withdrawn)
        }
        criteria = _redacted(criteria, hidden)
        shown = [c for c in records_changed if not c.retracted]
    else:
        shown = records_changed
    return from_row(
        ScreeningOut,
        row,
        reasons=json.loads(row.reasons_json),
        criteria=criteria,
        evaluated_by=row.evaluated_by_name,
        superseded_by_id=newer,
        signed=row.signature_id is not None,
        signed_by=row.signed_by_name,
        signature_valid=valid,
        recheck_before_first_infusion=[
            c["id"] for c in criteria if c.get("recheck_before_infusion")
        ],
        evidence_changed=bool(records_changed),
        changed_evidence=[ChangedEvidenceOut.model_validate(c) for c in shown],
    )


def evaluate_screening(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    note: str | None = None,
    on: dt.date | None = None,
) -> ScreeningOut:
    """Evaluate the active criteria set against the patient's facts and store the
    result; it supersedes the patient's newest screening."""
    require_role(actor, CLINICAL_ROLES)
    # Locks the patient to the end of the transaction: two screenings run at the same
    # moment cannot both supersede the same one (or both start a chain).
    patient = patients_service.get_for_update(session, actor, patient_id)
    on = on or clinic_today()
    set_row, criteria = active_criteria_set(session)
    findings = newest_findings(session, patient_id)
    gathered = facts.collect(patient, clinical_snapshot(session, patient_id), findings, on)
    result = engine.evaluate(criteria, gathered, on)
    head = _head(session, patient_id)
    row = Screening(
        patient_id=patient_id,
        criteria_set_id=set_row.id,
        criteria_version=set_row.version,
        screening_date=on,
        decision=result.decision,
        reasons_json=audit.canonical_json(list(result.reasons)),
        results_json=audit.canonical_json([r.as_dict() for r in result.results]),
        findings_id=findings.id if findings else None,
        evaluated_at=utcnow(),
        evaluated_by_id=actor.user_id,
        evaluated_by_name=actor.name,
        supersedes_id=head.id if head else None,
    )
    session.add(row)
    records.flush(
        session,
        "another screening of this patient was stored at the same moment; reload and run it again",
    )
    cited = facts.evidence_records(gathered, criteria.facts_used())
    evidence.store(session, row.id, cited)
    audit.record(
        session,
        actor,
        entity_type="screening",
        entity_id=row.id,
        action="create",
        after={
            "patient_id": patient_id,
            "decision": row.decision,
            "criteria_version": row.criteria_version,
            "criteria_set_id": row.criteria_set_id,
            "screening_date": row.screening_date,
            "findings_id": row.findings_id,
            "supersedes_id": row.supersedes_id,
            "statuses": {r.id: r.status for r in result.results},
            "results_sha256": sha256_text(row.results_json),
            "evidence": sorted(f"{t} {i}" for t, i in cited),
        },
        reason=note,
    )
    session.commit()
    return screening_out(session, row, actor=actor)


def get_screening(session: Session, actor: Actor, screening_id: int) -> ScreeningOut:
    require_role(actor, READ_ROLES)
    return screening_out(session, _load_screening(session, actor, screening_id), actor=actor)


def list_screenings(session: Session, actor: Actor, patient_id: int) -> list[ScreeningOut]:
    require_role(actor, READ_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    rows = rows_of_patient(session, Screening, patient_id, Screening.id.desc())
    newer = {r.supersedes_id: r.id for r in rows if r.supersedes_id is not None}
    changed = evidence.changed_evidence(session, [r.id for r in rows])
    return [
        screening_out(session, r, actor=actor, superseded_by=newer, changed=changed) for r in rows
    ]


def signed_with_changed_evidence(session: Session, actor: Actor) -> list[ScreeningOut]:
    """Signed screenings, not yet superseded by a newer screening of their patient,
    that rest on changed evidence (a record they read was retracted or superseded
    since), newest first: each is a prompt to screen the patient again."""
    require_role(actor, WORKLIST_ROLES)
    superseded = select(Screening.supersedes_id).where(Screening.supersedes_id.is_not(None))
    changed_rows = select(ScreeningEvidence.screening_id).where(
        ScreeningEvidence.screening_id == Screening.id, evidence.changed_clause()
    )
    rows = session.scalars(
        select(Screening)
        .where(
            Screening.signature_id.is_not(None),
            Screening.id.not_in(superseded),
            changed_rows.exists(),
        )
        .order_by(Screening.id.desc())
    ).all()
    newer: dict[int, int] = {}  # none of them is superseded
    changed = evidence.changed_evidence(session, [r.id for r in rows])
    return [
        screening_out(session, r, actor=actor, superseded_by=newer, changed=changed) for r in rows
    ]


def _refuse_change(session: Session, actor: Actor, row: Screening, attempted: str) -> None:
    """Answer 409 for a change to a signed screening, and keep the attempt on record."""
    message = Msg(
        N_(
            "screening %(screening)s was signed (%(meaning)s by %(name)s); a signed decision "
            "never changes — run a new screening to supersede it"
        ),
        screening=str(row.id),
        meaning=repr(row.meaning),
        name=row.signed_by_name,
    )
    session.rollback()
    audit.record(
        session,
        actor,
        entity_type="screening",
        entity_id=row.id,
        action="change_refused",
        after={"attempted": attempted, "signature_id": row.signature_id},
        reason="a signed decision cannot be changed",
    )
    session.commit()
    raise Conflict(message)


def _refuse_superseded(session: Session, row: Screening) -> None:
    newer = _superseded_by(session, row.id)
    if newer is not None:
        raise Conflict(
            Msg(
                N_(
                    "screening %(screening)s is superseded by screening %(newer)s; review and "
                    "sign the newest screening instead"
                ),
                screening=str(row.id),
                newer=str(newer),
            )
        )


def sign_screening(
    session: Session,
    actor: Actor,
    screening_id: int,
    *,
    password: str,
    meaning: str,
    expected_version: int | None,
) -> ScreeningOut:
    """The physician's e-signature on the decision: password re-entry, meaning, and the
    hash of the whole evaluated screening. The signature binds to the version the
    physician read (``If-Match`` on the API, the version shown with the page's form): a
    screening changed since (a note added by someone else) answers 409 and is not
    signed."""
    require_role(actor, SIGN_ROLES)
    row = _load_screening(session, actor, screening_id)
    if row.signature_id is not None:
        _refuse_change(session, actor, row, "sign")
    _refuse_superseded(session, row)
    if expected_version is None:
        raise PreconditionRequired(_SEND_IF_MATCH)
    records.check_version(row.version, expected_version, "screening")
    if meaning not in MEANINGS:
        raise InvalidInput(
            {"meaning": Msg(N_("must be one of: %(meanings)s"), meanings=", ".join(MEANINGS))}
        )
    if meaning == APPROVED and row.decision != "eligible":
        raise InvalidInput(
            {
                "meaning": Msg(
                    N_(
                        "%(approved)s can be signed only for an eligible screening; this one is "
                        "%(decision)s. Complete the missing data and run the screening again, "
                        "or sign %(declined)s"
                    ),
                    approved=f"'{APPROVED}'",
                    decision=Msg(_DECISION_WORDS.get(row.decision, row.decision)),
                    declined=f"'{DECLINED}'",
                )
            }
        )
    content = signed_content(row)
    sig = audit.esign(
        session,
        actor,
        password=password,
        meaning=meaning,
        allowed_meanings=MEANINGS,
        entity_type="screening",
        entity_id=row.id,
        content=content,
    )
    assert actor.user_id is not None
    row.signature_id = sig.id
    row.signed_by_id = actor.user_id
    row.signed_by_name = actor.name
    row.signed_at = sig.signed_at
    row.meaning = meaning
    row.content_hash = sig.content_hash
    records.flush(session, f"screening {screening_id} was signed at the same moment")
    audit.record(
        session,
        actor,
        entity_type="screening",
        entity_id=row.id,
        action="sign",
        after={
            "meaning": meaning,
            "decision": row.decision,
            "signature_id": sig.id,
            "signed_by": actor.name,
            "signed_at": sig.signed_at,
            "content_hash": sig.content_hash,
        },
    )
    session.commit()
    return screening_out(session, row, actor=actor)


def update_note(
    session: Session, actor: Actor, screening_id: int, data: NoteIn, expected_version: int | None
) -> ScreeningOut:
    """The reviewing physician's note, while the screening is unsigned and newest. A
    signed screening answers 409 whatever else the request says."""
    require_role(actor, CLINICAL_ROLES)
    row = _load_screening(session, actor, screening_id)
    if row.signature_id is not None:
        _refuse_change(session, actor, row, "edit note")
    _refuse_superseded(session, row)
    if expected_version is None:
        raise PreconditionRequired(_SEND_IF_MATCH)
    records.check_version(row.version, expected_version, "screening")
    before = {"physician_note": row.physician_note}
    after = {"physician_note": data.physician_note}
    old, new = audit.diff(before, after)
    if not new:
        return screening_out(session, row, actor=actor)
    row.physician_note = data.physician_note
    records.flush(session, "the screening was changed by someone else at the same moment")
    audit.record(
        session,
        actor,
        entity_type="screening",
        entity_id=row.id,
        action="update",
        before=old,
        after=new,
    )
    session.commit()
    return screening_out(session, row, actor=actor)


# --- for the patient's page -------------------------------------------------------------


def patient_summary(session: Session, actor: Actor, patient_id: int) -> dict[str, Any]:
    """What the patient's page shows: the newest screening and the one in force (the
    newest signed), the newest findings, and up to 20 earlier screenings."""
    require_role(actor, STATUS_ROLES)
    # The page shows no criteria: leave the evaluated results in the database.
    light = select(Screening).options(defer(Screening.results_json), defer(Screening.reasons_json))
    newest_first = light.where(Screening.patient_id == patient_id).order_by(Screening.id.desc())
    rows = session.scalars(newest_first.limit(21)).all()
    in_force = session.scalars(
        newest_first.where(Screening.signature_id.is_not(None)).limit(1)
    ).first()
    count = session.scalar(
        select(func.count(Screening.id)).where(Screening.patient_id == patient_id)
    )
    shown_ids = {r.id for r in rows} | ({in_force.id} if in_force is not None else set())
    changed = evidence.changed_evidence(session, shown_ids)
    listed = {
        sid: [c for c in recs if actor.patient_id is None or not c.retracted]
        for sid, recs in changed.items()
    }  # a patient is not shown retracted records
    return {
        "newest": rows[0] if rows else None,
        "in_force": in_force,
        "history": rows,
        "count": count or 0,
        "findings": newest_findings(session, patient_id),
        # the screenings resting on changed evidence, and the records that changed
        "evidence_changed": set(changed),
        "changed": listed,
    }
