"""Concurrent edits and concurrent writers: optimistic locking holds, and the audit
chain stays one unbroken chain (one writer at a time at its head)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.audit import AuditRecord
from respira.kit.errors import Conflict
from respira.patients import service
from respira.patients.schemas import PatientIn, PatientPatch
from tests.conftest import patient_data


def test_two_concurrent_edits_with_the_same_version_apply_exactly_one(api_as, db):
    a = api_as("coordinator")
    b = api_as("physician")
    for round_ in range(5):
        # Five different people (a shared email or phone, or the same birth date with a
        # name this close, would be a probable duplicate).
        person = patient_data(
            last_name=f"Race{round_}",
            date_of_birth=f"197{round_}-04-12",
            email=f"race{round_}@mail.example",
            phone=None,
        )
        pid = a.post("/api/v1/patients", json=person).json()["id"]
        barrier = threading.Barrier(2)
        results: dict[str, int] = {}

        def edit(name, client, weight, barrier=barrier, pid=pid, results=results):
            barrier.wait()
            r = client.patch(
                f"/api/v1/patients/{pid}", json={"weight_kg": weight}, headers={"If-Match": '"1"'}
            )
            results[name] = r.status_code

        threads = [
            threading.Thread(target=edit, args=("a", a, 70.0)),
            threading.Thread(target=edit, args=("b", b, 80.0)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(results.values()) == [200, 409], results
        final = a.get(f"/api/v1/patients/{pid}").json()
        winner = 70.0 if results["a"] == 200 else 80.0
        assert final["weight_kg"] == winner and final["version"] == 2
        with db.transaction() as s:
            updates = [r for r in audit.history(s, "patient", pid) if r.action == "update"]
        assert len(updates) == 1


def test_an_edit_whose_version_went_stale_between_read_and_write_is_refused(db):
    """PostgreSQL: both transactions read version 1; the second one's UPDATE ... WHERE
    version = 1 matches no row once the first has committed. SQLite serialises write
    transactions before they read (BEGIN IMMEDIATE), so there the second transaction
    starts after the first and its version check refuses it."""
    with db.transaction() as s:
        pid = service.add_patient(s, Actor.system("t"), PatientIn.model_validate(patient_data())).id
    actor = Actor.system("t")
    first = db.session(write=True)
    try:
        service.get_patient(first, actor, pid)
        second = None
        if not db.is_sqlite:
            second = db.session(write=True)
            service.get_patient(second, actor, pid)
        service.update_patient(first, actor, pid, PatientPatch(weight_kg=70), 1)
        if second is None:
            second = db.session(write=True)
        with pytest.raises(Conflict):
            service.update_patient(second, actor, pid, PatientPatch(weight_kg=80), 1)
        second.close()
    finally:
        first.close()
    with db.transaction() as s:
        assert service.get_patient(s, actor, pid).weight_kg == 70


def test_concurrent_writers_keep_one_unbroken_audit_chain(db):
    writers, per_writer = 8, 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def work(w: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                with db.transaction() as s:
                    service.add_patient(
                        s,
                        Actor.system(f"writer-{w}"),
                        PatientIn.model_validate(patient_data(first_name=f"W{w}N{i}")),
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with db.transaction() as s:
        report = audit.verify_chain(s)
        count = s.scalar(select(func.count(AuditRecord.id)))
    assert count == writers * per_writer
    assert report.ok and report.checked == count
