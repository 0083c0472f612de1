"""What the messages step takes in and gives out: a new thread (subject and first
message), a message, an assignment; threads with their messages, and the staff queue's
rows with the time waiting."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from respira.kit.marks import N_
from respira.kit.validation import ClinicalIn, name_text, required_text

MAX_SUBJECT = 200
MAX_BODY = 5000

Side = Literal["patient", "care_team"]
Status = Literal["open", "closed"]


def _subject(value: str) -> str:
    return name_text(value, field_max=MAX_SUBJECT)


class MessageIn(ClinicalIn):
    body: Annotated[str, required_text(MAX_BODY)]


class ThreadIn(MessageIn):
    subject: Annotated[str, AfterValidator(_subject)]


ONE_OF_THE_TWO = N_("give either assignee_id or on_call: true, not both and not neither")


class AssignIn(ClinicalIn):
    """To a chosen staff member (``assignee_id``) or to the physician on call now
    (``on_call``): exactly one of the two."""

    assignee_id: int | None = None
    on_call: bool = False

    @model_validator(mode="after")
    def _one_of_the_two(self) -> AssignIn:
        if (self.assignee_id is None) == (not self.on_call):
            raise ValueError(
                N_("give either assignee_id or on_call: true, not both and not neither")
            )
        return self


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    thread_id: int
    side: Side
    author_name: str
    author_role: str
    body: str
    sent_at: dt.datetime


class ThreadOut(BaseModel):
    """A thread without its messages; ``unread`` is for the side that asks (a patient:
    a care-team message they have not opened; staff: a patient message no one of the
    care team has opened)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    subject: str
    status: Status
    opened_at: dt.datetime
    opened_by_name: str
    closed_at: dt.datetime | None
    closed_by_name: str | None
    assignee_id: int | None
    assignee_name: str | None
    last_message_at: dt.datetime
    last_side: Side
    waiting_since: dt.datetime | None
    unread: bool = False
    version: int


class ThreadDetail(ThreadOut):
    messages: list[MessageOut]


class QueueRow(BaseModel):
    """A thread waiting for the care team, with the patient it belongs to and how long
    it has waited (whole minutes)."""

    thread: ThreadOut
    patient_name: str
    medical_record_number: str
    waiting_minutes: int


class StaffChoice(BaseModel):
    """Someone a thread can be assigned to; ``on_call`` when on the roster now."""

    user_id: int
    name: str
    role: str
    on_call: bool
