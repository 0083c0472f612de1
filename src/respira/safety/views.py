"""The safety views beyond one patient: per lot and per programme.

- **Per lot.** The live events that follow the units of a lot. A lot with more than
  ``lot_flag.related_grade3_more_than`` (``safety.toml``, default 2) live events of
  grade 3 or higher that are related (possible, probable or definite) is flagged for the
  laboratory, which can stop it on the lot's page: the products step's e-signed recall
  blocks every unit at once (the lot was released: its units were given to patients;
  the products step's quarantine hold is for lots not yet released).
- **Per programme.** Live events counted by CTCAE term and grade, with the patients who
  had the term and the number of patients treated (at least one administration), so that
  a rate reads as n / N with its denominator.

No patient identity is shown in either view: the laboratory reads lots, not patients.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from respira.kit.actors import Actor, require_role
from respira.kit.errors import Conflict, InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.products import service as products_service
from respira.safety import catalogue, rules
from respira.safety.models import AdverseEvent
from respira.safety.roles import LOT_HOLD_ROLES, LOT_ROLES, OVERVIEW_ROLES
from respira.safety.schemas import (
    CatalogueOut,
    GradeOut,
    LotDetail,
    LotEventOut,
    LotSafety,
    ProgrammeOut,
    TermCounts,
    TermOut,
)
from respira.treatment import service as treatment_service

_LIVE = AdverseEvent.retracted_at.is_(None)
_SEVERE_RELATED = (AdverseEvent.grade >= rules.RELATED_SEVERE_GRADE) & AdverseEvent.related.is_(
    True
)


def patients_treated(session: Session) -> int:
    """Patients with at least one administration (the programme's denominator)."""
    return treatment_service.treated_patient_count(session)


def programme(session: Session, actor: Actor) -> ProgrammeOut:
    require_role(actor, OVERVIEW_ROLES)
    rows = session.execute(
        select(
            AdverseEvent.term, AdverseEvent.grade, AdverseEvent.patient_id, AdverseEvent.serious
        ).where(_LIVE)
    ).all()
    by_term: dict[str, dict[int, int]] = defaultdict(lambda: dict.fromkeys(range(1, 6), 0))
    patients: dict[str, set[int]] = defaultdict(set)
    serious: dict[str, int] = defaultdict(int)
    for term, grade, patient_id, is_serious in rows:
        by_term[term][grade] += 1
        patients[term].add(patient_id)
        serious[term] += int(bool(is_serious))
    order = {name: i for i, name in enumerate(catalogue.ctcae().names)}
    terms = [
        TermCounts(
            term=term,
            by_grade=grades,
            events=sum(grades.values()),
            patients=len(patients[term]),
            serious=serious[term],
        )
        for term, grades in sorted(by_term.items(), key=lambda kv: order.get(kv[0], len(order)))
    ]
    return ProgrammeOut(
        ctcae_version=catalogue.ctcae().version,
        patients_treated=patients_treated(session),
        patients_with_events=len({r.patient_id for r in rows}),
        events=len(rows),
        serious=sum(serious.values()),
        terms=terms,
    )


def _lot_rows(session: Session, lot_id: int | None = None) -> list[LotSafety]:
    threshold = rules.config().lot_flag_more_than
    severe = func.sum(case((_SEVERE_RELATED, 1), else_=0))
    stmt = (
        select(AdverseEvent.lot_id, AdverseEvent.lot_code, func.count(), severe)
        .where(_LIVE, AdverseEvent.lot_id.is_not(None))
        .group_by(AdverseEvent.lot_id, AdverseEvent.lot_code)
    )
    if lot_id is not None:
        stmt = stmt.where(AdverseEvent.lot_id == lot_id)
    out = [
        LotSafety(
            lot_id=lid,
            lot_code=code or str(lid),
            events=n,
            related_severe=int(s or 0),
            flagged=rules.lot_flagged(int(s or 0), threshold),
            threshold=threshold,
        )
        for lid, code, n, s in session.execute(stmt).all()
    ]
    return sorted(out, key=lambda x: (not x.flagged, -x.related_severe, x.lot_code))


def lot_flags(session: Session, actor: Actor) -> list[LotSafety]:
    """Every lot with live adverse events, flagged lots first."""
    require_role(actor, OVERVIEW_ROLES)
    return _lot_rows(session)


def lot_detail(session: Session, actor: Actor, lot_id: int) -> LotDetail:
    require_role(actor, LOT_ROLES)
    lot = products_service.get_lot(session, actor, lot_id)  # 404 for no such lot
    found = _lot_rows(session, lot_id)
    summary = found[0] if found else None
    threshold = rules.config().lot_flag_more_than
    events = session.scalars(
        select(AdverseEvent)
        .where(_LIVE, AdverseEvent.lot_id == lot_id)
        .order_by(AdverseEvent.onset_date.desc(), AdverseEvent.id.desc())
    )
    return LotDetail(
        lot_id=lot.id,
        lot_code=lot.code,
        events=summary.events if summary else 0,
        related_severe=summary.related_severe if summary else 0,
        flagged=summary.flagged if summary else False,
        threshold=threshold,
        status=lot.status,
        events_list=[LotEventOut.model_validate(e) for e in events],
    )


def hold_lot(
    session: Session, actor: Actor, lot_id: int, *, reason: str, password: str = ""
) -> LotDetail:
    """Stop a lot for a safety signal: the products step's e-signed recall (the lab
    member's password again), which blocks every unit of it at once. Only a released lot
    has units given to patients; a recalled or discarded one is out of use already.
    Commits (the products step's use case does)."""
    require_role(actor, LOT_HOLD_ROLES)
    detail = lot_detail(session, actor, lot_id)
    if detail.status != "released":
        raise Conflict(
            Msg(
                N_("the lot is %(status)s: it is not in clinical use"),
                status=Msg(str(detail.status)),
            )
        )
    if not password:
        raise InvalidInput({"password": N_("recalling a lot is e-signed: enter your password")})
    why = (
        f"safety signal: {detail.related_severe} related adverse events of grade ≥3 "
        f"(Respira safety view); {reason}"
    )
    products_service.recall_lot(session, actor, lot_id, password=password, reason=why)
    return lot_detail(session, actor, lot_id)


def catalogue_view() -> CatalogueOut:
    """The shipped CTCAE catalogue as the API and the record form show it."""
    cat = catalogue.ctcae()
    return CatalogueOut(
        version=cat.version,
        published=cat.published,
        source=cat.source,
        generic=[GradeOut(grade=g, definition=d) for g, d in cat.generic.items()],
        terms=[
            TermOut(
                name=t.name,
                meddra_code=t.meddra_code,
                note=t.note,
                grades=[GradeOut(grade=g, definition=d) for g, d in t.grades.items()],
            )
            for t in cat.terms
        ],
    )
