"""A serious event raises its alert at once: an email through the outbox to the on-call
roster (or, with nobody on call, to every active physician and admin) that a real SMTP
server receives, a banner on every physician's page until someone acknowledges it, and
the e-signed initial report with its follow-ups."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from respira.accounts import service as accounts
from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.audit import Signature
from respira.kit.db import utcnow
from respira.mail import service as mail
from respira.patients import service as patients
from respira.safety import service
from respira.safety.schemas import OnCallIn
from tests.conftest import PASSWORD
from tests.safety.safety_helpers import event

SERIOUS = {
    "term": "Bronchospasm",
    "grade": 3,
    "serious_criteria": ["important_medical_event"],
    "causality": "possible",
}


def record(client: Any, pid: int, **fields: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/patients/{pid}/adverse-events", json=event(**fields))
    assert r.status_code == 201, r.text
    return dict(r.json())


def alerts(db: Any) -> list[mail.OutboxView]:
    with db.session() as s:
        return mail.outbox(s, kind=service.ALERT_KIND)


ROSTER_KEEPER = Actor.system("test-roster")


def on_call(db: Any, account: Any, role: str = "physician", hours: float = 8) -> None:
    now = utcnow()
    with db.transaction() as s:
        service.add_shift(
            s,
            ROSTER_KEEPER,
            OnCallIn(
                user_id=account.id,
                role=role,
                starts_at=now - dt.timedelta(hours=1),
                ends_at=now + dt.timedelta(hours=hours),
            ),
        )


def test_serious_event_alerts_the_physician_on_call_and_the_medical_director_only(
    db, nurse_api, make_account, make_patient
):
    on_duty, off_duty, director = (make_account("physician") for _ in range(3))
    on_call(db, on_duty)
    on_call(db, director, "medical_director")
    pid = make_patient()
    record(nurse_api, pid, **SERIOUS)
    [alert] = alerts(db)
    assert sorted(alert.to) == sorted([on_duty.email, director.email])
    assert off_duty.email not in alert.to and alert.patient_id == pid
    with db.session() as s:  # the roster is read at the moment of the event
        later = utcnow() + dt.timedelta(hours=9)
        assert service.on_call_physicians(s, later) == []


def test_with_nobody_on_call_a_serious_event_alerts_every_active_physician_and_admin(
    db, nurse_api, make_account, make_patient
):
    doctors = [make_account("physician"), make_account("physician")]
    admin = make_account("admin")
    gone = make_account("physician")
    with db.transaction() as s:
        accounts.set_active(s, ROSTER_KEEPER, gone.email, False, "left the clinic")
    nurse_email = nurse_api.account.email
    pid = make_patient()
    record(nurse_api, pid, term="Headache", grade=3)  # severe, not serious: no alert
    assert alerts(db) == []
    record(nurse_api, pid, **SERIOUS)
    [alert] = alerts(db)
    assert {d.email for d in doctors} | {admin.email} <= set(alert.to)
    assert gone.email not in alert.to and nurse_email not in alert.to


def test_the_alert_says_only_that_an_event_waits_with_the_record_number_and_link(
    db, nurse_api, make_patient, make_account
):
    make_account("physician")
    pid = make_patient(first_name="Ingrid")
    body = record(
        nurse_api, pid, **SERIOUS, narrative="wheeze after the infusion", action="salbutamol"
    )
    [alert] = alerts(db)
    with db.session() as s:
        mrn = patients.find(s, pid).medical_record_number
    assert mrn in alert.text and f"/adverse-events/{body['id']}" in alert.text
    for secret in ("Ingrid", "Bronchospasm", "wheeze", "salbutamol"):
        assert secret not in alert.text and secret not in alert.subject
    assert "Prüfung" in alert.text and "оценка врача" in alert.text  # de and ru too


def test_the_alert_arrives_at_a_real_smtp_server_and_waits_while_it_is_down(
    db, nurse_api, make_patient, make_account, smtp_server
):
    doctor = make_account("physician")
    smtp_server.stop()
    record(nurse_api, make_patient(), **SERIOUS)
    assert mail.send_due(db, utcnow()) == 0
    [waiting] = alerts(db)
    assert waiting.state == "pending" and waiting.attempts == 1
    smtp_server.start()
    assert mail.send_due(db, utcnow() + dt.timedelta(hours=1)) == 1
    [message] = smtp_server.messages
    assert doctor.email in smtp_server.envelopes[0]
    assert "serious adverse event" in message["Subject"]


def test_physicians_see_the_banner_until_someone_acknowledges(db, nurse_api, page_as, make_patient):
    first, second = page_as("physician"), page_as("physician")
    nurse_page = page_as("nurse")
    eid = record(nurse_api, make_patient(), **SERIOUS)["id"]
    banner = f'href="/adverse-events/{eid}">Serious adverse event awaiting acknowledgement'
    assert banner in first.get("/").text and banner in second.get("/safety").text
    assert banner not in nurse_page.get("/").text
    r = first.post_form(f"/adverse-events/{eid}/acknowledge", {}, follow_redirects=False)
    assert r.status_code == 303
    assert banner not in second.get("/").text
    with db.session() as s:
        assert [a.action for a in audit.history(s, "adverse_event", eid)][-1] == "acknowledge"


def test_the_banner_is_in_the_physicians_language(db, nurse_api, page_as, make_patient):
    doctor = page_as("physician")
    pid = make_patient()
    eid = record(nurse_api, pid, **SERIOUS)["id"]
    german = doctor.get("/?lang=de").text
    assert (
        f'href="/adverse-events/{eid}">Schwerwiegendes unerwünschtes Ereignis wartet auf '
        "Bestätigung: Patient " in german
    )
    assert ">Station</a>" in german  # the navigation too


def test_acknowledging_twice_or_a_non_serious_event_is_409(doctor_api, nurse_api, make_patient):
    pid = make_patient()
    serious = record(nurse_api, pid, **SERIOUS)["id"]
    mild = record(nurse_api, pid)["id"]
    url = "/api/v1/adverse-events/{}/acknowledge"
    assert doctor_api.post(url.format(serious)).status_code == 200
    assert doctor_api.post(url.format(serious)).status_code == 409
    assert doctor_api.post(url.format(mild)).status_code == 409
    assert nurse_api.post(url.format(serious)).status_code == 403


def test_initial_report_is_e_signed_by_a_physician_and_follow_ups_add_to_it(
    db, doctor_api, nurse_api, make_patient
):
    eid = record(nurse_api, make_patient(), **SERIOUS)["id"]
    url = f"/api/v1/adverse-events/{eid}/reports"
    early = doctor_api.post(url, json={"kind": "follow_up", "text": "x", "password": PASSWORD})
    assert early.status_code == 409
    wrong = doctor_api.post(url, json={"kind": "initial", "text": "x", "password": "nope"})
    assert wrong.status_code == 403
    initial = {"kind": "initial", "text": "Bronchospasm G3 ...", "password": PASSWORD}
    r = doctor_api.post(url, json=initial)
    assert r.status_code == 201, r.text
    assert (r.json()["number"], r.json()["kind"]) == (1, "initial")
    again = doctor_api.post(url, json={"kind": "initial", "text": "x", "password": PASSWORD})
    assert again.status_code == 409
    follow_up = {"kind": "follow_up", "text": "resolved", "password": PASSWORD}
    follow = doctor_api.post(url, json=follow_up)
    assert follow.status_code == 201 and follow.json()["number"] == 2
    detail = doctor_api.get(f"/api/v1/adverse-events/{eid}").json()
    assert [x["kind"] for x in detail["reports"]] == ["initial", "follow_up"]
    assert detail["acknowledged_by_name"] == doctor_api.account.actor.name  # signing deals with it
    with db.session() as s:
        meanings = s.scalars(select(Signature.meaning).order_by(Signature.id)).all()
    assert meanings[-2:] == ["initial safety report", "follow-up safety report"]


def test_a_non_serious_event_has_no_report_and_a_nurse_signs_none(
    doctor_api, nurse_api, make_patient
):
    pid = make_patient()
    mild = record(nurse_api, pid)["id"]
    body = {"kind": "initial", "text": "x", "password": PASSWORD}
    assert doctor_api.post(f"/api/v1/adverse-events/{mild}/reports", json=body).status_code == 409
    serious = record(nurse_api, pid, **SERIOUS)["id"]
    assert nurse_api.post(f"/api/v1/adverse-events/{serious}/reports", json=body).status_code == 403


def test_a_correction_that_makes_an_event_serious_starts_its_clock_and_alert(
    db, nurse_api, make_patient, make_account
):
    make_account("physician")
    eid = record(nurse_api, make_patient(), term="Dyspnea", grade=3)["id"]
    assert alerts(db) == []
    r = nurse_api.patch(
        f"/api/v1/adverse-events/{eid}",
        json={"grade": 4, "serious_criteria": ["life_threatening"], "reason": "SpO2 78%"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["clock"] == "susar_fatal_or_life_threatening" and body["follow_up_due_at"]
    started = dt.datetime.fromisoformat(body["clock_started_at"])
    assert dt.datetime.fromisoformat(body["report_due_at"]) == started + dt.timedelta(days=7)
    assert len(alerts(db)) == 1
