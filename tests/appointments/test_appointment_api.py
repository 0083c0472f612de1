"""The JSON contract of appointments, the iCalendar invitation in the outbox in the
patient's language (parsed back with ``icalendar``), its cancellation with the same UID
and the next SEQUENCE, the invitation delivered by a real SMTP server, and one slot
booked once by two coordinators at the same moment, on each database."""

from __future__ import annotations

import datetime as dt
import threading

import icalendar

from respira.kit.db import utcnow
from respira.mail import service as mail
from tests.appointments.conftest import BERLIN, days_ahead, next_spring_forward


def _calendar(data: bytes) -> tuple[icalendar.Calendar, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    [event] = cal.walk("VEVENT")
    return cal, event


def test_get_slots_answers_the_contract_fields_for_a_period(api_as, make_slot):
    in_range = make_slot(days_ahead(2, 9))
    make_slot(days_ahead(20, 9))
    day = days_ahead(2).date()
    r = api_as("coordinator").get(f"/api/v1/slots?from={day}&to={day}")
    assert r.status_code == 200
    [slot] = r.json()
    assert {"id", "start", "end", "kind", "booked"} <= set(slot)
    assert slot["id"] == in_range.id and slot["booked"] is False
    assert dt.datetime.fromisoformat(slot["start"]) == in_range.start


def test_get_slots_refuses_a_malformed_or_too_long_period(api_as):
    api = api_as("coordinator")
    assert api.get("/api/v1/slots?from=tomorrow").status_code == 422
    r = api.get("/api/v1/slots?from=2030-01-01&to=2030-12-31")
    assert r.status_code == 422 and "92 days" in r.text


def test_a_patient_sees_only_the_slots_they_may_book(api_as, make_slot):
    call = make_slot(days_ahead(2, 9), kind="phone_call")
    make_slot(days_ahead(2, 11), kind="online_consultation")
    patient = api_as("patient")
    assert [s["id"] for s in patient.get("/api/v1/slots").json()] == [call.id]


def test_publishing_through_the_api_refuses_an_unknown_zone_and_a_skipped_time(api_as):
    api = api_as("physician")
    sunday = next_spring_forward()
    bad_zone = api.post(
        "/api/v1/slots",
        json={
            "start": f"{sunday}T09:00",
            "duration_min": 30,
            "kind": "phone_call",
            "time_zone": "Europe/Atlantis",
        },
    )
    assert bad_zone.status_code == 422 and "time zone" in bad_zone.text
    skipped = api.post(
        "/api/v1/slots",
        json={"start": f"{sunday}T02:30", "duration_min": 30, "kind": "phone_call"},
    )
    assert skipped.status_code == 422 and "does not exist" in skipped.text
    ok = api.post(
        "/api/v1/slots",
        json={"start": f"{sunday}T09:00", "duration_min": 30, "kind": "phone_call"},
    )
    assert ok.status_code == 201
    assert dt.datetime.fromisoformat(ok.json()["start"]).astimezone(BERLIN).hour == 9


def test_booking_puts_a_german_invitation_with_a_calendar_request_in_the_outbox(
    db, api_as, make_slot, make_patient, physician
):
    sunday = next_spring_forward()
    # Published before the change to summer time is known to the slot's week: Monday
    # 09:00 in Berlin is 07:00 UTC (CEST), not 08:00.
    slot = make_slot(dt.datetime.combine(sunday + dt.timedelta(days=1), dt.time(9)))
    pid = make_patient(preferred_language="de", email="anna.schmidt@mail.example")
    coordinator = api_as("coordinator")
    r = coordinator.post(f"/api/v1/slots/{slot.id}/book", json={"patient_id": pid})
    assert r.status_code == 201, r.text
    appointment = r.json()

    with db.session() as session:
        [invitation] = mail.outbox(session, kind="appointments.invitation", patient_id=pid)
    assert invitation.to == ["anna.schmidt@mail.example"]
    assert invitation.subject.startswith("Ihr Termin: Telefongespräch")
    assert "Guten Tag" in invitation.text or "Sehr geehrte" in invitation.text
    assert "Europe/Berlin" in invitation.text and "09:00" in invitation.text
    [ics] = invitation.attachments
    assert ics.content_type == "text/calendar; method=REQUEST"
    cal, event = _calendar(ics.data)
    assert str(cal["METHOD"]) == "REQUEST"
    start = event.decoded("DTSTART")
    assert start == slot.start
    assert str(start.tzinfo) == "Europe/Berlin" and start.hour == 9
    assert start.utcoffset() == dt.timedelta(hours=2)
    assert event.decoded("DTEND") - start == dt.timedelta(minutes=30)
    assert str(event["UID"]) == appointment["ical_uid"]
    assert int(event["SEQUENCE"]) == 0
    assert "Telefongespräch" in str(event["SUMMARY"])
    assert str(event["ORGANIZER"]) == "mailto:respira@localhost"
    attendees = [str(a) for a in event.get("ATTENDEE")]
    assert "mailto:anna.schmidt@mail.example" in attendees
    assert f"mailto:{physician.email}" in attendees
    assert cal.walk("VTIMEZONE"), "the zone's rules travel with the entry"


def test_an_invitation_in_russian_and_english_by_the_patients_language(
    db, api_as, make_slot, make_patient
):
    ru = make_patient(preferred_language="ru", email="olga@mail.example", first_name="Olga")
    sv = make_patient(preferred_language="sv", email="greta@mail.example")
    coordinator = api_as("coordinator")
    coordinator.post(
        f"/api/v1/slots/{make_slot(days_ahead(3, 9)).id}/book", json={"patient_id": ru}
    )
    coordinator.post(
        f"/api/v1/slots/{make_slot(days_ahead(3, 11)).id}/book", json={"patient_id": sv}
    )
    with db.session() as session:
        [russian] = mail.outbox(session, patient_id=ru)
        [english] = mail.outbox(session, patient_id=sv)
    assert russian.subject.startswith("Ваша запись")
    assert english.subject.startswith("Your appointment: Phone call")


def test_cancelling_sends_method_cancel_with_the_same_uid_and_the_next_sequence(
    db, api_as, make_slot, make_account
):
    patient = api_as("patient")
    slot = make_slot()
    booked = patient.post(
        f"/api/v1/slots/{slot.id}/book", json={"patient_id": patient.account.patient_id}
    ).json()
    r = patient.post(f"/api/v1/appointments/{booked['id']}/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    with db.session() as session:
        invitation, cancellation = mail.outbox(session, patient_id=patient.account.patient_id)
    assert invitation.attachments[0].content_type.endswith("method=REQUEST")
    assert cancellation.attachments[0].content_type == "text/calendar; method=CANCEL"
    cal, event = _calendar(cancellation.attachments[0].data)
    assert str(cal["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == booked["ical_uid"] and int(event["SEQUENCE"]) == 1
    assert patient.get("/api/v1/slots").json()[0]["booked"] is False


def test_the_calendar_file_downloads_as_text_calendar_for_its_patient_only(api_as, make_slot):
    patient = api_as("patient")
    slot = make_slot()
    booked = patient.post(
        f"/api/v1/slots/{slot.id}/book", json={"patient_id": patient.account.patient_id}
    ).json()
    r = patient.get(f"/api/v1/appointments/{booked['id']}.ics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    _cal, event = _calendar(r.content)
    assert event.decoded("DTSTART") == slot.start
    other = api_as("patient")
    assert other.get(f"/api/v1/appointments/{booked['id']}.ics").status_code == 404
    assert other.get(f"/api/v1/appointments/{booked['id']}").status_code == 404
    assert other.post(f"/api/v1/appointments/{booked['id']}/cancel").status_code == 404
    mine = f"/api/v1/patients/{patient.account.patient_id}/appointments"
    assert other.get(mine).status_code == 404
    assert [a["id"] for a in patient.get(mine).json()] == [booked["id"]]
    assert api_as("nurse").get(mine).status_code == 200


def test_a_patient_booking_for_someone_else_is_answered_404(api_as, make_slot, make_patient):
    other = make_patient(first_name="Other")
    r = api_as("patient").post(f"/api/v1/slots/{make_slot().id}/book", json={"patient_id": other})
    assert r.status_code == 404


def test_the_invitation_arrives_through_smtp_as_a_calendar_request(
    db, api_as, make_slot, make_patient, smtp_server
):
    pid = make_patient(preferred_language="de", email="anna.schmidt@mail.example")
    api_as("coordinator").post(f"/api/v1/slots/{make_slot().id}/book", json={"patient_id": pid})
    assert mail.send_due(db, utcnow()) == 1
    [message] = smtp_server.messages
    assert message["To"] == "anna.schmidt@mail.example"
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    _cal, event = _calendar(part.get_payload(decode=True))
    assert str(event.decoded("DTSTART").tzinfo) == "Europe/Berlin"


def test_two_coordinators_booking_one_slot_at_once_get_one_201_and_one_409(
    api_as, make_slot, make_patient
):
    slot = make_slot()
    patients = [make_patient(first_name=f"P{n}", email=f"p{n}@mail.example") for n in range(2)]
    clients = [api_as("coordinator") for _ in patients]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def book(client, pid) -> None:
        barrier.wait()
        statuses.append(
            client.post(f"/api/v1/slots/{slot.id}/book", json={"patient_id": pid}).status_code
        )

    threads = [
        threading.Thread(target=book, args=pair) for pair in zip(clients, patients, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [201, 409]
    pairs = zip(clients, patients, strict=True)
    booked = [c.get(f"/api/v1/patients/{p}/appointments").json() for c, p in pairs]
    assert sorted(len(b) for b in booked) == [0, 1]


def test_withdrawing_a_free_slot_removes_it_from_the_list(api_as, make_slot):
    slot = make_slot()
    api = api_as("physician")
    assert api.post(f"/api/v1/slots/{slot.id}/cancel").json()["cancelled"] is True
    assert api.get("/api/v1/slots").json() == []
    assert api.post(f"/api/v1/slots/{slot.id}/cancel").status_code == 409
