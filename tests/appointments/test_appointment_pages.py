"""The appointment pages: the staff calendar (free and booked slots, publishing a
series with its errors beside the fields, withdrawing, booking for a patient chosen on
their page, cancelling), the patient's own page in German (booking a phone call,
cancelling, the calendar file) and the section of the patient's page."""

from __future__ import annotations

import datetime as dt

from respira.appointments import service
from respira.appointments.schemas import BookingIn
from tests.appointments.conftest import days_ahead


def test_the_calendar_shows_free_and_booked_slots_with_the_patients_name(
    db, page_as, make_slot, make_patient, coordinator
):
    free = make_slot(days_ahead(1, 9))
    booked = make_slot(days_ahead(1, 11), kind="follow_up_visit")
    pid = make_patient(first_name="Greta", last_name="Lindqvist")
    with db.transaction() as session:
        service.book(session, coordinator.actor, booked.id, BookingIn(patient_id=pid))
    page = page_as("nurse").get("/appointments")
    assert page.status_code == 200
    assert "09:00–09:30" in page.text and "11:00–11:30" in page.text
    assert "Lindqvist, Greta" in page.text
    assert "Europe/Berlin" in page.text
    assert f"/appointments/slots/{free.id}/cancel" not in page.text  # nurses do not withdraw


def test_publishing_a_series_from_the_form_and_its_errors_beside_the_fields(db, page_as):
    physician = page_as("physician")
    first = days_ahead(8).date()
    bad = physician.post_form(
        "/appointments/slots",
        {
            "first_day": first.isoformat(),
            "times": "9 o'clock",
            "duration_min": "30",
            "kind": "phone_call",
        },
    )
    assert bad.status_code == 422
    assert 'id="e-times"' in bad.text
    ok = physician.post_form(
        "/appointments/slots",
        {
            "first_day": first.isoformat(),
            "last_day": (first + dt.timedelta(days=6)).isoformat(),
            "wd2": "1",
            "wd4": "1",
            "times": "09:00, 15:00",
            "duration_min": "20",
            "kind": "phone_call",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    with db.session() as session:
        slots = service.list_slots(
            session,
            physician.account.actor,
            dt.datetime.now(dt.UTC),
            dt.datetime.now(dt.UTC) + dt.timedelta(days=20),
        )
    assert len(slots) == 4 and {s.held_by_id for s in slots} == {physician.account.id}
    assert "The slots are published." in physician.get(ok.headers["location"]).text


def test_a_coordinator_books_from_the_patients_page_and_cancels_it(
    db, page_as, make_slot, make_patient
):
    slot = make_slot(days_ahead(2, 10))
    pid = make_patient(first_name="Greta", last_name="Lindqvist")
    coordinator = page_as("coordinator")
    patient_page = coordinator.get(f"/patients/{pid}")
    assert f'href="/appointments?for={pid}"' in patient_page.text
    chooser = coordinator.get(f"/appointments?for={pid}")
    assert "Book for Greta" in chooser.text
    r = coordinator.post_form(
        f"/appointments/slots/{slot.id}/book",
        {"patient_id": str(pid), "back": f"/patients/{pid}"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith(f"/patients/{pid}")
    section = coordinator.get(f"/patients/{pid}").text
    assert "Cancel the appointment" in section
    again = coordinator.post_form(
        f"/appointments/slots/{slot.id}/book", {"patient_id": str(make_patient(first_name="X"))}
    )
    assert again.status_code == 409 and "already booked" in again.text
    with db.session() as session:
        [appointment] = service.appointments_for_patient(session, coordinator.account.actor, pid)
    cancelled = coordinator.post_form(
        f"/appointments/{appointment.id}/cancel",
        {"reason": "Patient travels later", "back": f"/patients/{pid}"},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303
    assert "Patient travels later" in coordinator.get(f"/patients/{pid}").text


def test_withdrawing_a_booked_slot_from_the_calendar_is_refused_with_the_reason(
    db, page_as, make_slot, make_patient, coordinator
):
    slot = make_slot(days_ahead(2, 10))
    with db.transaction() as session:
        service.book(session, coordinator.actor, slot.id, BookingIn(patient_id=make_patient()))
    r = page_as("physician").post_form(f"/appointments/slots/{slot.id}/cancel", {})
    assert r.status_code == 409 and "cancel the appointment first" in r.text


def test_a_patient_books_a_phone_call_in_german_and_cancels_it(db, page_as, make_slot):
    call = make_slot(days_ahead(2, 10))
    online = make_slot(days_ahead(2, 14), kind="online_consultation")
    patient = page_as("patient")
    patient.get("/language?lang=de&next=/my/appointments")  # the switcher, as a visitor
    page = patient.get("/my/appointments?lang=de")
    assert page.status_code == 200
    assert "Meine Termine" in page.text and "Telefongespräch" in page.text
    assert f"/appointments/slots/{online.id}/book" not in page.text
    r = patient.post_form(
        f"/appointments/slots/{call.id}/book",
        {},
        csrf_from="/my/appointments",
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/my/appointments?done=booked"
    booked = patient.get("/my/appointments?done=booked&lang=de")
    assert "Ihr Termin ist gebucht" in booked.text
    with db.session() as session:
        [mine] = service.appointments_for_patient(
            session, patient.account.actor, patient.account.patient_id
        )
    ics = patient.get(f"/appointments/{mine.id}.ics")
    assert ics.status_code == 200 and b"METHOD:REQUEST" in ics.content
    refused = patient.post_form(f"/appointments/slots/{online.id}/book", {})
    assert refused.status_code == 403 and "Meine Termine" in refused.text
    assert "Koordination der Klinik" in refused.text
    out = patient.post_form(f"/appointments/{mine.id}/cancel", {}, follow_redirects=False)
    assert out.status_code == 303
    assert "Sie haben keine anstehenden Termine" in patient.get("/my/appointments?lang=de").text


def test_a_patient_cannot_open_or_cancel_another_patients_appointment(
    db, page_as, make_slot, make_patient, coordinator
):
    slot = make_slot()
    with db.transaction() as session:
        other = service.book(
            session, coordinator.actor, slot.id, BookingIn(patient_id=make_patient())
        )
    patient = page_as("patient")
    assert patient.get(f"/appointments/{other.id}.ics").status_code == 404
    assert patient.post_form(f"/appointments/{other.id}/cancel", {}).status_code == 404
