"""Use cases of screening: criteria sets (install, copy and change, activate), screening
findings, evaluating a screening, and the physician's e-signed decision.

Who may do what (docs/decisions/2026-11-23-screening-roles-and-signatures.md):
physicians record findings, run screenings, annotate and sign them; only a physician
signs (least privilege: the signature carries medical responsibility, an admin account
does not). Admins manage criteria sets; admins and physicians read screenings and
findings; a patient reads their own (others are "not found"); coordinators and the
laboratory see no screening detail.

A signed screening never changes: a second signature or an edit answers 409 and
changes nothing in it; the refused attempt itself is written to the audit trail. A new
screening of the same patient supersedes the patient's newest one; signing is possible
only for the newest.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.resources
import json
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.exc import StaleDataError

from respira.diagnostics.snapshot import clinical_snapshot
from respira.kit import audit
from respira.kit.actors import Actor, Role, require_role
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound, PreconditionRequired
from respira.kit.validation import today_utc
from respira.patients import service as patients_service
from respira.patients.models import Patient
from respira.screening import engine, facts
from respira.screening.models import (
    MEANINGS,
    TRI_FIELDS,
    Screening,
    ScreeningCriteriaSet,
    ScreeningFindings,
)
from respira.screening.schemas import (
    CriteriaSetIn,
    CriteriaSetOut,
    CriteriaSetSummary,
    CriterionDef,
    FindingsIn,
    FindingsOut,
    NoteIn,
    ScreeningOut,
)

READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.PATIENT})
CLINICAL_ROLES = frozenset({Role.PHYSICIAN})
SIGN_ROLES = frozenset({Role.PHYSICIAN})
CRITERIA_READ_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN})
CRITERIA_ADMIN_ROLES = frozenset({Role.ADMIN})
# Coordinators see where a patient stands on the road (the decision and whether it is
# signed) on the patient's page, never the criteria or evidence.
STATUS_ROLES = frozenset({Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR, Role.PATIENT})

APPROVED, DECLINED = MEANINGS
SHIPPED_DEFAULT = "default.toml"
INSTALLER = Actor.system("respira-screening")


# --- criteria sets ---------------------------------------------------------------------


@functools.cache
def shipped_default_text() -> str:
    return (
        importlib.resources.files("respira.screening")
        .joinpath("criteria")
        .joinpath(SHIPPED_DEFAULT)
        .read_text(encoding="utf-8")
    )


@functools.lru_cache(maxsize=32)
def _parsed(text: str) -> engine.CriteriaSet:
    return engine.load(text)


def parse_criteria(text: str) -> engine.CriteriaSet:
    """The checked criteria set, or ``InvalidInput`` with every problem under ``toml``."""
    try:
        return _parsed(text)
    except engine.CriteriaError as exc:
        raise InvalidInput({"toml": "\n".join(exc.problems)}) from exc


def shipped_default_version() -> str:
    return _parsed(shipped_default_text()).version


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_default(session: Session) -> None:
    """Install the shipped default set if its version is not in the database yet, and
    make it active when no set is. Runs in the caller's write transaction."""
    text = shipped_default_text()
    parsed = _parsed(text)
    if session.scalar(
        select(ScreeningCriteriaSet.id).where(ScreeningCriteriaSet.version == parsed.version)
    ):
        return
    any_active = session.scalar(
        select(ScreeningCriteriaSet.id).where(ScreeningCriteriaSet.is_active.is_(True))
    )
    now = utcnow()
    row = ScreeningCriteriaSet(
        version=parsed.version,
        title=parsed.title,
        toml_text=text,
        text_sha256=_sha256(text),
        created_at=now,
        created_by_id=None,
        created_by_name="Respira (shipped default)",
        is_active=any_active is None,
        activated_at=now if any_active is None else None,
        activated_by_name="Respira (shipped default)" if any_active is None else None,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return  # installed by another transaction at the same moment
    audit.record(
        session,
        INSTALLER,
        entity_type="screening_criteria_set",
        entity_id=row.id,
        action="create",
        after=_set_audit(row, parsed),
        reason="the criteria set shipped with Respira, installed on first use",
    )


def _set_audit(row: ScreeningCriteriaSet, parsed: engine.CriteriaSet) -> dict[str, Any]:
    return {
        "version": row.version,
        "title": row.title,
        "text_sha256": row.text_sha256,
        "based_on_id": row.based_on_id,
        "is_active": row.is_active,
        "criteria": [c.id for c in parsed.criteria],
    }


def _screening_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Screening.criteria_set_id, func.count(Screening.id)).group_by(
            Screening.criteria_set_id
        )
    ).all()
    return {set_id: n for set_id, n in rows}


