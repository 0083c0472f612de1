"""The patient's travel plan: "send travel plan" puts an email into the outbox in the
patient's language with the flights at their airports' local times, the pickup's
driver, car and meeting point, the room, the interpreter and the diet, with the visa
letter attached; it is audited and refused without an email address. The patient sees
their own plan at /my/travel and nobody else's."""

from __future__ import annotations

import datetime as dt

import pytest

from respira.kit import audit
from respira.kit.errors import InvalidInput
from respira.logistics import service
from respira.logistics.schemas import CancellationIn
from respira.mail import service as mail
from tests.conftest import api_token
from tests.logistics.logistics_helpers import CAR, days, leg

ARRIVAL = dt.date(2027, 3, 27)


def _ready_stay(desk, **patient):
    pid = desk.patient(**patient)
    stay = desk.book(pid, ARRIVAL, ARRIVAL + dt.timedelta(days=7))
    desk.update(
        stay.id,
        "flight",
        details={
            "arrival": leg(
                "SU 2310", "SVO", "2027-03-27T07:40", "BER", "2027-03-27T09:10", to_terminal="1"
            ),
        },
    )
    desk.update(stay.id, "airport_pickup", details={"pickup": CAR})
    desk.update(stay.id, "accommodation", details={"room": "Garden wing 12"})
    desk.update(stay.id, "interpreter", details={"interpreter": "Irina Volkova"})
    desk.update(stay.id, "meals", details={"diet": "halal"})
    desk.restrict(pid, "Peanut")
    return pid, stay


def _send(desk, stay_id):
    with desk.db.transaction() as s:
        return service.send_travel_plan(s, desk.actor, stay_id)


def test_the_travel_plan_email_is_in_russian_with_the_pickup_and_the_letter(desk, db):
    pid, stay = _ready_stay(desk, preferred_language="ru", first_name="Ольга")
    sent = _send(desk, stay.id)
    assert sent.travel_plan_sent_at is not None
    with db.session() as s:
        [message] = mail.outbox(s, kind=service.MAIL_KIND)
        trail = audit.history(s, "stay", stay.id)
    assert message.patient_id == pid and message.to == ["travel1@mail.example"]
    assert "Ваш план поездки" in message.subject
    text = message.text
    for words in (
        "Ольга",
        "SU2310",
        "07:40",  # the local time at Sheremetyevo
        "09:10",  # the local time in Berlin
        "Jonas Weber",
        "+49 170 5550123",
        "Grey VW Caravelle",
        "Arrivals, exit B",
        "Garden wing 12",
        "Irina Volkova",
        "халяль",
        "Peanut",
        "https://respira.clinic.example.org/login?next=/my/travel",
    ):
        assert words in text, words
    assert "Dear" not in text
    [attachment] = message.attachments
    assert attachment.filename == service.LETTER_FILE
    assert attachment.data.startswith(b"%PDF")
    assert trail[-1].action == "send_travel_plan" and '"language":"ru"' in trail[-1].after


def test_a_patient_without_an_email_address_is_refused_naming_the_email(desk, db):
    pid = desk.patient(email=None)
    stay = desk.book(pid)
    with pytest.raises(InvalidInput) as refused:
        _send(desk, stay.id)
    assert "email" in refused.value.errors
    with db.session() as s:
        assert mail.outbox(s, kind=service.MAIL_KIND) == []
        assert service.get_stay(s, desk.actor, stay.id).travel_plan_sent_at is None


def test_a_patient_sees_their_own_travel_plan_and_nobody_elses(page_as, desk):
    pid, stay = _ready_stay(desk, preferred_language="de")
    other_pid = desk.patient(first_name="Someone", last_name="Else")
    other = desk.book(other_pid, days(2), days(6))
    page = page_as("patient", patient_id=pid)
    r = page.get("/my/travel")
    assert r.status_code == 200
    assert "Jonas Weber" in r.text and "Garden wing 12" in r.text and "Peanut" in r.text
    assert "Meine Reise" in r.text  # the patient's language
    assert "Else" not in r.text
    assert page.get(f"/my/travel/{stay.id}/invitation-letter.pdf").status_code == 200
    assert page.get(f"/my/travel/{other.id}/invitation-letter.pdf").status_code == 404
    bearer = {"Authorization": f"Bearer {api_token(page, page.account)}"}
    plan = page.get(f"/api/v1/stays/{stay.id}/travel-plan", headers=bearer)
    assert plan.json()["pickup"]["driver"] == "Jonas Weber"
    assert page.get(f"/api/v1/stays/{other.id}/travel-plan", headers=bearer).status_code == 404
    assert page.get("/api/v1/stays", headers=bearer).status_code == 403
    assert page.get(f"/api/v1/stays/{other.id}/checklist", headers=bearer).status_code == 403


def test_a_cancelled_stay_leaves_the_patients_travel_page(page_as, desk, db):
    pid = desk.patient()
    stay = desk.book(pid, days(5), days(9))
    page = page_as("patient", patient_id=pid)
    assert f"stay-{stay.id}" in page.get("/my/travel").text
    with db.transaction() as s:
        service.cancel_stay(s, desk.actor, stay.id, CancellationIn(reason="Postponed"))
    assert f"stay-{stay.id}" not in page.get("/my/travel").text
    assert page.get(f"/my/travel/{stay.id}/invitation-letter.pdf").status_code == 409
