"""The demo clinic's ward: today's three stays seeded through the real use cases (one
waiting with a thawed unit, one given, one given and discharged)."""

from __future__ import annotations

from sqlalchemy import select

from respira.app import demo
from respira.kit import audit
from respira.kit.actors import Actor
from respira.patients import service as patients_service
from respira.products import preparations
from respira.treatment import service
from respira.treatment.models import Administration, Admission
from respira.treatment.schemas import BedsideCheckIn


def test_demo_seeds_three_stays_of_today(db):
    result = demo.seed(db, patients=30)
    assert result is not None
    with db.session() as s:
        admissions = s.scalars(select(Admission).order_by(Admission.id)).all()
        assert audit.verify_chain(s).ok
    assert len(admissions) == 3
    assert result.counts["admissions"] == 3


def test_demo_leaves_a_thawed_unit_waiting_and_records_two_administrations(db):
    demo.seed(db, patients=30)
    with db.session() as s:
        admissions = s.scalars(select(Admission).order_by(Admission.id)).all()
        given = s.scalars(select(Administration)).all()
    assert len(given) == 2
    assert sum(a.discharged_at is not None for a in admissions) == 1
    waiting = next(a for a in admissions if a.patient_id not in {g.patient_id for g in given})
    system = Actor.system("test")
    with db.session() as s:
        patient = patients_service.find(s, waiting.patient_id)
        assert patient is not None
        code = patient.medical_record_number
        (prep,) = preparations.list_for_course(s, system, waiting.course_id)
    with db.transaction() as s:
        check = service.check_at_bedside(
            s, system, BedsideCheckIn(patient_code=code, din=prep.units[0].din)
        )
    assert check.ok, check.reasons
