"""Probable duplicates in intake: converting a request into a person who may already be
registered needs the same explicit statement as registering them (API and page), and
the triage list flags requests whose phone or email another request or a patient has."""

from __future__ import annotations

import json
import re

from sqlalchemy import event, func, select

from respira.intake import service
from respira.intake.models import ConsultationRequest
from respira.kit import audit
from respira.patients.models import Patient
from tests.intake.helpers import make_request

API = "/api/v1/consultation-requests"


def _patients(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(Patient.id)))


def _status(db, rid: int) -> str:
    with db.session() as s:
        req = s.get(ConsultationRequest, rid)
        assert req is not None
        return req.status


def test_converting_a_probable_duplicate_answers_409_until_stated(api_as, make_patient, db):
    pid = make_patient(
        first_name="Maria", last_name="Ivanova", date_of_birth="1980-02-29", email=None,
        phone=None,
    )  # fmt: skip
    rid = make_request(db, name="Иванова Мария", email="m.i@mail.example", phone=None)
    c = api_as("coordinator")
    body = {"date_of_birth": "1980-02-29", "sex_at_birth": "female"}
    r = c.post(f"{API}/{rid}/convert", json=body, headers={"If-Match": '"1"'})
    assert r.status_code == 409, r.text
    answer = r.json()
    assert set(answer) == {"detail", "candidates"}
    [candidate] = answer["candidates"]
    assert candidate["id"] == pid
    assert candidate["name"] == "Maria Ivanova"
    assert candidate["date_of_birth"] == "1980-02-29"
    assert candidate["why"] == "same date of birth and a similar name"
    assert set(candidate) == {"id", "medical_record_number", "name", "date_of_birth", "why"}
    assert _status(db, rid) == "new" and _patients(db) == 1

    r = c.post(
        f"{API}/{rid}/convert",
        json={**body, "not_a_duplicate_of": [pid]},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 201, r.text
    new_id = r.json()["patient"]["id"]
    assert _status(db, rid) == "converted" and _patients(db) == 2
    with db.session() as s:
        actions = [(t.action, t.after) for t in audit.history(s, "patient", new_id)]
    assert [a for a, _ in actions] == ["create", "not_a_duplicate"]
    assert json.loads(actions[1][1])["not_a_duplicate_of"][0]["id"] == pid


def test_converting_someone_with_the_phone_of_a_patient_is_a_probable_duplicate(
    api_as, make_patient, db
):
    pid = make_patient(email=None, phone="+49 30 1234567", country="DE")
    rid = make_request(db, name="Katharina Vogel", email=None, phone="030 1234567", country="DE")
    r = api_as("coordinator").post(
        f"{API}/{rid}/convert",
        json={"date_of_birth": "1990-01-01", "sex_at_birth": "female"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 409
    assert [(c["id"], c["why"]) for c in r.json()["candidates"]] == [(pid, "same phone number")]


def test_the_conversion_page_shows_the_candidates_and_needs_the_statement(
    page_as, make_patient, db
):
    pid = make_patient(
        first_name="Anna", last_name="Müller", date_of_birth="1975-06-01", email=None, phone=None
    )
    rid = make_request(db, name="Anna Mueller", email="anna.m@mail.example", phone=None)
    c = page_as("coordinator")
    page = f"/consultation-requests/{rid}/convert"
    form = dict(re.findall(r'name="(\w+)" (?:type="\w+" )?value="([^"]*)"', c.get(page).text))
    form.update(date_of_birth="1975-06-01", sex_at_birth="female", country="DE")
    form.update(preferred_language="de")  # a list, which the scraping above does not read
    r = c.post_form(page, form, csrf_from=page, follow_redirects=False)
    assert r.status_code == 409
    assert "This person may already be registered" in r.text
    assert f'href="/patients/{pid}"' in r.text and "Anna Müller" in r.text
    assert _status(db, rid) == "new"
    r = c.post_form(
        page,
        {**form, "not_a_duplicate_of": str(pid), "confirm_distinct": "yes"},
        csrf_from=page,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert _status(db, rid) == "converted" and _patients(db) == 2


def test_triage_flags_requests_sharing_a_phone_or_email(page_as, make_patient, db):
    make_patient(email="Greta@Mail.example", phone=None)
    same_phone_a = make_request(db, name="Olga Popova", email=None, phone="+7 495 1234567",
                                country="RU")  # fmt: skip
    same_phone_b = make_request(db, name="Ольга Попова", email=None, phone="8 495 123-45-67",
                                country="RU")  # fmt: skip
    patient_email = make_request(db, name="Greta L", email="greta@mail.example", phone=None)
    alone = make_request(db, name="Someone Else", email="else@mail.example", phone=None)
    with db.session() as s:
        page = service.list_requests(
            s, page_as("coordinator").account.actor, service.QueueFilter(), 1, 25
        )
        statements: list[str] = []
        engine = s.get_bind()

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            flags = service.contact_duplicates(s, page.items)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 2, "one query for the requests, one for the patients"
    assert flags == {
        same_phone_a: {"request"},
        same_phone_b: {"request"},
        patient_email: {"patient"},
    }
    assert alone not in flags

    html = page_as("coordinator").get("/consultation-requests").text
    rows = {rid: html.split(f'href="/consultation-requests/{rid}"')[1].split("</tr>")[0]
            for rid in (same_phone_a, patient_email, alone)}  # fmt: skip
    assert "same phone or email as another request" in rows[same_phone_a]
    assert "same phone or email as a registered patient" in rows[patient_email]
    assert "Possible duplicate" not in rows[alone]
