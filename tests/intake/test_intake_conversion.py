"""Converting a request into a patient: the form is filled in from the request, the
coordinator adds only what is missing, and the patient, the link and the status change
are written in one audited transaction. A request is converted once."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from respira.intake.models import ConsultationRequest
from respira.intake.service import split_name
from respira.kit import audit
from respira.patients.models import Patient
from tests.intake.helpers import PATH_TO, make_request

API = "/api/v1/consultation-requests"


def patients(db) -> list[Patient]:
    with db.session() as s:
        return list(s.scalars(select(Patient).order_by(Patient.id)))


def request_row(db, rid: int) -> ConsultationRequest:
    with db.session() as s:
        req = s.get(ConsultationRequest, rid)
        assert req is not None
        return req


@pytest.mark.parametrize(
    ("typed", "first", "last"),
    [
        ("Katharina Vogel", "Katharina", "Vogel"),
        ("Anna Maria Schmidt", "Anna Maria", "Schmidt"),
        ("Ludwig van Beethoven", "Ludwig", "van Beethoven"),
        ("Anna van der Berg", "Anna", "van der Berg"),
        ("Иванов Иван Иванович", "Иван Иванович", "Иванов"),
        ("Иван Иванович Иванов", "Иван Иванович", "Иванов"),
        ("Smirnova Olga Petrovna", "Olga Petrovna", "Smirnova"),
        ("  Madonna  ", "Madonna", ""),
        ("Fatima Al Mansouri", "Fatima", "Al Mansouri"),
        ("Anna De Luca", "Anna", "De Luca"),
        ("Van Morrison", "Van", "Morrison"),
    ],
)
def test_the_single_name_is_split_as_a_suggestion(typed, first, last):
    assert split_name(typed) == (first, last)


def test_the_conversion_form_is_filled_in_from_the_request(page_as, db):
    rid = make_request(
        db, name="Ирина Волкова", country="RU", preferred_language="ru", phone="+7 812 3456789"
    )
    html = page_as("coordinator").get(f"/consultation-requests/{rid}/convert").text
    for field, value in [
        ("first_name", "Ирина"),
        ("last_name", "Волкова"),
        ("email", "k.vogel@mail.example"),
        ("phone", "+78123456789"),
        ("date_of_birth", ""),
    ]:
        assert re.search(rf'id="f-{field}" name="{field}"[^>]*value="{re.escape(value)}"', html), (
            field
        )
    assert '<option value="RU" selected>' in html
    assert '<option value="ru" selected>' in html  # the preferred language, from a list
    assert re.search(r'name="version" value="1"', html)


@pytest.mark.parametrize("start", ["new", "contacted", "scheduled"])
def test_converting_creates_the_patient_links_it_and_marks_the_request_converted(
    page_as, api_as, db, start
):
    rid = make_request(db, name="Katharina Vogel", country="DE", preferred_language="de")
    version = 1
    api = api_as("coordinator")
    for step in PATH_TO[start]:
        r = api.patch(f"{API}/{rid}", json={"status": step}, headers={"If-Match": f'"{version}"'})
        version = r.json()["version"]
    c = page_as("coordinator")
    page = f"/consultation-requests/{rid}/convert"
    form = dict(re.findall(r'name="(\w+)" (?:type="\w+" )?value="([^"]*)"', c.get(page).text))
    form.update(date_of_birth="1979-04-12", sex_at_birth="female", country="DE", height_cm="168")
    form.update(preferred_language="de")  # a list, which the scraping above does not read
    r = c.post_form(page, form, csrf_from=page, follow_redirects=False)
    assert r.status_code == 303, r.text
    [patient] = patients(db)
    assert r.headers["location"] == f"/patients/{patient.id}?created=1"
    assert (patient.first_name, patient.last_name, patient.email, patient.phone) == (
        "Katharina",
        "Vogel",
        "k.vogel@mail.example",
        "+49301234567",
    )
    assert (patient.country, patient.preferred_language, patient.sex_at_birth) == (
        "DE",
        "de",
        "female",
    )
    assert str(patient.date_of_birth) == "1979-04-12" and patient.height_cm == 168
    req = request_row(db, rid)
    assert (req.status, req.patient_id, req.version) == ("converted", patient.id, version + 1)
    with db.session() as s:
        [created] = audit.history(s, "patient", patient.id)
        last = audit.history(s, "consultation_request", rid)[-1]
    assert created.action == "create" and created.actor_id == c.account.id
    assert created.reason == f"converted from consultation request {rid}"
    assert last.action == "convert" and last.actor_id == c.account.id
    assert json.loads(last.before) == {"status": start, "patient_id": None}
    assert json.loads(last.after) == {"status": "converted", "patient_id": patient.id}


def test_the_patient_page_shows_where_the_patient_came_from(page_as, api_as, db):
    rid = make_request(db, description="Asthma seit 2016\n<b>Dupilumab</b>")
    out = api_as("coordinator").post(
        f"{API}/{rid}/convert",
        json={"date_of_birth": "1978-05-17", "sex_at_birth": "female"},
        headers={"If-Match": '"1"'},
    )
    pid = out.json()["patient"]["id"]
    html = page_as("physician").get(f"/patients/{pid}").text
    assert "Came from a consultation request" in html
    assert "Asthma seit 2016<br>&lt;b&gt;Dupilumab&lt;/b&gt;" in html
    assert f'href="/consultation-requests/{rid}"' not in html  # physicians have no queue
    coordinator_html = page_as("coordinator").get(f"/patients/{pid}").text
    assert f'href="/consultation-requests/{rid}"' in coordinator_html


def test_a_patient_without_a_request_has_no_origin_section(page_as, make_patient):
    pid = make_patient()
    assert (
        "Came from a consultation request"
        not in page_as("coordinator").get(f"/patients/{pid}").text
    )


def test_a_second_conversion_is_refused_and_creates_no_second_patient(api_as, db):
    rid = make_request(db)
    c = api_as("coordinator")
    body = {"date_of_birth": "1978-05-17", "sex_at_birth": "male"}
    first = c.post(f"{API}/{rid}/convert", json=body, headers={"If-Match": '"1"'})
    assert first.status_code == 201
    again = c.post(f"{API}/{rid}/convert", json=body, headers={"If-Match": '"2"'})
    assert again.status_code == 409
    assert "already converted" in again.json()["detail"]
    assert len(patients(db)) == 1


def test_a_converted_request_is_final(api_as, page_as, db):
    rid = make_request(db)
    c = api_as("coordinator")
    c.post(
        f"{API}/{rid}/convert",
        json={"date_of_birth": "1978-05-17", "sex_at_birth": "male"},
        headers={"If-Match": '"1"'},
    )
    for status in ["new", "contacted", "scheduled"]:
        r = c.patch(f"{API}/{rid}", json={"status": status}, headers={"If-Match": '"2"'})
        assert r.status_code == 409
    r = c.patch(
        f"{API}/{rid}",
        json={"status": "declined", "decline_reason": "x"},
        headers={"If-Match": '"2"'},
    )
    assert r.status_code == 409
    assert request_row(db, rid).status == "converted"
    page = page_as("coordinator")
    assert page.get(f"/consultation-requests/{rid}/convert").status_code == 409


def test_a_declined_request_cannot_be_converted(api_as, db):
    rid = make_request(db)
    c = api_as("coordinator")
    c.patch(
        f"{API}/{rid}",
        json={"status": "declined", "decline_reason": "duplicate"},
        headers={"If-Match": '"1"'},
    )
    r = c.post(
        f"{API}/{rid}/convert",
        json={"date_of_birth": "1978-05-17", "sex_at_birth": "male"},
        headers={"If-Match": '"2"'},
    )
    assert r.status_code == 409
    assert patients(db) == []


def test_missing_patient_fields_are_shown_and_nothing_is_created(page_as, db):
    rid = make_request(db, name="Madonna")
    c = page_as("coordinator")
    page = f"/consultation-requests/{rid}/convert"
    r = c.post_form(
        page,
        {"first_name": "Madonna", "last_name": "", "country": "DE", "preferred_language": "de",
         "version": "1"},
        csrf_from=page,
    )  # fmt: skip
    assert r.status_code == 422
    for field in ("last_name", "date_of_birth", "sex_at_birth"):
        assert re.search(rf'<span class="error" id="e-{field}">', r.text), field
    assert 'value="Madonna"' in r.text
    assert patients(db) == []
    assert request_row(db, rid).status == "new"


def test_a_stale_conversion_form_answers_409_and_creates_nothing(page_as, api_as, db):
    rid = make_request(db)
    api_as("coordinator").patch(f"{API}/{rid}", json={"notes": "x"}, headers={"If-Match": '"1"'})
    c = page_as("coordinator")
    page = f"/consultation-requests/{rid}/convert"
    r = c.post_form(
        page,
        {"first_name": "K", "last_name": "V", "date_of_birth": "1979-04-12",
         "sex_at_birth": "female", "country": "DE", "preferred_language": "de", "version": "1"},
        csrf_from=page,
    )  # fmt: skip
    assert r.status_code == 409
    assert patients(db) == []
    with db.session() as s:
        assert s.scalar(select(func.count(ConsultationRequest.id))) == 1


def test_the_api_conversion_carries_fields_over_unless_sent(api_as, db):
    rid = make_request(db, name="Oliver Bennett", country="GB", preferred_language="en")
    r = api_as("admin").post(
        f"{API}/{rid}/convert",
        json={
            "date_of_birth": "1980-01-31",
            "sex_at_birth": "male",
            "first_name": "Oliver James",
            "email": None,
            "weight_kg": 81.5,
        },
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["consultation_request"]["status"] == "converted"
    assert out["consultation_request"]["patient_id"] == out["patient"]["id"]
    p = out["patient"]
    assert (p["first_name"], p["last_name"], p["email"], p["phone"], p["country"]) == (
        "Oliver James",
        "Bennett",
        None,
        "+49301234567",
        "GB",
    )
    assert p["weight_kg"] == 81.5 and p["medical_record_number"].startswith("RSP-")
    assert r.headers["location"] == f"/api/v1/patients/{p['id']}"


def test_the_api_conversion_needs_if_match_and_the_missing_fields(api_as, db):
    rid = make_request(db)
    c = api_as("coordinator")
    body = {"date_of_birth": "1980-01-31", "sex_at_birth": "male"}
    assert c.post(f"{API}/{rid}/convert", json=body).status_code == 428
    r = c.post(f"{API}/{rid}/convert", json={"sex_at_birth": "male"}, headers={"If-Match": '"1"'})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "date_of_birth"
    single = make_request(db, name="Madonna")
    r = c.post(f"{API}/{single}/convert", json=body, headers={"If-Match": '"1"'})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "last_name"
    assert patients(db) == []


def test_the_patient_sees_their_own_request_but_not_the_coordinators_notes(page_as, api_as, db):
    rid = make_request(db, description="Seit 2016 schweres Asthma")
    c = api_as("coordinator")
    c.patch(
        f"{API}/{rid}", json={"notes": "internal: call back Tuesday"}, headers={"If-Match": '"1"'}
    )
    out = c.post(
        f"{API}/{rid}/convert",
        json={"date_of_birth": "1978-05-17", "sex_at_birth": "female"},
        headers={"If-Match": '"2"'},
    ).json()
    pid = out["patient"]["id"]
    # The patient reads in their preferred language (German here); asked for in English:
    html = page_as("patient", patient_id=pid).get(f"/patients/{pid}?lang=en").text
    assert "Came from a consultation request" in html
    assert "Seit 2016 schweres Asthma" in html
    assert "internal: call back Tuesday" not in html
    assert f'href="/consultation-requests/{rid}"' not in html
    assert "internal: call back Tuesday" in page_as("physician").get(f"/patients/{pid}").text
