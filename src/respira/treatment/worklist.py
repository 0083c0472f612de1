"""The treatment step's part of a nurse's worklist (issue 14): the ward board of today
in numbers, linked to the board itself (``/ward``), where the work is recorded.

Today is the ward board's own day (the day ``/ward`` opens on: today on the clinic's
calendar, ``RESPIRA_CLINIC_TIMEZONE``), so that the counts
here are the board's: what the approved courses have due today (infusions,
nebulisations, supporting sessions) and is not recorded yet, who is on the ward, and
who is expected today but not admitted.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from respira.kit.actors import Actor, Role
from respira.kit.clinic_time import clinic_today
from respira.kit.marks import N_
from respira.kit.step import WorkItem, WorkRow
from respira.treatment.ward import ward_board


def items(session: Session, actor: Actor, day: dt.date | None = None) -> list[WorkItem]:
    """Nurses: today's ward work not recorded yet, the patients on the ward, and those
    expected today and not admitted."""
    if actor.role != Role.NURSE:
        return []
    board = ward_board(session, actor, day or clinic_today())
    href = f"/ward?day={board.day.isoformat()}"
    open_work = [(p, [d for d in p.due if not d.done]) for p in board.patients]
    open_work = [(p, due) for p, due in open_work if due]
    expected = [p for p in board.patients if p.admission_id is None]
    return [
        WorkItem(
            label=N_("Ward work due today and not recorded yet"),
            count=sum(len(due) for _, due in open_work),
            href=href,
            urgency="attention" if open_work else "normal",
            rows=tuple(
                WorkRow(
                    text=f"{p.name} ({p.medical_record_number})",
                    href=href,
                    note=N_("%(count)s due today, not recorded yet"),
                    params={"count": len(due)},
                )
                for p, due in open_work
            ),
        ),
        WorkItem(
            label=N_("Patients on the ward"),
            count=sum(1 for p in board.patients if p.in_ward),
            href=href,
        ),
        WorkItem(
            label=N_("Expected today and not admitted yet"),
            count=len(expected),
            href=href,
            urgency="attention" if expected else "normal",
            rows=tuple(
                WorkRow(text=f"{p.name} ({p.medical_record_number})", href=href) for p in expected
            ),
        ),
    ]
