"""What the outbox gives out: a message with its content (``OutboxView``, for admins'
detail page and other steps' tests) and without it (``OutboxSummary``, the admins' list
and ``GET /api/v1/outbox``)."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

State = Literal["pending", "sending", "sent", "failed"]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with an email. ``content_type`` may carry parameters
    ("text/calendar; method=REQUEST")."""

    filename: str
    content_type: str
    data: bytes


def attachment_views(stored: Iterable[Mapping[str, Any]]) -> list[Attachment]:
    return [
        Attachment(
            filename=str(item["filename"]),
            content_type=str(item["content_type"]),
            data=base64.b64decode(item["data"]),
        )
        for item in stored
    ]


class _Envelope(BaseModel):
    """What every view of a message holds: who it goes to, what it is, how its sending
    stands."""

    id: int
    kind: str
    patient_id: int | None
    to: list[str]
    subject: str
    state: State
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None


class OutboxView(_Envelope):
    """One message as written, with its state of sending."""

    model_config = ConfigDict(frozen=True)

    text: str
    html: str | None
    attachments: list[Attachment]


class OutboxSummary(_Envelope):
    """One message in the admins' list: who it goes to and what it is, not its body."""

    attachment_names: list[str]

    @classmethod
    def of(cls, view: OutboxView) -> OutboxSummary:
        fields = view.model_dump(exclude={"text", "html", "attachments"})
        return cls(**fields, attachment_names=[a.filename for a in view.attachments])


class OutboxPage(BaseModel):
    items: list[OutboxSummary]
    total: int
    page: int
    pages: int
