"""Courses under concurrency, on each database: two approvals that would take the last
infusion chair at once give one approved course and one 409; two physicians approving
the same draft at once give one signature and one 409."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from respira.kit.errors import Conflict
from respira.protocols import service
from respira.protocols.models import Course
from tests.protocols.helpers import course_body, infusions


def at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs in threads released together; each result or the exception raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # the outcome under test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def approver(db: Any, account: Any, course_id: int) -> Callable[[], Any]:
    def job() -> Any:
        with db.transaction() as session:
            return service.approve_course(
                session,
                account.actor,
                course_id,
                password=account.password,
                meaning=service.APPROVAL_MEANING,
            )

    return job


def test_two_approvals_racing_for_the_last_chair_give_one_course_and_one_conflict(
    db, doc, eligible, api_as, make_account
):
    admin = api_as("admin")
    body = dict(service.DEFAULT_LIMITS, infusion_chairs_per_day=1, reason="one chair")
    assert admin.post("/api/v1/programme-limits", json=body).status_code == 201
    ids = [
        doc.post(
            f"/api/v1/patients/{eligible()}/courses", json=course_body(infusions=infusions(1))
        ).json()["id"]
        for _ in range(2)
    ]
    signers = [make_account("physician") for _ in range(2)]
    results = at_once([approver(db, signers[0], ids[0]), approver(db, signers[1], ids[1])])
    approved = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(approved) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], Conflict) and "infusion room is full" in refused[0].message
    with db.session() as session:
        count = session.scalar(select(func.count(Course.id)).where(Course.status == "approved"))
        assert count == 1


def test_two_physicians_approving_one_draft_at_once_give_one_approval(
    db, doc, eligible, make_account
):
    cid = doc.post(f"/api/v1/patients/{eligible()}/courses", json=course_body()).json()["id"]
    signers = [make_account("physician") for _ in range(2)]
    results = at_once([approver(db, s, cid) for s in signers])
    approved = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(approved) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], Conflict)
