"""The demo clinic's follow-up: check-ins in every state (upcoming, open, completed,
completed late, missed), the discharge of the stay's demo scheduled by its event."""

from __future__ import annotations

from sqlalchemy import select

from respira.app import demo
from respira.followup import service
from respira.followup.models import FollowUpSchedule
from respira.kit import audit
from respira.kit.actors import Actor


def test_demo_seeds_check_ins_in_every_state(db):
    result = demo.seed(db, patients=30)
    assert result is not None and result.counts["follow-up check-ins"] == 3
    with db.session() as s:
        board = service.board(s, Actor.system("test"), view="all")
        schedules = s.scalars(select(FollowUpSchedule)).all()
        assert audit.verify_chain(s).ok
    assert {item.state for item in board.items} == set(service.STATES)
    # The stay discharged today was scheduled by the discharge event.
    assert any(s.admission_id is not None for s in schedules)
    assert len(schedules) == 3
