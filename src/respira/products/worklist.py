"""The products step's part of the laboratory's worklist (issue 14): the laboratory's
home board in numbers (``/lab``, where the work is done): infusions to prepare in the
coming week, lots whose quality control is incomplete, lots ready for release and lots
on quarantine hold."""

from __future__ import annotations

from sqlalchemy.orm import Session

from respira.kit.actors import Actor, Role
from respira.kit.marks import N_
from respira.kit.step import WorkItem
from respira.products.lots import lab_board
from respira.products.preparations import infusions_to_prepare

HREF = "/lab"
PREPARE_DAYS = 7


def items(session: Session, actor: Actor) -> list[WorkItem]:
    """The laboratory: what its home board lists, counted."""
    if actor.role != Role.LAB:
        return []
    board = lab_board(session, actor)
    to_prepare = infusions_to_prepare(session, PREPARE_DAYS)
    return [
        WorkItem(
            label=N_("Infusions to prepare in the next %(days)s days"),
            count=len(to_prepare),
            href=HREF,
            urgency="attention" if to_prepare else "normal",
            params={"days": PREPARE_DAYS},
        ),
        WorkItem(
            label=N_("Lots with quality control to complete"),
            count=len(board["qc_due"]),
            href=HREF,
        ),
        WorkItem(
            label=N_("Lots ready for release"),
            count=len(board["release_waiting"]),
            href=HREF,
            urgency="attention" if board["release_waiting"] else "normal",
        ),
        WorkItem(
            label=N_("Lots on quarantine hold"),
            count=len(board["on_hold"]),
            href=HREF,
        ),
    ]
