"""Screening under concurrency, on each database: two physicians signing the same
screening at once give one signature and one 409; screenings run at once for one
patient form one chain (each supersedes a different one)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.errors import Conflict
from respira.screening import service
from respira.screening.models import Screening


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


def test_two_physicians_signing_at_once_give_one_signature_and_one_conflict(
    db, doc, candidate, make_account
):
    out = doc.post(f"/api/v1/patients/{candidate()}/screenings").json()
    signers = [make_account("physician") for _ in range(2)]

    def signer(account: Any, meaning: str) -> Callable[[], Any]:
        def job() -> Any:
            with db.transaction() as session:
                return service.sign_screening(
                    session,
                    account.actor,
                    out["id"],
                    password=account.password,
                    meaning=meaning,
                    expected_version=out["version"],
                )

        return job

    results = at_once([signer(signers[0], "approved eligibility"), signer(signers[1], "declined")])
    signed = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(signed) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], Conflict)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(audit.Signature)) == 1
        row = session.get(Screening, out["id"])
        assert row is not None and row.meaning == signed[0].meaning
        assert audit.verify_chain(session).ok


def test_screenings_run_at_once_for_one_patient_form_a_single_chain(db, candidate):
    pid = candidate()
    actor = Actor.system("test")

    def job() -> Any:
        with db.transaction() as session:
            return service.evaluate_screening(session, actor, pid)

    results = at_once([job for _ in range(4)])
    assert all(not isinstance(r, Exception) for r in results), results
    with db.session() as session:
        rows = session.scalars(select(Screening).where(Screening.patient_id == pid)).all()
    assert len(rows) == 4
    supersedes = sorted((r.supersedes_id for r in rows), key=lambda x: (x is not None, x))
    assert supersedes[0] is None and supersedes[1:] == sorted(r.id for r in rows)[:-1]


def test_first_screenings_of_two_patients_at_once_install_the_default_once(
    db, candidate, count_rows
):
    patients = [candidate(), candidate(first_name="Second", email="second@mail.example")]
    actor = Actor.system("test")

    def job(pid: int) -> Callable[[], Any]:
        def run() -> Any:
            with db.transaction() as session:
                return service.evaluate_screening(session, actor, pid)

        return run

    results = at_once([job(pid) for pid in patients])
    assert all(not isinstance(r, Exception) for r in results), results
    assert count_rows()["screening_criteria_sets"] == 1
    assert results[0].criteria_set_id == results[1].criteria_set_id
