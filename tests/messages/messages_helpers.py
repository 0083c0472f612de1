"""Helpers of the messages' tests: threads written through the real use cases, at
chosen times (the clock of a message is the use case's ``now``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from respira.kit.actors import Actor
from respira.kit.db import Database, utcnow
from respira.mail import service as mail_service
from respira.messages import service
from respira.messages.schemas import MessageIn, ThreadIn
from respira.safety import service as safety_service
from respira.safety.schemas import OnCallIn

H = dt.timedelta(hours=1)


def start(
    db: Database,
    actor: Actor,
    patient_id: int,
    subject: str = "Chest tightness at night",
    body: str = "I wake at 3 am with a tight chest twice a week.",
    *,
    at: dt.datetime | None = None,
) -> Any:
    with db.transaction() as s:
        return service.start_thread(
            s, actor, patient_id, ThreadIn(subject=subject, body=body), now=at
        )


def write(db: Database, actor: Actor, thread_id: int, body: str, *, at: Any = None) -> Any:
    with db.transaction() as s:
        return service.reply(s, actor, thread_id, MessageIn(body=body), now=at)


def notices(db: Database, patient_id: int | None = None) -> list[Any]:
    with db.session() as s:
        return mail_service.outbox(s, kind=service.NOTICE_KIND, patient_id=patient_id)


def put_on_call(db: Database, user_id: int) -> None:
    now = utcnow()
    with db.transaction() as s:
        safety_service.add_shift(
            s,
            Actor.system("test"),
            OnCallIn(user_id=user_id, role="physician", starts_at=now - H, ends_at=now + 8 * H),
        )
