"""The records a screening read its facts from, and which of them changed since.

When a screening is evaluated, the records its criteria read (the diagnostic records the
snapshot cites and the screening findings) are listed in ``screening_evidence``. A
record that is later retracted (the record or its visit, "entered in error"), or
findings that a newer assessment supersedes, leave the screening as it was evaluated
(and as it was signed) but resting on changed evidence: the API answers
``evidence_changed`` and ``changed_evidence``, and the pages say so with a prompt to
screen again (issue 14).

Lists ask once for all their screenings: one query for the evidence and one per kind
of record that changed (``changed_evidence``); ``changed_clause`` is the same test in
SQL, for finding such screenings among all of them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from respira.diagnostics import service as diagnostics_service
from respira.kit.marks import N_
from respira.screening.models import ScreeningEvidence, ScreeningFindings

FINDINGS = "screening_findings"
# The kind of each record as people name it (English in the API's ``label``; the pages
# translate it, and the change, with ``kind`` and ``change``).
LABELS = {
    "spirometry_session": N_("spirometry"),
    "questionnaire_response": N_("questionnaire"),
    "marker_panel": N_("marker panel"),
    "treatment_history": N_("treatment history"),
    "imaging_study": N_("imaging study"),
    FINDINGS: N_("screening findings"),
}
CHANGES = {"retracted": N_("retracted"), "superseded": N_("superseded")}
assert set(LABELS) == {*diagnostics_service.RECORD_MODELS, FINDINGS}


@dataclass(frozen=True)
class ChangedRecord:
    record_type: str
    record_id: int
    change: Literal["retracted", "superseded"]
    changed_at: dt.datetime | None
    changed_by: str | None
    reason: str | None
    superseded_by_id: int | None = None

    @property
    def label(self) -> str:
        return f"{LABELS[self.record_type]} {self.record_id}"

    @property
    def kind(self) -> str:
        """The record's kind as a message id (a page writes ``_(e.kind)`` and the id)."""
        return LABELS[self.record_type]

    @property
    def retracted(self) -> bool:
        return self.change == "retracted"


def store(session: Session, screening_id: int, refs: Iterable[tuple[str, int]]) -> None:
    session.add_all(
        ScreeningEvidence(screening_id=screening_id, record_type=t, record_id=i)
        for t, i in sorted(set(refs))
    )


def changed_evidence(
    session: Session, screening_ids: Collection[int]
) -> dict[int, list[ChangedRecord]]:
    """For each of these screenings that rests on changed evidence, the records that
    changed (screenings whose evidence did not change are absent)."""
    if not screening_ids:
        return {}
    cited: dict[tuple[str, int], list[int]] = defaultdict(list)
    for sid, rtype, rid in session.execute(
        select(
            ScreeningEvidence.screening_id,
            ScreeningEvidence.record_type,
            ScreeningEvidence.record_id,
        ).where(ScreeningEvidence.screening_id.in_(list(screening_ids)))
    ):
        cited[(rtype, rid)].append(sid)
    by_type: dict[str, list[int]] = defaultdict(list)
    for rtype, rid in cited:
        by_type[rtype].append(rid)
    found: list[ChangedRecord] = []
    for rtype, ids in by_type.items():
        if rtype == FINDINGS:
            found += _superseded_findings(session, ids)
        else:
            found += _retracted(session, rtype, ids)
    out: dict[int, list[ChangedRecord]] = defaultdict(list)
    for rec in sorted(found, key=lambda r: (r.record_type, r.record_id)):
        for sid in cited[(rec.record_type, rec.record_id)]:
            out[sid].append(rec)
    return dict(out)


def _retracted(session: Session, rtype: str, ids: list[int]) -> list[ChangedRecord]:
    return [
        ChangedRecord(rtype, r.record_id, "retracted", r.retracted_at, r.retracted_by, r.reason)
        for r in diagnostics_service.retracted_records(session, rtype, ids)
    ]


def _superseded_findings(session: Session, ids: list[int]) -> list[ChangedRecord]:
    rows = session.execute(
        select(
            ScreeningFindings.supersedes_id,
            ScreeningFindings.id,
            ScreeningFindings.recorded_at,
            ScreeningFindings.recorded_by_name,
            ScreeningFindings.assessed_on,
        ).where(ScreeningFindings.supersedes_id.in_(ids))
    ).all()
    return [
        ChangedRecord(
            FINDINGS,
            old_id,
            "superseded",
            at,
            by,
            f"a new assessment of {assessed_on.isoformat()} (findings {new_id})",
            superseded_by_id=new_id,
        )
        for old_id, new_id, at, by, assessed_on in rows
        if old_id is not None
    ]


def changed_clause() -> ColumnElement[bool]:
    """True for a ``ScreeningEvidence`` row whose record changed (SQL)."""
    ev = ScreeningEvidence
    newer = aliased(ScreeningFindings)
    superseded = and_(
        ev.record_type == FINDINGS,
        exists(select(newer.id).where(newer.supersedes_id == ev.record_id)),
    )
    retracted: ColumnElement[bool] = diagnostics_service.retracted_clause(
        ev.record_type, ev.record_id
    )
    return or_(retracted, superseded)
