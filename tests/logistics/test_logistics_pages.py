"""The staff's pages: booking a stay from the patient's page, the stay with its checklist
and what is still open, an item's form (errors next to their fields, a stale form 409),
the board with the airport's and the clinic's times, sending the travel plan, and the
section of the patient's page; admins read without forms."""

from __future__ import annotations

import datetime as dt

from respira.logistics import service
from respira.mail import service as mail
from tests.logistics.logistics_helpers import CAR, days


def test_a_coordinator_books_a_stay_from_the_patients_page(page_as, desk):
    pid = desk.patient(preferred_language="ru")
    coordinator = page_as("coordinator")
    patient_page = coordinator.get(f"/patients/{pid}")
    assert f"/logistics/patients/{pid}/stays/new" in patient_page.text
    form = coordinator.get(f"/logistics/patients/{pid}/stays/new")
    assert form.status_code == 200 and 'id="book-form"' in form.text
    r = coordinator.post_form(
        f"/logistics/patients/{pid}/stays",
        {"arrival_date": str(days(4)), "departure_date": str(days(2)), "room_type": "double"},
    )
    assert r.status_code == 422 and 'id="e-departure_date"' in r.text
    r = coordinator.post_form(
        f"/logistics/patients/{pid}/stays",
        {"arrival_date": str(days(4)), "departure_date": str(days(9)), "companion": "yes"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?booked=1")
    stay = coordinator.get(r.headers["location"])
    assert "The stay is booked" in stay.text
    assert stay.text.count("/items/") >= 6 and 'id="open-items"' in stay.text


def test_an_items_form_shows_errors_next_to_their_fields_and_saves(page_as, desk):
    coordinator = page_as("coordinator")
    stay = desk.book(desk.patient())
    item = desk.items(stay.id)["airport_pickup"]
    path = f"/logistics/stays/{stay.id}/items/{item.id}"
    page = coordinator.get(path)
    assert page.status_code == 200 and 'name="pickup.driver"' in page.text
    r = coordinator.post_form(
        path,
        {"version": str(item.version), "state": "done", "pickup.driver": "Jonas Weber"},
    )
    assert r.status_code == 422 and "cannot be done without" in r.text
    assert 'value="Jonas Weber"' in r.text  # the form as sent
    fields = {f"pickup.{k}": v for k, v in CAR.items() if k != "confirmed"}
    fields |= {f"dropoff.{k}": v for k, v in CAR.items() if k != "confirmed"}
    r = coordinator.post_form(
        path,
        {
            "version": str(item.version),
            "state": "done",
            "owner_id": str(item.owner_id),
            "pickup.confirmed": "on",
            "dropoff.confirmed": "on",
            **fields,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    saved = desk.items(stay.id)["airport_pickup"]
    assert saved.state == "done" and saved.details["dropoff"]["vehicle"] == CAR["vehicle"]
    stale = coordinator.post_form(path, {"version": str(item.version), "state": "in_progress"})
    assert stale.status_code == 409 and "changed by someone else" in stale.text


def test_a_flight_time_the_clocks_skip_is_shown_next_to_the_field(page_as, desk):
    coordinator = page_as("coordinator")
    spring = dt.date(2027, 3, 28)
    stay = desk.book(desk.patient(), spring, spring + dt.timedelta(days=3))
    item = desk.items(stay.id)["flight"]
    r = coordinator.post_form(
        f"/logistics/stays/{stay.id}/items/{item.id}",
        {
            "version": str(item.version),
            "state": "in_progress",
            "arrival.number": "SU 2300",
            "arrival.from_airport": "svo",
            "arrival.departs": "2027-03-28T00:30",
            "arrival.to_airport": "BER",
            "arrival.arrives": "2027-03-28T02:30",
        },
    )
    assert r.status_code == 422
    assert 'id="e-arrival.arrives"' in r.text and "does not exist" in r.text
    assert desk.items(stay.id)["flight"].details == {"arrival": None, "departure": None}


def test_the_board_shows_the_airports_time_and_the_clinics(page_as, desk):
    day = dt.date(2027, 5, 10)
    stay = desk.book(desk.patient(last_name="Orlova"), day, day + dt.timedelta(days=4))
    desk.update(
        stay.id,
        "flight",
        details={
            "arrival": {
                "number": "SU 2310",
                "from_airport": "SVO",
                "departs": "2027-05-10T07:40",
                "to_airport": "LHR",
                "arrives": "2027-05-10T09:45",
            }
        },
    )
    physician = page_as("physician")
    r = physician.get(f"/logistics/board?day={day}")
    assert r.status_code == 200
    arrivals = r.text[r.text.index('id="h-arrivals"') : r.text.index('id="h-departures"')]
    assert "Orlova" in arrivals and "SU2310" in arrivals
    assert "07:40 MSK" in arrivals  # at Sheremetyevo
    assert "09:45 BST" in arrivals  # at Heathrow
    assert "10:45 CEST" in arrivals  # the clinic's time
    assert f"/logistics/stays/{stay.id}" not in r.text  # physicians do not open stays
    assert physician.get("/logistics/board?day=someday").status_code == 200


def test_sending_the_travel_plan_from_the_stay_page(page_as, desk, db):
    coordinator = page_as("coordinator")
    stay = desk.book(desk.patient(preferred_language="de"))
    r = coordinator.post_form(f"/logistics/stays/{stay.id}/travel-plan", {}, follow_redirects=False)
    assert r.status_code == 303
    with db.session() as s:
        [message] = mail.outbox(s, kind=service.MAIL_KIND)
    assert "Reiseplan" in message.subject
    no_email = desk.book(desk.patient(email=None))
    r = coordinator.post_form(f"/logistics/stays/{no_email.id}/travel-plan", {})
    assert r.status_code == 422 and "no email address" in r.text


def test_an_admin_reads_the_stay_without_forms_and_a_nurse_cannot_open_it(page_as, desk):
    stay = desk.book(desk.patient())
    admin = page_as("admin")
    r = admin.get(f"/logistics/stays/{stay.id}")
    assert r.status_code == 200 and "/travel-plan" not in r.text and "/edit" not in r.text
    item = desk.items(stay.id)["meals"]
    r = admin.get(f"/logistics/stays/{stay.id}/items/{item.id}")
    assert r.status_code == 200 and "<fieldset disabled" in r.text
    assert page_as("nurse").get(f"/logistics/stays/{stay.id}").status_code == 403


def test_the_patients_page_shows_stays_to_coordinators_and_diets_to_nurses(page_as, desk):
    pid = desk.patient()
    stay = desk.book(pid, days(2), days(5))
    desk.restrict(pid, "Sesame")
    coordinator = page_as("coordinator").get(f"/patients/{pid}").text
    assert f"/logistics/stays/{stay.id}" in coordinator and "Sesame" in coordinator
    nurse = page_as("nurse").get(f"/patients/{pid}").text
    assert "Sesame" in nurse and f"/logistics/stays/{stay.id}" not in nurse