def _summary(row: ScreeningCriteriaSet, count: int) -> CriteriaSetSummary:
    return CriteriaSetSummary(
        id=row.id,
        version=row.version,
        title=row.title,
        is_active=row.is_active,
        based_on_id=row.based_on_id,
        created_at=row.created_at,
        created_by=row.created_by_name,
        activated_at=row.activated_at,
        activated_by=row.activated_by_name,
        text_sha256=row.text_sha256,
        criteria_count=len(_parsed(row.toml_text).criteria),
        screenings_count=count,
    )


def _rule_dict(rule: engine.Rule) -> dict[str, Any]:
    if isinstance(rule, engine.Group):
        return {rule.mode: [_rule_dict(p) for p in rule.parts]}
    out: dict[str, Any] = {"fact": rule.fact, "op": rule.op, "value": rule.value}
    if isinstance(rule.value, tuple):
        out["value"] = list(rule.value)
    if rule.unit is not None:
        out["unit"] = rule.unit
    if rule.window_days is not None:
        out["window_days"] = rule.window_days
    return out


def _set_out(session: Session, row: ScreeningCriteriaSet) -> CriteriaSetOut:
    parsed = _parsed(row.toml_text)
    count = session.scalar(
        select(func.count(Screening.id)).where(Screening.criteria_set_id == row.id)
    )
    return CriteriaSetOut(
        **_summary(row, count or 0).model_dump(),
        description=parsed.description,
        toml=row.toml_text,
        criteria=[
            CriterionDef(
                id=c.id,
                kind=c.kind,
                description=c.description,
                source=c.source,
                required=c.required,
                rule=_rule_dict(c.rule),
            )
            for c in parsed.criteria
        ],
    )


def list_criteria_sets(session: Session, actor: Actor) -> list[CriteriaSetSummary]:
    require_role(actor, CRITERIA_READ_ROLES)
    counts = _screening_counts(session)
    rows = session.scalars(
        select(ScreeningCriteriaSet).order_by(ScreeningCriteriaSet.id.desc())
    ).all()
    return [_summary(r, counts.get(r.id, 0)) for r in rows]


def get_criteria_set(session: Session, actor: Actor, set_id: int) -> CriteriaSetOut:
    require_role(actor, CRITERIA_READ_ROLES)
    row = session.get(ScreeningCriteriaSet, set_id)
    if row is None:
        raise NotFound("no such criteria set")
    return _set_out(session, row)


def suggest_version(session: Session, base: str) -> str:
    """A version for an edited copy of ``base`` that is not taken yet."""
    stem = re.sub(r"-local\d+$", "", base)[:54]
    taken = set(session.scalars(select(ScreeningCriteriaSet.version)).all())
    n = 1
    while f"{stem}-local{n}" in taken:
        n += 1
    return f"{stem}-local{n}"


def copy_text(session: Session, actor: Actor, set_id: int | None) -> tuple[str, int | None]:
    """The text an admin starts an edited copy from (the shipped default when no set is
    named), with a fresh version filled in, and the id it is based on."""
    require_role(actor, CRITERIA_ADMIN_ROLES)
    if set_id is None:
        text, based_on, version = shipped_default_text(), None, shipped_default_version()
        installed = session.scalar(
            select(ScreeningCriteriaSet.id).where(ScreeningCriteriaSet.version == version)
        )
        if installed is not None:
            based_on = installed
    else:
        row = session.get(ScreeningCriteriaSet, set_id)
        if row is None:
            raise NotFound("no such criteria set")
        text, based_on, version = row.toml_text, row.id, row.version
    fresh = suggest_version(session, version)
    pattern = re.compile(r'^version\s*=\s*"[^"\n]*"', re.MULTILINE)
    return pattern.sub(f'version = "{fresh}"', text, count=1), based_on


