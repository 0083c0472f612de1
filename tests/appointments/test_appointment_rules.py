"""Publishing and booking rules: times in the clinic's zone stored in UTC, a wall-clock
time skipped by summer time refused, one holder one slot at a time, a slot booked once,
a patient books only for themselves and only phone calls and follow-up visits, a
cancelled booking frees the slot."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from respira.appointments import service
from respira.appointments.models import Slot
from respira.appointments.schemas import BookingIn, CancellationIn, SlotIn, SlotSeriesIn
from respira.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.appointments.conftest import BERLIN, days_ahead, next_spring_forward


def test_a_wall_clock_time_is_read_in_the_clinics_zone_and_stored_in_utc_across_summer_time(
    make_slot,
):
    sunday = next_spring_forward()
    friday = make_slot(dt.datetime.combine(sunday - dt.timedelta(days=2), dt.time(9)))
    monday = make_slot(dt.datetime.combine(sunday + dt.timedelta(days=1), dt.time(9)))
    assert friday.time_zone == "Europe/Berlin"
    assert friday.start.utcoffset() == dt.timedelta(0)
    assert friday.start.astimezone(BERLIN).time() == dt.time(9)
    assert friday.start.time() == dt.time(8)  # CET, UTC+1
    assert monday.start.time() == dt.time(7)  # CEST, UTC+2
    assert monday.end - monday.start == dt.timedelta(minutes=30)


def test_a_time_skipped_when_the_clocks_go_forward_is_refused_with_the_reason(make_slot):
    with pytest.raises(InvalidInput) as refused:
        make_slot(dt.datetime.combine(next_spring_forward(), dt.time(2, 30)))
    assert "does not exist in Europe/Berlin" in refused.value.errors["start"]


def test_a_time_with_an_offset_is_taken_as_given_and_another_zone_is_kept(make_slot):
    slot = make_slot(
        dt.datetime.combine(days_ahead(5).date(), dt.time(9), tzinfo=dt.UTC), zone="Asia/Dubai"
    )
    assert slot.start.time() == dt.time(9) and slot.time_zone == "Asia/Dubai"


def test_a_slot_in_the_past_or_ending_before_it_starts_is_refused(db, physician):
    with db.transaction() as session:
        with pytest.raises(InvalidInput) as past:
            service.publish_slot(
                session,
                physician.actor,
                SlotIn(start=days_ahead(-1), duration_min=30, kind="phone_call"),
            )
        with pytest.raises(InvalidInput) as backwards:
            service.publish_slot(
                session,
                physician.actor,
                SlotIn(start=days_ahead(2, 10), end=days_ahead(2, 9), kind="phone_call"),
            )
    assert "future" in past.value.errors["start"]
    assert "end" in backwards.value.errors


def test_one_holder_holds_one_slot_at_a_time(make_slot, make_account):
    make_slot(days_ahead(4, 10), minutes=60)
    with pytest.raises(InvalidInput) as overlap:
        make_slot(days_ahead(4, 10, 30))
    assert "already holds a slot" in overlap.value.errors["start"]
    make_slot(days_ahead(4, 11))  # right after: fine
    make_slot(days_ahead(4, 10, 30), holder=make_account("nurse"))  # someone else: fine


def test_an_admin_must_name_who_holds_the_slot_and_a_lab_account_cannot(db, make_account):
    admin, lab = make_account("admin"), make_account("lab")
    body = SlotIn(start=days_ahead(3), duration_min=30, kind="phone_call")
    with db.transaction() as session:
        with pytest.raises(InvalidInput) as unnamed:
            service.publish_slot(session, admin.actor, body)
        with pytest.raises(InvalidInput) as lab_holder:
            service.publish_slot(
                session, admin.actor, body.model_copy(update={"held_by_id": lab.id})
            )
    assert set(unnamed.value.errors) == {"held_by_id"}
    assert set(lab_holder.value.errors) == {"held_by_id"}


def test_a_series_publishes_every_time_on_the_chosen_weekdays_only(db, physician):
    monday = days_ahead(7).date()
    monday -= dt.timedelta(days=monday.weekday())
    with db.transaction() as session:
        made = service.publish_series(
            session,
            physician.actor,
            SlotSeriesIn(
                first_day=monday,
                last_day=monday + dt.timedelta(days=13),
                weekdays=[1, 3],
                times="09:00, 14:30",
                duration_min=45,
                kind="follow_up_visit",
            ),
        )
    local = [s.start.astimezone(BERLIN) for s in made]
    assert len(made) == 8
    assert {t.isoweekday() for t in local} == {1, 3}
    assert {t.time() for t in local} == {dt.time(9), dt.time(14, 30)}


def test_a_series_whose_times_overlap_each_other_is_refused_whole(db, physician):
    with db.transaction() as session, pytest.raises(InvalidInput) as refused:
        service.publish_series(
            session,
            physician.actor,
            SlotSeriesIn(
                first_day=days_ahead(3).date(),
                times=["09:00", "09:30"],
                duration_min=60,
                kind="phone_call",
                weekdays=[1, 2, 3, 4, 5, 6, 7],
            ),
        )
    assert "overlap" in refused.value.errors["times"]
    with db.session() as session:
        assert session.query(Slot).count() == 0


def _book(db, actor, slot_id, patient_id):
    with db.transaction() as session:
        return service.book(session, actor, slot_id, BookingIn(patient_id=patient_id))


def test_a_slot_is_booked_once(db, make_slot, coordinator, make_patient):
    slot = make_slot()
    first, second = make_patient(), make_patient(first_name="Olga")
    _book(db, coordinator.actor, slot.id, first)
    with pytest.raises(Conflict, match="already booked"):
        _book(db, coordinator.actor, slot.id, second)


def test_a_patient_books_only_for_themselves(db, make_slot, make_account, make_patient):
    patient = make_account("patient")
    other = make_patient(first_name="Other")
    slot = make_slot()
    with pytest.raises(NotFound):
        _book(db, patient.actor, slot.id, other)
    out = _book(db, patient.actor, slot.id, patient.patient_id)
    assert out.patient_id == patient.patient_id and out.state == "booked"


def test_a_patient_cannot_book_an_online_consultation(db, make_slot, make_account):
    patient = make_account("patient")
    slot = make_slot(kind="online_consultation")
    with pytest.raises(Forbidden, match="coordinator"):
        _book(db, patient.actor, slot.id, patient.patient_id)


def test_a_patient_has_one_appointment_at_a_time(
    db, make_slot, coordinator, make_patient, make_account
):
    pid = make_patient()
    a = make_slot(days_ahead(3, 10), minutes=60)
    b = make_slot(days_ahead(3, 10, 30), holder=make_account("nurse"))
    _book(db, coordinator.actor, a.id, pid)
    with pytest.raises(Conflict, match="already has an appointment"):
        _book(db, coordinator.actor, b.id, pid)


def test_a_slot_that_has_begun_or_was_withdrawn_cannot_be_booked(
    db, make_slot, coordinator, physician, make_patient
):
    pid = make_patient()
    begun, withdrawn = make_slot(days_ahead(3, 9)), make_slot(days_ahead(3, 11))
    with db.transaction() as session:
        session.execute(
            update(Slot)
            .where(Slot.id == begun.id)
            .values(
                starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
                ends_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=25),
            )
        )
    with db.transaction() as session:
        service.cancel_slot(session, physician.actor, withdrawn.id)
    with pytest.raises(Conflict, match="already begun"):
        _book(db, coordinator.actor, begun.id, pid)
    with pytest.raises(Conflict, match="no longer offered"):
        _book(db, coordinator.actor, withdrawn.id, pid)


def test_a_booked_slot_cannot_be_withdrawn_and_a_cancelled_booking_frees_it(
    db, make_slot, coordinator, physician, make_patient
):
    slot = make_slot()
    first, second = make_patient(), make_patient(first_name="Olga")
    booked = _book(db, coordinator.actor, slot.id, first)
    with db.transaction() as session, pytest.raises(Conflict, match="cancel the appointment"):
        service.cancel_slot(session, physician.actor, slot.id)
    with db.transaction() as session:
        cancelled = service.cancel(
            session, coordinator.actor, booked.id, CancellationIn(reason="ill")
        )
    assert cancelled.state == "cancelled" and cancelled.ical_sequence == 1
    with db.transaction() as session, pytest.raises(Conflict, match="already cancelled"):
        service.cancel(session, coordinator.actor, booked.id, CancellationIn())
    again = _book(db, coordinator.actor, slot.id, second)
    assert again.slot_id == slot.id and again.ical_uid != booked.ical_uid
    with db.session() as session:
        history = service.appointments_for_patient(session, coordinator.actor, first)
    assert [a.state for a in history] == ["cancelled"]
