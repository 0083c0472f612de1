"""Criteria sets of screening: the set shipped with Respira (installed on first use),
edited copies stored as new versions, activating one, and reading them.

A criteria set is TOML text checked by ``respira.screening.loader`` and kept as written;
versions are never changed or deleted, because screenings name the set they used, and
one set at most is active. See docs/decisions/2026-11-23-screening-criteria-as-data.md;
who may do what: ``respira.screening.roles``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from respira.kit import audit, records
from respira.kit.actors import Actor, require_role
from respira.kit.db import utcnow
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.rows import from_row
from respira.kit.texts import SHIPPED_AUTHOR, Msg
from respira.screening import engine
from respira.screening.models import Screening, ScreeningCriteriaSet
from respira.screening.roles import CRITERIA_ADMIN_ROLES, CRITERIA_READ_ROLES
from respira.screening.schemas import (
    CriteriaSetIn,
    CriteriaSetOut,
    CriteriaSetSummary,
    CriterionDef,
)

SHIPPED_DEFAULT = "default.toml"
INSTALLER = Actor.system("respira-screening")
_NO_SUCH_SET = N_("no such criteria set")


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


def sha256_text(text: str) -> str:
    """The hex SHA-256 of a text (a criteria set's, an evaluation's results)."""
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
    row = _new_set(
        text,
        parsed,
        created_at=now,
        created_by_id=None,
        created_by_name=SHIPPED_AUTHOR,
        is_active=any_active is None,
        activated_at=now if any_active is None else None,
        activated_by_name=SHIPPED_AUTHOR if any_active is None else None,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return  # installed by another transaction at the same moment
    _audit_created(
        session,
        INSTALLER,
        row,
        parsed,
        reason="the criteria set shipped with Respira, installed on first use",
    )


def _new_set(text: str, parsed: engine.CriteriaSet, **columns: Any) -> ScreeningCriteriaSet:
    """A new criteria set of the TOML ``text`` (parsed), with who created it and when."""
    return ScreeningCriteriaSet(
        version=parsed.version,
        title=parsed.title,
        toml_text=text,
        text_sha256=sha256_text(text),
        **columns,
    )


def _audit_created(
    session: Session,
    actor: Actor,
    row: ScreeningCriteriaSet,
    parsed: engine.CriteriaSet,
    reason: str | None = None,
) -> None:
    audit.record(
        session,
        actor,
        entity_type="screening_criteria_set",
        entity_id=row.id,
        action="create",
        after=_set_audit(row, parsed),
        reason=reason,
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
    return from_row(
        CriteriaSetSummary,
        row,
        created_by=row.created_by_name,
        activated_by=row.activated_by_name,
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
    for flag in ("up_to_screening", "supporting"):
        if getattr(rule, flag):
            out[flag] = True
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
        criteria=[from_row(CriterionDef, c, rule=_rule_dict(c.rule)) for c in parsed.criteria],
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
        raise NotFound(_NO_SUCH_SET)
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
            raise NotFound(_NO_SUCH_SET)
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
        raise InvalidInput({"based_on_id": _NO_SUCH_SET})
    if session.scalar(
        select(ScreeningCriteriaSet.id).where(ScreeningCriteriaSet.version == parsed.version)
    ):
        raise Conflict(
            Msg(
                N_(
                    "version %(version)s exists already; versions are kept for ever, so give "
                    "the changed set a new version"
                ),
                version=repr(parsed.version),
            )
        )
    row = _new_set(
        text,
        parsed,
        based_on_id=data.based_on_id,
        created_at=utcnow(),
        created_by_id=actor.user_id,
        created_by_name=actor.name,
        is_active=False,
    )
    session.add(row)
    records.flush(session, f"version {parsed.version!r} was created at the same moment")
    _audit_created(session, actor, row, parsed)
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
    records.flush(session, "another criteria set was activated at the same moment; reload")
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
        raise NotFound(_NO_SUCH_SET)
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
        raise Conflict(N_("no criteria set is active; an admin must activate one"))
    return row, _parsed(row.toml_text)