def create_criteria_set(session: Session, actor: Actor, data: CriteriaSetIn) -> CriteriaSetOut:
    """A new version from an edited copy: checked, stored, audited, optionally made
    active. Existing versions are never changed."""
    require_role(actor, CRITERIA_ADMIN_ROLES)
    text = data.toml.replace("\r\n", "\n")
    parsed = parse_criteria(text)
    ensure_default(session)
    if data.based_on_id is not None and session.get(ScreeningCriteriaSet, data.based_on_id) is None:
        raise InvalidInput({"based_on_id": "no such criteria set"})
    if session.scalar(
        select(ScreeningCriteriaSet.id).where(ScreeningCriteriaSet.version == parsed.version)
    ):
        raise Conflict(
            f"version {parsed.version!r} exists already; versions are kept for ever, so give "
            "the changed set a new version"
        )
    row = ScreeningCriteriaSet(
        version=parsed.version,
        title=parsed.title,
        toml_text=text,
        text_sha256=_sha256(text),
        based_on_id=data.based_on_id,
        created_at=utcnow(),
        created_by_id=actor.user_id,
        created_by_name=actor.name,
        is_active=False,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"version {parsed.version!r} was created at the same moment") from exc
    audit.record(
        session,
        actor,
        entity_type="screening_criteria_set",
        entity_id=row.id,
        action="create",
        after=_set_audit(row, parsed),
    )
    if data.activate:
        _activate(session, actor, row)
    session.commit()
    return _set_out(session, row)


def _activate(session: Session, actor: Actor, row: ScreeningCriteriaSet) -> None:
    if row.is_active:
        return
    current = session.scalars(
        select(ScreeningCriteriaSet).where(ScreeningCriteriaSet.is_active.is_(True))
    ).all()
    for old in current:
        old.is_active = False
        session.flush()  # before the new one, so that the one-active index holds throughout
        audit.record(
            session,
            actor,
            entity_type="screening_criteria_set",
            entity_id=old.id,
            action="deactivate",
            before={"is_active": True},
            after={"is_active": False},
            reason=f"version {row.version} activated",
        )
    row.is_active = True
    row.activated_at = utcnow()
    row.activated_by_name = actor.name
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("another criteria set was activated at the same moment; reload") from exc
    audit.record(
        session,
        actor,
        entity_type="screening_criteria_set",
        entity_id=row.id,
        action="activate",
        before={"is_active": False},
        after={"is_active": True, "activated_at": row.activated_at},
    )


def activate_criteria_set(session: Session, actor: Actor, set_id: int) -> CriteriaSetOut:
    require_role(actor, CRITERIA_ADMIN_ROLES)
    ensure_default(session)
    row = session.get(ScreeningCriteriaSet, set_id)
    if row is None:
        raise NotFound("no such criteria set")
    _activate(session, actor, row)
    session.commit()
    return _set_out(session, row)


def active_criteria_set(session: Session) -> tuple[ScreeningCriteriaSet, engine.CriteriaSet]:
    """The active set (installing the shipped default on first use)."""
    ensure_default(session)
    row = session.scalars(
        select(ScreeningCriteriaSet).where(ScreeningCriteriaSet.is_active.is_(True))
    ).first()
    if row is None:
        raise Conflict("no criteria set is active; an admin must activate one")
    return row, _parsed(row.toml_text)


# --- screening findings ----------------------------------------------------------------


def _findings_out(row: ScreeningFindings) -> FindingsOut:
    return FindingsOut.model_validate(row)


def newest_findings(session: Session, patient_id: int) -> ScreeningFindings | None:
    return session.scalars(
        select(ScreeningFindings)
        .where(ScreeningFindings.patient_id == patient_id)
        .order_by(ScreeningFindings.assessed_on.desc(), ScreeningFindings.id.desc())
        .limit(1)
    ).first()


def _lock_patient(session: Session, patient_id: int) -> None:
    """Serialise the screening use cases of one patient, so that two screenings run at
    the same moment cannot both supersede the same one (or both start a chain). On
    PostgreSQL a row lock on the patient; SQLite already has one writer at a time."""
    session.execute(select(Patient.id).where(Patient.id == patient_id).with_for_update())


