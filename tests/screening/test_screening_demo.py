"""The demo clinic's screenings: eligible candidates signed "approved eligibility",
excluded ones signed "declined", open ones left for review — all through the real use
cases, with real e-signatures."""

from __future__ import annotations

import random

from sqlalchemy import select

from respira.kit import audit
from respira.kit.validation import today_utc
from respira.screening import demo, service
from respira.screening.models import Screening


def test_the_demo_seeds_approved_declined_and_open_screenings(db, make_patient, make_account):
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
    with db.transaction() as session:
        stored = demo.seed_demo(
            session, random.Random(7), ids, physician.actor, password=physician.password
        )
    assert stored == 12
    with db.session() as session:
        rows = session.scalars(select(Screening)).all()
        outs = [service.screening_out(session, r) for r in rows]
        assert audit.verify_chain(session).ok
    assert len(outs) == 12
    approved = [o for o in outs if o.meaning == service.APPROVED]
    declined = [o for o in outs if o.meaning == service.DECLINED]
    open_ = [o for o in outs if not o.signed]
    assert len(approved) >= 3 and all(o.decision == "eligible" for o in approved)
    assert any(o.decision == "not_eligible" for o in declined)
    assert len(open_) >= 3 and all(o.decision == "needs_review" for o in open_)
    assert all(o.signature_valid for o in approved + declined)
    assert all(o.signed_by_id == physician.id for o in approved + declined)
