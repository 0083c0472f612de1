"""Release specifications (clinical.md §5.1-5.2): the versions stored, the shipped default
in force while none is, a new version, and a lot's newest QC results held to the
specification (the newest result per attribute counts)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from respira.kit import audit, records
from respira.kit.actors import Actor, require_role
from respira.kit.db import utcnow
from respira.kit.errors import InvalidInput
from respira.kit.rows import from_row
from respira.kit.texts import SHIPPED_AUTHOR
from respira.products import specs
from respira.products.models import QcResult, ReleaseSpecification
from respira.products.roles import READ_ROLES, SPEC_ADMIN_ROLES
from respira.products.rows import audit_created
from respira.products.schemas import (
    QcCheck,
    QcResultOut,
    SpecificationIn,
    SpecificationOut,
    SpecItem,
)

# When the shipped default was written: its date while it is not stored.
SHIPPED_AT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _default_row(created_at: dt.datetime) -> ReleaseSpecification:
    """The shipped default specification (clinical.md §5.2) as a row, not yet stored."""
    return ReleaseSpecification(
        version=specs.DEFAULT_VERSION,
        items_json=audit.canonical_json(specs.DEFAULT_ITEMS),
        passage_limit=specs.DEFAULT_PASSAGE_LIMIT,
        source=specs.DEFAULT_SOURCE,
        created_at=created_at,
        created_by_name=SHIPPED_AUTHOR,
    )


def _spec_out(row: ReleaseSpecification | None) -> SpecificationOut:
    """A stored specification, or the shipped default while none is stored."""
    if row is None:
        row = _default_row(SHIPPED_AT)
    return from_row(
        SpecificationOut,
        row,
        items=[SpecItem.model_validate(i) for i in json.loads(row.items_json)],
        created_by=row.created_by_name,
    )


def _newest_spec(session: Session) -> ReleaseSpecification | None:
    return session.scalars(
        select(ReleaseSpecification).order_by(ReleaseSpecification.id.desc()).limit(1)
    ).first()


def current_spec(session: Session) -> SpecificationOut:
    """The specification in force: the newest stored version, or the shipped default
    while none is stored (it is stored on the first release that uses it)."""
    return _spec_out(_newest_spec(session))


def install_default(session: Session, actor: Actor) -> None:
    if _newest_spec(session) is not None:
        return
    try:
        with session.begin_nested():
            row = _default_row(utcnow())
            session.add(row)
            session.flush()
    except IntegrityError:
        return  # a parallel writer installed it first
    audit_created(
        session,
        actor,
        "release_specification",
        row.id,
        {"version": row.version, "installed": "shipped default"},
    )


def current_viability_minimum(session: Session) -> float | None:
    """The viability minimum of the specification in force (post-thaw viability is held
    to it before a dose is dispensed)."""
    item = next((i for i in current_spec(session).items if i.attribute == "viability"), None)
    return item.min if item is not None else None


def current_specification(session: Session, actor: Actor) -> SpecificationOut:
    require_role(actor, READ_ROLES)
    return current_spec(session)


def list_specifications(session: Session, actor: Actor) -> list[SpecificationOut]:
    require_role(actor, READ_ROLES)
    rows = session.scalars(
        select(ReleaseSpecification).order_by(ReleaseSpecification.id.desc())
    ).all()
    return [_spec_out(r) for r in rows] or [_spec_out(None)]


def create_specification(session: Session, actor: Actor, data: SpecificationIn) -> SpecificationOut:
    """A new version of the release specifications; it counts from now on (lots released
    earlier keep the version they were released under)."""
    require_role(actor, SPEC_ADMIN_ROLES)
    taken = session.scalar(
        select(ReleaseSpecification.id).where(ReleaseSpecification.version == data.version)
    )
    if taken is not None or (data.version == specs.DEFAULT_VERSION):
        raise InvalidInput({"version": f"version {data.version!r} exists already; name a new one"})
    install_default(session, actor)
    items = [i.model_dump(exclude_none=True, exclude_defaults=False) for i in data.items]
    row = ReleaseSpecification(
        version=data.version,
        items_json=audit.canonical_json(items),
        passage_limit=data.passage_limit,
        source=data.source,
        created_at=utcnow(),
        created_by_name=actor.name,
    )
    with records.flush_or_conflict(session, f"version {data.version!r} was stored at this moment"):
        session.add(row)
    audit_created(
        session,
        actor,
        "release_specification",
        row.id,
        {
            "version": row.version,
            "passage_limit": row.passage_limit,
            "items": items,
            "source": row.source,
        },
    )
    session.commit()
    return _spec_out(row)


def qc_out(row: QcResult) -> QcResultOut:
    return from_row(QcResultOut, row, operator=row.recorded_by_name)


def latest_results(session: Session, lot_ids: Iterable[int]) -> dict[int, dict[str, QcResult]]:
    """The newest result per attribute of each lot (by id: results are never edited)."""
    ids = list(lot_ids)
    out: dict[int, dict[str, QcResult]] = {i: {} for i in ids}
    if not ids:
        return out
    rows = session.scalars(
        select(QcResult).where(QcResult.lot_id.in_(ids)).order_by(QcResult.id)
    ).all()
    for row in rows:
        out[row.lot_id][row.attribute] = row
    return out


def evaluate(spec: SpecificationOut, latest: dict[str, QcResult]) -> list[QcCheck]:
    checks = []
    for item in spec.items:
        data = item.model_dump()
        result = latest.get(item.attribute)
        outcome = "missing" if result is None else specs.check(data, result.value)
        checks.append(
            QcCheck(
                attribute=item.attribute,
                label=item.label or item.attribute,
                unit=item.unit,
                requirement=specs.requirement(data),
                result=qc_out(result) if result is not None else None,
                outcome=outcome,
            )
        )
    return checks
