"""Two nurses giving the same unit at the same moment, on each database: one
administration is recorded and the other is answered 409; the unit is given once
(its row read ``FOR UPDATE`` by ``lock_unit_for_administration``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from respira.kit import audit
from respira.kit.errors import Conflict
from respira.treatment import service
from respira.treatment.models import Administration
from respira.treatment.schemas import AdministrationIn, BedsideCheckIn
from tests.treatment.test_treatment_api import administration


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


def test_two_nurses_giving_one_unit_at_once_give_it_once(db, ready, clinic, make_account):
    nurses = [make_account("nurse") for _ in range(2)]
    for nurse in nurses:
        with db.transaction() as s:
            check = service.check_at_bedside(
                s, nurse.actor, BedsideCheckIn(patient_code=ready.mrn, din=ready.din)
            )
            assert check.ok, check.reasons

    def give(nurse: Any) -> Callable[[], Any]:
        body = AdministrationIn.model_validate(administration(ready, clinic.witness.email))

        def job() -> Any:
            with db.transaction() as s:
                return service.record_administration(s, nurse.actor, body)

        return job

    results = at_once([give(n) for n in nurses])
    given = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(given) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], Conflict)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Administration)) == 1
        assert audit.verify_chain(s).ok


def test_two_scans_of_one_unit_at_once_are_both_stored(db, ready, make_account):
    nurses = [make_account("nurse") for _ in range(2)]

    def scan(nurse: Any) -> Callable[[], Any]:
        def job() -> Any:
            with db.transaction() as s:
                return service.check_at_bedside(
                    s, nurse.actor, BedsideCheckIn(patient_code=ready.mrn, din=ready.din)
                )

        return job

    results = at_once([scan(n) for n in nurses])
    assert all(not isinstance(r, Exception) and r.ok for r in results), results
