"""Who read a patient's record: every staff read of the record is written (in batches,
off the request path), the patient sees who looked, and no one else's."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import delete, func, select

from respira.audit_trail import access, service
from respira.audit_trail.models import AccessRecord
from respira.kit.actors import Actor
from respira.kit.errors import Forbidden


@pytest.fixture
def clean_access_log(db):
    """This process's queue may hold reads of earlier tests: write them, then start
    from an empty table."""
    access.flush(db)
    with db.transaction() as s:
        s.execute(delete(AccessRecord))
    return db


def _accesses(db, patient_id):
    access.flush(db)
    with db.transaction() as s:
        return list(
            s.execute(
                select(AccessRecord.actor_name, AccessRecord.actor_role, AccessRecord.place)
                .where(AccessRecord.patient_id == patient_id)
                .order_by(AccessRecord.id)
            )
        )


def test_a_staff_read_through_the_api_and_the_page_appears_after_the_flush(
    clean_access_log, api_as, page_as, make_patient
):
    db = clean_access_log
    pid = make_patient()
    doctor = api_as("physician")
    assert doctor.get(f"/api/v1/patients/{pid}").status_code == 200
    coordinator = page_as("coordinator")
    assert coordinator.get(f"/patients/{pid}").status_code == 200
    assert _accesses(db, pid) == [
        (doctor.account.actor.name, "physician", "patient_api"),
        (coordinator.account.actor.name, "coordinator", "patient_page"),
    ]


def test_the_writer_thread_writes_without_an_explicit_flush(clean_access_log, api_as, make_patient):
    db = clean_access_log
    pid = make_patient()
    assert api_as("nurse").get(f"/api/v1/patients/{pid}").status_code == 200
    deadline = time.monotonic() + 10 * access.FLUSH_INTERVAL_S
    count = 0
    while time.monotonic() < deadline and not count:
        with db.transaction() as s:
            count = s.scalar(select(func.count()).select_from(AccessRecord)) or 0
        time.sleep(0.1)
    assert count == 1


def test_a_refused_or_missing_read_and_a_patients_own_read_are_not_recorded(
    clean_access_log, api_as, make_patient
):
    db = clean_access_log
    pid = make_patient()
    assert api_as("physician").get("/api/v1/patients/999999").status_code == 404
    me = api_as("patient", patient_id=pid)
    assert me.get(f"/api/v1/patients/{pid}").status_code == 200
    assert _accesses(db, pid) == [] and _accesses(db, 999999) == []


def test_a_read_does_not_wait_for_the_databases_writer(
    clean_access_log, api_as, make_patient, backend
):
    """While another transaction holds the writer (SQLite) or the table (PostgreSQL), a
    staff read answers at once; its access record is written once the writer is free."""
    db = clean_access_log
    pid = make_patient()
    doctor = api_as("physician")
    holder = db.session(write=True)
    if backend == "sqlite":
        holder.connection()  # BEGIN IMMEDIATE: the single writer is taken
    else:
        holder.execute(select(func.now()))
        holder.connection().exec_driver_sql("LOCK TABLE access_records IN EXCLUSIVE MODE")
    try:
        started = time.perf_counter()
        result: list[int] = []
        worker = threading.Thread(
            target=lambda: result.append(doctor.get(f"/api/v1/patients/{pid}").status_code)
        )
        worker.start()
        worker.join(timeout=5)
        assert result == [200]
        assert time.perf_counter() - started < 2.0
    finally:
        holder.rollback()
        holder.close()
    assert [row[2] for row in _accesses(db, pid)] == ["patient_api"]


def test_a_patient_sees_who_looked_at_their_record_on_their_page(
    clean_access_log, api_as, page_as, make_patient
):
    db = clean_access_log
    pid = make_patient()
    other = make_patient(first_name="Other", email="other@mail.example")
    doctor = api_as("physician")
    doctor.get(f"/api/v1/patients/{pid}")
    page_as("nurse").get(f"/patients/{other}")
    access.flush(db)
    me = page_as("patient", patient_id=pid)
    html = me.get(f"/patients/{pid}").text
    assert "Who looked at this record" in html
    assert doctor.account.actor.name in html and "the API (a program)" in html
    assert "Nurse" not in html.split("Who looked at this record", 1)[1]
    assert me.get(f"/patients/{other}").status_code == 404


def test_a_patient_cannot_ask_who_read_another_patients_record(clean_access_log, make_patient):
    db = clean_access_log
    pid, other = make_patient(), make_patient(first_name="Other", email="o@mail.example")
    patient = Actor(user_id=77, role="patient", name="P", patient_id=pid)
    with db.transaction() as s:
        assert service.accesses(s, patient, pid) == []
        with pytest.raises(Forbidden):
            service.accesses(s, patient, other)
        with pytest.raises(Forbidden):
            service.accesses(s, Actor(user_id=5, role="physician", name="D"), pid)


def test_staff_other_than_admins_do_not_see_the_section(clean_access_log, page_as, make_patient):
    pid = make_patient()
    assert "Who looked at this record" not in page_as("physician").get(f"/patients/{pid}").text
    admin_html = page_as("admin").get(f"/patients/{pid}").text
    assert "Who looked at this record" in admin_html
    assert f'href="/audit?patient_id={pid}"' in admin_html


def test_a_batch_the_database_refuses_is_kept_for_the_next_turn(clean_access_log, make_patient):
    db = clean_access_log
    log = access.AccessLog(db, background=False)
    log.add(Actor(user_id=1, role="nurse", name="N"), 5, "patient_page")

    def refuse(batch):
        raise RuntimeError("database away")

    log._write = refuse  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        log.flush()
    del log._write
    assert log.flush() == 1
    assert len(_accesses(db, 5)) == 1


def test_the_portal_page_answers_who_looked_at_my_record_and_only_mine(
    clean_access_log, api_as, page_as, make_patient
):
    db = clean_access_log
    mine = make_patient()
    theirs = make_patient(first_name="Other", email="other2@mail.example")
    doctor = api_as("physician")
    doctor.get(f"/api/v1/patients/{mine}")
    nurse = api_as("nurse")
    nurse.get(f"/api/v1/patients/{theirs}")
    access.flush(db)
    me = page_as("patient", patient_id=mine)
    assert 'href="/my/record-access"' in me.get("/my").text
    html = me.get("/my/record-access").text
    assert doctor.account.actor.name in html
    assert nurse.account.actor.name not in html
    assert page_as("physician").get("/my/record-access").status_code == 403


def test_a_staff_read_of_a_patients_screenings_is_shown_to_the_patient_with_what_was_read(
    clean_access_log, api_as, page_as, make_patient
):
    """Reads beyond the patient's own page and record (the kit's hook, for every route
    whose path names the patient): what was read is kept and shown in words."""
    db = clean_access_log
    pid = make_patient()
    doctor = api_as("physician")
    assert doctor.get(f"/api/v1/patients/{pid}/screenings").status_code == 200
    assert doctor.get("/api/v1/patients/999999/screenings").status_code == 404
    me = page_as("patient", patient_id=pid)
    assert me.get(f"/patients/{pid}").status_code == 200
    assert _accesses(db, pid) == [(doctor.account.actor.name, "physician", "api:screenings")]
    html = me.get("/my/record-access").text
    assert "the API (a program): screenings" in html


def test_lists_of_many_patients_are_not_reads_of_a_patients_record(
    clean_access_log, api_as, page_as, make_patient
):
    db = clean_access_log
    make_patient()
    assert api_as("physician").get("/api/v1/patients?q=Greta").status_code == 200
    assert page_as("coordinator").get("/patients").status_code == 200
    access.flush(db)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AccessRecord)) == 0


def test_the_benchmark_switch_turns_recording_off(
    clean_access_log, api_as, make_patient, monkeypatch
):
    db = clean_access_log
    pid = make_patient()
    monkeypatch.setattr(access, "ENABLED", False)
    assert api_as("nurse").get(f"/api/v1/patients/{pid}").status_code == 200
    assert _accesses(db, pid) == []


def test_place_text_names_the_channel_and_what_was_read():
    from respira.audit_trail.describe import place_text

    same = str
    assert place_text("patient_page", same) == "the patient's page"
    assert place_text("api:screening 12", same) == "the API (a program): Screening 12"
    assert place_text("page:visits/new", same) == "a page: visits/new"
    assert place_text("fhir:$everything", same) == "the FHIR interface (a program): $everything"