def _check_findings(patient: Patient, data: FindingsIn) -> None:
    errors: dict[str, str] = {}
    if data.assessed_on < patient.date_of_birth:
        errors["assessed_on"] = "is before the patient's date of birth"
    pairs = (
        ("tb_screening_result", "tb_screening_on", "the TB screening"),
        ("egfr_ml_min_1_73m2", "egfr_measured_on", "the eGFR"),
        ("pregnancy_test_result", "pregnancy_test_on", "the pregnancy test"),
    )
    for value_field, date_field, what in pairs:
        has_value = getattr(data, value_field) is not None
        has_date = getattr(data, date_field) is not None
        if has_value and not has_date:
            errors[date_field] = f"give the date of {what}"
        elif has_date and not has_value:
            errors[value_field] = f"a date without a result: give {what}'s result or clear the date"
        elif has_date and getattr(data, date_field) > data.assessed_on:
            errors[date_field] = "cannot be after the assessment date"
    if data.pregnancy_test_result == "positive" and data.pregnant != "yes":
        errors["pregnant"] = "a positive pregnancy test means pregnant: answer yes"
    if patient.sex_at_birth == "male":
        for name in ("pregnant", "lactating"):
            if getattr(data, name) == "yes":
                errors[name] = "the patient's sex at birth is male"
        if data.pregnancy_test_result is not None:
            errors["pregnancy_test_result"] = "the patient's sex at birth is male"
    if data.alternative_diagnosis == "yes" and not data.alternative_diagnosis_detail:
        errors["alternative_diagnosis_detail"] = "name the alternative diagnosis"
    if data.excipient_allergy == "yes" and not data.excipient_allergy_detail:
        errors["excipient_allergy_detail"] = "name the excipient (DMSO, bovine, porcine, ...)"
    if errors:
        raise InvalidInput(errors)


def record_findings(
    session: Session, actor: Actor, patient_id: int, data: FindingsIn
) -> FindingsOut:
    """A new findings record; the newest counts. Records are never edited."""
    require_role(actor, CLINICAL_ROLES)
    patient = patients_service.get_for_update(session, actor, patient_id)
    _check_findings(patient, data)
    _lock_patient(session, patient_id)
    previous = newest_findings(session, patient_id)
    row = ScreeningFindings(
        patient_id=patient_id,
        supersedes_id=previous.id if previous else None,
        recorded_at=utcnow(),
        recorded_by_id=actor.user_id,
        recorded_by_name=actor.name,
        **data.model_dump(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        entity_type="screening_findings",
        entity_id=row.id,
        action="create",
        after={"patient_id": patient_id, "supersedes_id": row.supersedes_id, **data.model_dump()},
    )
    session.commit()
    return _findings_out(row)


def list_findings(session: Session, actor: Actor, patient_id: int) -> list[FindingsOut]:
    require_role(actor, READ_ROLES)
    patients_service.get_for_update(session, actor, patient_id)
    rows = session.scalars(
        select(ScreeningFindings)
        .where(ScreeningFindings.patient_id == patient_id)
        .order_by(ScreeningFindings.assessed_on.desc(), ScreeningFindings.id.desc())
    ).all()
    return [_findings_out(r) for r in rows]


def findings_form_values(session: Session, actor: Actor, patient_id: int) -> dict[str, Any]:
    """The newest findings as form values (a new assessment starts from them)."""
    require_role(actor, CLINICAL_ROLES)
    row = newest_findings(session, patient_id)
    values: dict[str, Any] = {name: "unknown" for name in TRI_FIELDS}
    if row is not None:
        for name in FindingsIn.model_fields:
            value = getattr(row, name)
            values[name] = "" if value is None else value
    values["assessed_on"] = today_utc().isoformat()
    return values


# --- screenings ---------------------------------------------------------------------------


def _load_screening(session: Session, actor: Actor, screening_id: int) -> Screening:
    row = session.get(Screening, screening_id)
    if row is None or (actor.role == Role.PATIENT and actor.patient_id != row.patient_id):
        raise NotFound("no such screening")
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


def screening_out(
    session: Session, row: Screening, *, superseded_by: dict[int, int] | None = None
) -> ScreeningOut:
    """The screening as the API answers it; ``superseded_by`` (old id → new id) saves a
    query per row when a list is answered."""
    newer = (
        superseded_by.get(row.id) if superseded_by is not None else _superseded_by(session, row.id)
    )
    valid = None
    if row.content_hash is not None:
        valid = audit.content_hash(signed_content(row)) == row.content_hash
    return ScreeningOut(
        id=row.id,
        patient_id=row.patient_id,
        decision=row.decision,
        reasons=json.loads(row.reasons_json),
        criteria_version=row.criteria_version,
        criteria_set_id=row.criteria_set_id,
        screening_date=row.screening_date,
        criteria=json.loads(row.results_json),
        findings_id=row.findings_id,
        evaluated_at=row.evaluated_at,
        evaluated_by=row.evaluated_by_name,
        supersedes_id=row.supersedes_id,
        superseded_by_id=newer,
        physician_note=row.physician_note,
        signed=row.signature_id is not None,
        signed_by=row.signed_by_name,
        signed_by_id=row.signed_by_id,
        signed_at=row.signed_at,
        meaning=row.meaning,
        signature_id=row.signature_id,
        content_hash=row.content_hash,
        signature_valid=valid,
        version=row.version,
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
    patient = patients_service.get_for_update(session, actor, patient_id)
    _lock_patient(session, patient_id)
    on = on or today_utc()
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
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(
            "another screening of this patient was stored at the same moment; reload and "
            "run it again"
        ) from exc
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
            "results_sha256": _sha256(row.results_json),
        },
        reason=note,
    )
    session.commit()
    return screening_out(session, row)


