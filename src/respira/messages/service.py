"""The messages step's public face: threads between a patient and the care team, the
care team's queue of threads waiting for an answer, assignment, closing and reopening,
and the email that says a message is waiting. The use cases live in
``respira.messages.threads``; the email in ``respira.messages.notices``. Other steps
(the portal's home page) call ``threads_for_patient``; the routes, the demo and the
tests write ``service.X``.
"""

from __future__ import annotations

from respira.messages.notices import KIND as NOTICE_KIND
from respira.messages.roles import CARE_TEAM, READ_ROLES
from respira.messages.threads import (
    SHOW,
    assign,
    get_thread,
    open_thread,
    queue,
    reply,
    set_status,
    side_of,
    staff_choices,
    start_thread,
    threads_for_patient,
)

__all__ = [
    "CARE_TEAM",
    "NOTICE_KIND",
    "READ_ROLES",
    "SHOW",
    "assign",
    "get_thread",
    "open_thread",
    "queue",
    "reply",
    "set_status",
    "side_of",
    "staff_choices",
    "start_thread",
    "threads_for_patient",
    "waiting_parts",
]


def waiting_parts(minutes: int) -> tuple[int, int, int]:
    """A waiting time in whole minutes as (days, hours, minutes)."""
    days, rest = divmod(max(0, minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    return days, hours, mins
