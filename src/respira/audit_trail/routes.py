"""The audit trail for administrators: ``GET /api/v1/audit`` and the ``/audit`` page."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import select

from respira.kit import audit
from respira.kit.actors import Role
from respira.kit.web.deps import ApiAccess, PageAccess
from respira.kit.web.routes import Call, uses

api = APIRouter(prefix="/api/v1/audit", tags=["audit"])
pages = APIRouter(include_in_schema=False)

RECENT_LIMIT = 50
PAGE_LIMIT = 200
MAX_LIMIT = 1000


class AuditRecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: dt.datetime
    actor_id: int | None
    actor_role: str
    actor_name: str
    entity_type: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    hash: str
    prev_hash: str

    @field_validator("before", "after", mode="before")
    @classmethod
    def _decoded(cls, value: object) -> object:
        """The stored JSON text of a record's before/after (an empty text is none)."""
        if isinstance(value, str):
            return json.loads(value) if value else None
        return value


def _out(r: audit.AuditRecord) -> AuditRecordOut:
    return AuditRecordOut.model_validate(r)


@api.get("", response_model=list[AuditRecordOut])
def audit_trail(
    entity_type: str = Query(min_length=1, max_length=64),
    entity_id: str = Query(min_length=1, max_length=64),
    after_seq: int = Query(default=0, ge=0, description="only records after this seq"),
    limit: int = Query(default=PAGE_LIMIT, ge=1, le=MAX_LIMIT),
    call: Call = uses(ApiAccess(Role.ADMIN)),
) -> list[AuditRecordOut]:
    """An entity's trail, oldest first, ``limit`` records at a time; when more follow,
    a ``Link: <…>; rel="next"`` header names the next page."""
    records = audit.history(call.session, entity_type, entity_id, after_seq=after_seq, limit=limit)
    if len(records) == limit:
        nxt = call.request.url.include_query_params(after_seq=records[-1].seq)
        call.response.headers["Link"] = f'<{nxt.path}?{nxt.query}>; rel="next"'
    return [_out(r) for r in records]


@pages.get("/audit")
def audit_page(
    entity_type: str | None = Query(default=None, max_length=64),
    entity_id: str | None = Query(default=None, max_length=64),
    after_seq: int = Query(default=0, ge=0),
    call: Call = uses(PageAccess(Role.ADMIN)),
) -> Response:
    session = call.session
    next_seq = None
    if entity_type and entity_id:
        records = audit.history(
            session, entity_type, entity_id, after_seq=after_seq, limit=PAGE_LIMIT
        )
        heading = f"{entity_type} {entity_id}"
        if len(records) == PAGE_LIMIT:
            next_seq = records[-1].seq
    else:
        records = list(
            session.scalars(
                select(audit.AuditRecord).order_by(audit.AuditRecord.seq.desc()).limit(RECENT_LIMIT)
            )
        )
        heading = None
    return call.render(
        "audit/list.html",
        {
            "records": [_out(r) for r in records],
            "entity_type": entity_type or "",
            "entity_id": entity_id or "",
            "heading": heading,
            "next_seq": next_seq,
        },
    )
