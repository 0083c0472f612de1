"""A summary from draft to frozen PDF: write a draft, change its text, preview it, sign
it, correct a signed one with a new version, read and download them.

- A draft holds the kind, the language and the physician's text; its content is read
  from the records each time it is previewed (so the preview shows the records as they
  are now) and its PDF is marked DRAFT.
- Signing (a physician's e-signature meaning "approved summary", password re-entered)
  reads the content once more, signs its hash, and makes the PDFs in the patient's
  language and in English with the signer and the time; content, PDFs and their SHA-256
  are stored and never change again (a later change of the records changes nothing in
  them).
- A correction is the next version, a draft that states what changed; signing it lists
  the sections whose content differs from the version it corrects and marks that version
  superseded (still downloadable, marked so on every list).
- A patient sees only their own signed summaries (any other summary, and every draft, is
  "not found"); nurses see signed summaries; drafts are for physicians and admins.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from respira.kit import audit, i18n, records
from respira.kit.actors import SYSTEM_ROLE, Actor, require_role
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.patient_rows import rows_of_patient
from respira.patients import service as patients_service
from respira.summaries import content as gathering
from respira.summaries import document, pdf
from respira.summaries.blocks import Document
from respira.summaries.models import MedicalSummary
from respira.summaries.roles import DRAFT_ROLES, READ_ROLES, SIGN_MEANING, WRITE_ROLES
from respira.summaries.schemas import DraftIn, RevisionIn, SignedSummary, SummaryIn, SummaryOut

ENGLISH = "en"


@dataclass(frozen=True)
class PdfFile:
    filename: str
    data: bytes
    sha256: str
    draft: bool


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def summary_language(requested: str | None, preferred: str) -> str:
    """The language a summary is written in: the one asked for, or the patient's
    preferred language when Respira writes it, else English."""
    written = i18n.available_languages()
    if requested is not None:
        code = requested.strip().lower().split("-")[0]
        if code not in written:
            raise InvalidInput(
                {"language": f"summaries are written in {', '.join(written)}, not {requested!r}"}
            )
        return code
    code = (preferred or ENGLISH).lower().split("-")[0]
    return code if code in written else ENGLISH


# --- reading ----------------------------------------------------------------------------


def _hidden(actor: Actor, row: MedicalSummary) -> bool:
    """A draft is for the draft roles (and the operator) only; a patient sees only their
    own summaries."""
    if row.status == "draft" and actor.role not in DRAFT_ROLES | {SYSTEM_ROLE}:
        return True
    return records.hidden_from(actor, row.patient_id, False)


def _load(
    session: Session, actor: Actor, summary_id: int, *, lock: bool = False, pdfs: bool = False
) -> MedicalSummary:
    if lock:
        row = records.lock_row(session, MedicalSummary, summary_id)
    else:
        stmt = select(MedicalSummary).where(MedicalSummary.id == summary_id)
        if pdfs:
            stmt = stmt.options(undefer(MedicalSummary.pdf), undefer(MedicalSummary.pdf_english))
        row = session.scalars(stmt).first()
    if row is None or _hidden(actor, row):
        raise NotFound("no such summary")
    return row


def _correction_of(session: Session, row: MedicalSummary) -> MedicalSummary | None:
    return session.scalars(
        select(MedicalSummary).where(MedicalSummary.revises_id == row.id)
    ).first()


def summary_out(session: Session, row: MedicalSummary) -> SummaryOut:
    correction = _correction_of(session, row) if row.status == "superseded" else None
    base = f"/api/v1/summaries/{row.id}.pdf"
    return SummaryOut.model_validate(
        {
            **{c: getattr(row, c) for c in SummaryOut.model_fields if hasattr(row, c)},
            "created_by_name": row.created_by_name,
            "signed_by_name": row.signed_by_name,
            "title": document.title(row.kind, row.language),
            "superseded_by_id": correction.id if correction else None,
            "meaning": SIGN_MEANING if row.signature_id is not None else None,
            "pdf_url": base,
            "pdf_english_url": f"{base}?lang={ENGLISH}",
        }
    )


def get_summary(session: Session, actor: Actor, summary_id: int) -> SummaryOut:
    require_role(actor, READ_ROLES)
    return summary_out(session, _load(session, actor, summary_id))


def list_summaries(session: Session, actor: Actor, patient_id: int) -> list[SummaryOut]:
    """The patient's summaries, newest first (drafts only for the draft roles)."""
    require_role(actor, READ_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    order = (MedicalSummary.created_at.desc(), MedicalSummary.id.desc())
    rows = rows_of_patient(session, MedicalSummary, patient_id, *order)
    return [summary_out(session, r) for r in rows if not _hidden(actor, r)]


def versions(session: Session, actor: Actor, summary_id: int) -> list[SummaryOut]:
    """Every version of the summary the actor may see, newest first: the versions it
    corrects and the corrections of it."""
    require_role(actor, READ_ROLES)
    row = _load(session, actor, summary_id)
    chain = [row]
    while chain[0].revises_id is not None:
        earlier = session.get(MedicalSummary, chain[0].revises_id)
        assert earlier is not None
        chain.insert(0, earlier)
    later = _correction_of(session, row)
    while later is not None:
        chain.append(later)
        later = _correction_of(session, later)
    return [summary_out(session, r) for r in reversed(chain) if not _hidden(actor, r)]


def signed_summaries(session: Session, actor: Actor, patient_id: int) -> list[SignedSummary]:
    """The patient's signed summaries, oldest first, with the patient's-language PDF as
    it was signed (for other steps: the FHIR DocumentReference of each)."""
    require_role(actor, READ_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    rows = session.scalars(
        select(MedicalSummary)
        .where(
            MedicalSummary.patient_id == patient_id,
            MedicalSummary.status.in_(("signed", "superseded")),
        )
        .options(undefer(MedicalSummary.pdf))
        .order_by(MedicalSummary.signed_at, MedicalSummary.id)
    ).all()
    corrected = {r.revises_id: r.id for r in rows if r.revises_id is not None}
    out = []
    for r in rows:
        assert r.pdf is not None and r.pdf_sha256 and r.signed_at and r.signed_by_name
        out.append(
            SignedSummary(
                id=r.id,
                patient_id=r.patient_id,
                version=r.version,
                kind=r.kind,
                language=r.language,
                title=document.title(r.kind, r.language),
                status="superseded" if r.status == "superseded" else "current",
                signed_at=r.signed_at,
                signed_by_name=r.signed_by_name,
                sha256=r.pdf_sha256,
                pdf=r.pdf,
                superseded_by_id=corrected.get(r.id) if r.status == "superseded" else None,
            )
        )
    return out


# --- writing ----------------------------------------------------------------------------


def _audit_view(row: MedicalSummary) -> dict[str, Any]:
    return {
        "patient_id": row.patient_id,
        "kind": row.kind,
        "language": row.language,
        "version": row.version,
        "status": row.status,
        "revises_id": row.revises_id,
        "recommendations": row.recommendations,
        "what_changed": row.what_changed,
    }


def _audit(session: Session, actor: Actor, summary_id: int, action: str, **record: Any) -> None:
    """One record of a summary's trail (``before``, ``after``, ``reason``)."""
    audit.record(
        session,
        actor,
        entity_type="medical_summary",
        entity_id=summary_id,
        action=action,
        **record,
    )


def _add_draft(
    session: Session, actor: Actor, conflict: str, reason: str | None = None, **columns: Any
) -> MedicalSummary:
    """A new draft (a first version or a correction) by ``actor``, audited; a lost race
    (a correction of the same version at the same moment) answers 409 ``conflict``."""
    row = MedicalSummary(
        status="draft",
        created_at=utcnow(),
        created_by_id=actor.user_id,
        created_by_name=actor.name,
        **columns,
    )
    with records.flush_or_conflict(session, conflict):
        session.add(row)
    _audit(
        session,
        actor,
        row.id,
        "create",
        after=_audit_view(row),
        reason=reason,
    )
    return row


def create_summary(session: Session, actor: Actor, patient_id: int, data: SummaryIn) -> SummaryOut:
    """A new draft summary of the patient (version 1)."""
    require_role(actor, WRITE_ROLES)
    patient = patients_service.get_for_update(session, actor, patient_id)
    row = _add_draft(
        session,
        actor,
        f"a summary of patient {patient.id} was started at the same moment",
        patient_id=patient.id,
        kind=data.kind,
        language=summary_language(data.language, patient.preferred_language),
        version=1,
        recommendations=data.recommendations,
    )
    session.commit()
    return summary_out(session, row)


def _refuse_frozen(row: MedicalSummary) -> None:
    if row.status != "draft":
        raise Conflict(
            f"version {row.version} of this summary is signed and frozen; correct it with a "
            "new version"
        )


def update_draft(
    session: Session, actor: Actor, summary_id: int, data: DraftIn, expected_revision: int
) -> SummaryOut:
    """Change a draft's text (the recommendations; for a correction, what changed)."""
    require_role(actor, WRITE_ROLES)
    row = _load(session, actor, summary_id, lock=True)
    _refuse_frozen(row)
    records.check_version(row.draft_revision, expected_revision, "summary draft")
    if row.version == 1 and data.what_changed is not None:
        raise InvalidInput(
            {"what_changed": "only a correction (version 2 and later) says what changed"}
        )
    if row.version > 1 and data.what_changed is None:
        raise InvalidInput({"what_changed": "a correction must say what changed"})
    before = _audit_view(row)
    row.recommendations = data.recommendations
    if row.version > 1:
        row.what_changed = data.what_changed
    records.flush(session, "the draft was changed by someone else at the same moment; reload it")
    old, new = audit.diff(before, _audit_view(row))
    if new:
        _audit(
            session,
            actor,
            row.id,
            "update",
            before=old,
            after=new,
        )
    session.commit()
    return summary_out(session, row)


def revise(session: Session, actor: Actor, summary_id: int, data: RevisionIn) -> SummaryOut:
    """A correction of a signed summary: the next version, a draft with the same kind,
    language and recommendations, that says what changed."""
    require_role(actor, WRITE_ROLES)
    row = _load(session, actor, summary_id, lock=True)
    if row.status == "draft":
        raise Conflict("this summary is a draft: change it directly, it needs no correction")
    correction = _correction_of(session, row)
    if correction is not None:
        raise Conflict(
            f"version {row.version} is already corrected by version {correction.version} "
            f"(summary {correction.id}); correct the newest version"
        )
    new = _add_draft(
        session,
        actor,
        f"version {row.version} was corrected by someone else at the same moment",
        reason=data.what_changed,
        patient_id=row.patient_id,
        kind=row.kind,
        language=row.language,
        version=row.version + 1,
        revises_id=row.id,
        recommendations=row.recommendations,
        what_changed=data.what_changed,
    )
    session.commit()
    return summary_out(session, new)


def _meta(
    row: MedicalSummary, signed_by: str | None = None, signed_at: str | None = None
) -> document.Meta:
    """What the document says about itself; a draft without a signer."""
    return document.Meta(
        kind=row.kind,
        version=row.version,
        language=row.language,
        draft=signed_by is None,
        made_at=utcnow().isoformat(),
        signed_by=signed_by,
        signed_at=signed_at,
        what_changed=row.what_changed,
        changed_sections=tuple(row.changed_sections or ()),
    )


def changed_sections(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """The sections whose content differs between two versions' contents."""
    if before is None:
        return []
    old, new = before.get("sections", {}), after["sections"]
    return [key for key in gathering.SECTIONS if old.get(key) != new.get(key)]


def sign(
    session: Session, actor: Actor, summary_id: int, *, password: str, meaning: str
) -> SummaryOut:
    """Sign a draft ("approved summary", the password again): freeze its content and
    its PDFs in the patient's language and in English."""
    require_role(actor, WRITE_ROLES)
    if meaning != SIGN_MEANING:
        raise InvalidInput({"meaning": f"must be: {SIGN_MEANING}"})
    row = _load(session, actor, summary_id, lock=True)
    _refuse_frozen(row)
    problems = {}
    if not row.recommendations:
        problems["recommendations"] = "write the recommendations for the home physician first"
    if row.version > 1 and not row.what_changed:
        problems["what_changed"] = "a correction must say what changed"
    if problems:
        raise InvalidInput(problems)
    content = gathering.gather(session, actor, row.patient_id, recommendations=row.recommendations)
    content_hash = audit.content_hash(content)
    signature = audit.esign(
        session,
        actor,
        password=password,
        meaning=meaning,
        allowed_meanings=(SIGN_MEANING,),
        entity_type="medical_summary",
        entity_id=row.id,
        content={
            "summary_id": row.id,
            "patient_id": row.patient_id,
            "kind": row.kind,
            "language": row.language,
            "version": row.version,
            "what_changed": row.what_changed,
            "content_sha256": content_hash,
        },
    )
    previous = None
    if row.revises_id is not None:
        previous = session.scalars(
            select(MedicalSummary)
            .where(MedicalSummary.id == row.revises_id)
            .options(undefer(MedicalSummary.content))
        ).one()
    row.changed_sections = changed_sections(previous.content if previous else None, content)
    meta = _meta(row, signature.signer_name, signature.signed_at.isoformat())
    row.pdf = pdf.render(document.build(content, meta, row.language))
    row.pdf_sha256 = sha256(row.pdf)
    if row.language != ENGLISH:
        row.pdf_english = pdf.render(document.build(content, meta, ENGLISH))
        row.pdf_english_sha256 = sha256(row.pdf_english)
    row.content = content
    row.content_sha256 = content_hash
    row.status = "signed"
    row.signed_at = signature.signed_at
    row.signed_by_id = actor.user_id
    row.signed_by_name = signature.signer_name
    row.signature_id = signature.id
    if previous is not None:
        previous.status = "superseded"
    records.flush(session, "the summary was changed by someone else at the same moment")
    if previous is not None:
        _audit(
            session,
            actor,
            previous.id,
            "supersede",
            before={"status": "signed"},
            after={"status": "superseded", "superseded_by_id": row.id},
            reason=row.what_changed,
        )
    _audit(
        session,
        actor,
        row.id,
        "sign",
        before={"status": "draft"},
        after={
            "status": "signed",
            "signature_id": signature.id,
            "content_sha256": content_hash,
            "pdf_sha256": row.pdf_sha256,
            "pdf_english_sha256": row.pdf_english_sha256,
            "changed_sections": row.changed_sections,
            "supersedes_id": previous.id if previous else None,
        },
    )
    session.commit()
    return summary_out(session, row)


# --- previews and downloads -------------------------------------------------------------


def preview(session: Session, actor: Actor, summary_id: int, lang: str | None = None) -> Document:
    """The summary as a document in its language (or ``lang``): a draft as the records
    stand now, a signed summary as it was signed."""
    require_role(actor, READ_ROLES)
    row = _load(session, actor, summary_id)
    language = ENGLISH if lang == ENGLISH else row.language
    if row.status == "draft":
        return preview_document(session, actor, row, language)
    frozen = session.scalars(
        select(MedicalSummary.content).where(MedicalSummary.id == row.id)
    ).one()
    assert row.signed_at is not None
    return document.build(
        frozen, _meta(row, row.signed_by_name, row.signed_at.isoformat()), language
    )


def pdf_file(session: Session, actor: Actor, summary_id: int, lang: str | None = None) -> PdfFile:
    """The PDF of a summary: a signed one exactly as it was signed (its patient's
    language, or the English copy with ``lang="en"``); a draft made now, marked DRAFT."""
    require_role(actor, READ_ROLES)
    row = _load(session, actor, summary_id, pdfs=True)
    if lang not in (None, ENGLISH, row.language):
        raise InvalidInput(
            {"lang": f"this summary is written in {row.language}; its copy is in {ENGLISH}"}
        )
    english = lang == ENGLISH and row.language != ENGLISH
    mrn = patients_service.get_visible(session, actor, row.patient_id).medical_record_number
    language = ENGLISH if english else row.language
    name = f"{row.kind.replace('_', '-')}-summary-{mrn}-v{row.version}-{language}"
    if row.status == "draft":
        made = pdf.render(preview_document(session, actor, row, language))
        return PdfFile(f"{name}-draft.pdf", made, sha256(made), True)
    data = row.pdf_english if english else row.pdf
    assert data is not None
    return PdfFile(f"{name}.pdf", data, sha256(data), False)


def preview_document(
    session: Session, actor: Actor, row: MedicalSummary, language: str
) -> Document:
    """A draft as a document made from the records as they stand now."""
    require_role(actor, DRAFT_ROLES)
    content = gathering.gather(session, actor, row.patient_id, recommendations=row.recommendations)
    return document.build(content, _meta(row), language)