def get_screening(session: Session, actor: Actor, screening_id: int) -> ScreeningOut:
    require_role(actor, READ_ROLES)
    return screening_out(session, _load_screening(session, actor, screening_id))


def list_screenings(session: Session, actor: Actor, patient_id: int) -> list[ScreeningOut]:
    require_role(actor, READ_ROLES)
    patients_service.get_for_update(session, actor, patient_id)
    rows = session.scalars(
        select(Screening).where(Screening.patient_id == patient_id).order_by(Screening.id.desc())
    ).all()
    newer = {r.supersedes_id: r.id for r in rows if r.supersedes_id is not None}
    return [screening_out(session, r, superseded_by=newer) for r in rows]


def _refuse_change(session: Session, actor: Actor, row: Screening, attempted: str) -> None:
    """Answer 409 for a change to a signed screening, and keep the attempt on record."""
    message = (
        f"screening {row.id} was signed ({row.meaning!r} by {row.signed_by_name}); a signed "
        "decision never changes — run a new screening to supersede it"
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
            f"screening {row.id} is superseded by screening {newer}; review and sign the "
            "newest screening instead"
        )


def sign_screening(
    session: Session, actor: Actor, screening_id: int, *, password: str, meaning: str
) -> ScreeningOut:
    """The physician's e-signature on the decision: password re-entry, meaning, and the
    hash of the whole evaluated screening."""
    require_role(actor, SIGN_ROLES)
    row = _load_screening(session, actor, screening_id)
    if row.signature_id is not None:
        _refuse_change(session, actor, row, "sign")
    _refuse_superseded(session, row)
    if meaning not in MEANINGS:
        raise InvalidInput({"meaning": f"must be one of: {', '.join(MEANINGS)}"})
    if meaning == APPROVED and row.decision != "eligible":
        raise InvalidInput(
            {
                "meaning": (
                    f"'{APPROVED}' can be signed only for an eligible screening; this one is "
                    f"{row.decision.replace('_', ' ')}. Complete the missing data and run the "
                    f"screening again, or sign '{DECLINED}'"
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
    try:
        session.flush()
    except StaleDataError as exc:
        session.rollback()
        raise Conflict(f"screening {screening_id} was signed at the same moment") from exc
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
    return screening_out(session, row)


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
        raise PreconditionRequired(
            "send If-Match with the version you read (the ETag of GET /api/v1/screenings/{id})"
        )
    if row.version != expected_version:
        raise Conflict(
            f"the screening was changed by someone else (you edited version {expected_version}, "
            f"it is now version {row.version}); reload it"
        )
    before = {"physician_note": row.physician_note}
    after = {"physician_note": data.physician_note}
    old, new = audit.diff(before, after)
    if not new:
        return screening_out(session, row)
    row.physician_note = data.physician_note
    try:
        session.flush()
    except StaleDataError as exc:
        session.rollback()
        raise Conflict("the screening was changed by someone else at the same moment") from exc
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
    return screening_out(session, row)


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
    return {
        "newest": rows[0] if rows else None,
        "in_force": in_force,
        "history": rows,
        "count": count or 0,
        "findings": newest_findings(session, patient_id),
    }
