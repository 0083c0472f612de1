"""The demo clinic's treatment courses: approved courses for eligible patients (one under
way today, with a repeat course), a revised course whose first version is superseded,
and drafts (one autologous), all through the real use cases and e-signatures."""

from __future__ import annotations

import random

from sqlalchemy import select

from respira.kit import audit
from respira.kit.validation import today_utc
from respira.protocols import demo, service
from respira.protocols.models import Course
from respira.screening import demo as screening_demo


def test_the_demo_seeds_approved_superseded_repeat_and_draft_courses(
    db, make_patient, make_account
):
    year = today_utc().year
    ids = [
        make_patient(
            first_name=f"Demo{i}",
            email=f"demo{i}@mail.example",
            date_of_birth=f"{year - 20 - 4 * i}-03-0{1 + i % 9}",
            sex_at_birth="female" if i % 2 else "male",
        )
        for i in range(15)
    ]
    physician = make_account("physician")
    lab = make_account("lab")
    with db.transaction() as session:
        screening_demo.seed_demo(
            session, random.Random(7), ids, physician.actor, password=physician.password
        )
    with db.transaction() as session:
        stored = demo.seed_demo(
            session, ids, physician.actor, password=physician.password, lab=lab.actor
        )
    assert stored == 6
    with db.session() as session:
        rows = session.scalars(select(Course).order_by(Course.id)).all()
        statuses = sorted(r.status for r in rows)
        assert statuses == ["approved", "approved", "approved", "draft", "draft", "superseded"]
        repeat = next(r for r in rows if r.repeat_of_id is not None)
        assert repeat.number == 2 and repeat.status == "approved"
        revised = next(r for r in rows if r.revises_id is not None)
        out = service.get_course(session, physician.actor, revised.id)
        assert out.changes_from_previous
        assert any(r.source == "autologous_adipose" and r.status == "draft" for r in rows)
        board = service.approved_courses_on(session, today_utc())
        assert len(board) == 1
        assert all(r.medication_at_approval for r in rows if r.status != "draft")
        assert audit.verify_chain(session).ok
