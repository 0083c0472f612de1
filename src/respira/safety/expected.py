"""The reference list of expected reactions, versioned (clinical.md §4.2: expectedness is
judged against the reference document version in force, and that version is stored).

Version 1 is the consent form's list shipped in ``safety.toml`` (fever, chills, headache,
nausea, fatigue, infusion-site irritation, as CTCAE terms), in force from the start; it is
stored, audited, the first time a new version is published. A new version takes effect
on a day that is today or later and after the newest version's: a list is never
backdated, so an event keeps the judgement it was recorded with. The version in force
for an event is the one in force on its course's start day (or on its onset day when it
follows no administration).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit import records
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_today
from respira.kit.errors import InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import PROGRAMME_AUTHOR, Msg
from respira.kit.trail import Trail
from respira.safety import catalogue, rules
from respira.safety.models import ExpectedReactionsList
from respira.safety.roles import EXPECTED_READ_ROLES, EXPECTED_WRITE_ROLES
from respira.safety.schemas import ExpectedListIn, ExpectedListOut

TRAIL = Trail("expected_reactions_list")

# The author of the shipped version (English, as stored): pages show it translated.
DEFAULT_AUTHOR = PROGRAMME_AUTHOR


def _default() -> ExpectedListOut:
    cfg = rules.config()
    return ExpectedListOut(
        id=None,
        version=1,
        effective_from=cfg.expected_effective_from,
        terms=list(cfg.expected_terms),
        source=cfg.expected_source,
        created_at=None,
        created_by_name=DEFAULT_AUTHOR,
    )


def _stored(session: Session) -> list[ExpectedReactionsList]:
    return list(
        session.scalars(
            select(ExpectedReactionsList).order_by(ExpectedReactionsList.version.desc())
        )
    )


def versions(session: Session) -> list[ExpectedListOut]:
    """Every version, newest first (the shipped version 1 until one is published)."""
    found = [ExpectedListOut.model_validate(r) for r in _stored(session)]
    return found or [_default()]


def in_force(session: Session, on: dt.date) -> ExpectedListOut:
    """The version in force on a day: the newest that took effect on or before it."""
    rows = versions(session)
    return next((v for v in rows if v.effective_from <= on), rows[-1])


def is_expected(reference: ExpectedListOut, term: str) -> bool:
    return term in reference.terms


def list_versions(session: Session, actor: Actor) -> list[ExpectedListOut]:
    require_role(actor, EXPECTED_READ_ROLES)
    return versions(session)


def _add(session: Session, actor: Actor, row: ExpectedReactionsList, reason: str) -> None:
    with records.flush_or_conflict(
        session, "another version of the list was published at the same moment; reload"
    ):
        session.add(row)
    after = ExpectedListOut.model_validate(row).model_dump(mode="json")
    TRAIL.record(session, actor, row.id, "create", after=after, reason=reason)


def publish(session: Session, actor: Actor, data: ExpectedListIn) -> ExpectedListOut:
    require_role(actor, EXPECTED_WRITE_ROLES)
    problems = data.problems()
    if problems:
        raise InvalidInput(problems)
    stored = _stored(session)
    if not stored:
        first = _default()
        default_row = ExpectedReactionsList(
            version=1,
            effective_from=first.effective_from,
            terms=first.terms,
            source=first.source,
            created_by_name=DEFAULT_AUTHOR,
        )
        _add(session, actor, default_row, "programme default stored before its first successor")
        stored = [default_row]
    newest = stored[0]
    if data.effective_from < clinic_today():
        raise InvalidInput(
            {"effective_from": N_("a new list takes effect today or later (it is never backdated)")}
        )
    if data.effective_from <= newest.effective_from:
        raise InvalidInput(
            {
                "effective_from": Msg(
                    N_(
                        "version %(version)s takes effect on %(day)s; the new version must "
                        "start after it"
                    ),
                    version=str(newest.version),
                    day=newest.effective_from.isoformat(),
                )
            }
        )
    cat = catalogue.ctcae()
    row = ExpectedReactionsList(
        version=newest.version + 1,
        effective_from=data.effective_from,
        terms=[cat.term(t).name for t in data.terms],  # type: ignore[union-attr]
        source=data.source,
        created_by_id=actor.user_id,
        created_by_name=actor.name,
    )
    _add(session, actor, row, data.source)
    session.commit()
    return ExpectedListOut.model_validate(row)
