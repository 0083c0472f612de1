"""The patient's portal account and its invitation: asked for when a request becomes a
patient and at discharge (through the real use cases), carried out by the portal's job
once however often it runs, in the patient's language, with a one-time link to the page
where the patient chooses their password; staff send it again (the old link stops
working); no invitation without an email address or to an address another account uses.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from sqlalchemy import text

from respira.kit import audit
from respira.kit.db import utcnow
from respira.portal import service
from respira.treatment import service as treatment_service
from respira.treatment.schemas import AdmissionIn, DischargeIn
from tests.conftest import Account
from tests.intake.helpers import make_request
from tests.portal.portal_helpers import invitations, run_job, token_in


def _convert(api_as, db, **request) -> int:
    rid = make_request(db, **request)
    r = api_as("coordinator").post(
        f"/api/v1/consultation-requests/{rid}/convert",
        json={"date_of_birth": "1979-04-12", "sex_at_birth": "female"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["patient"]["id"])


def _account(db, patient_id):
    with db.session() as s:
        return service.patient_account(s, patient_id)


def test_a_converted_request_invites_the_patient_in_their_language(api_as, db, browser):
    pid = _convert(api_as, db, name="Katharina Vogel", email="k.vogel@mail.example")
    assert _account(db, pid) is None and invitations(db) == []  # asked for, not yet done
    assert run_job(db) == 1
    account = _account(db, pid)
    assert account is not None and account.email == "k.vogel@mail.example"
    [email] = invitations(db, pid)
    assert email.to == ["k.vogel@mail.example"]
    assert email.subject == "Ihre persönliche Seite im Respira-Patientenportal"
    assert "Guten Tag Katharina Vogel," in email.text
    assert "Danach melden Sie sich mit dieser E-Mail-Adresse an: k.vogel@mail.example" in email.text
    client = browser()
    r = client.get(f"/login/link/{token_in(email.text)}", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/my/password/new")
    page = "/my/password/new"
    assert "Wählen Sie Ihr Passwort" in client.get(page).text
    r = client.post_form(page, {"password": "short", "repeat": "short"}, csrf_from=page)
    assert r.status_code == 422 and "mindestens 12 Zeichen" in r.text
    r = client.post_form(page, {"password": "a" * 14, "repeat": "b" * 14}, csrf_from=page)
    assert r.status_code == 422 and "stimmen nicht überein" in r.text
    r = client.post_form(
        page,
        {"password": "blue river morning", "repeat": "blue river morning"},
        csrf_from=page,
        follow_redirects=False,
    )
    assert (r.status_code, r.headers["location"]) == (303, "/my?password=1")
    assert "Ihr Passwort ist gespeichert" in client.get("/my?password=1").text
    own = Account(account.id, account.email, "patient", "blue river morning", pid, None)  # type: ignore[arg-type]
    assert browser(own).get("/my").status_code == 200  # signs in with the new password


def test_the_invitation_job_sends_each_invitation_once_even_run_twice_at_once(api_as, db):
    _convert(api_as, db, name="Anna Weber", email="anna@mail.example")
    barrier = threading.Barrier(2)
    done: list[int] = []

    def job() -> None:
        barrier.wait()
        done.append(run_job(db))

    workers = [threading.Thread(target=job) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert sorted(done) == [0, 1]
    assert len(invitations(db)) == 1 and run_job(db) == 0


def test_discharge_invites_a_patient_who_has_no_account(db, clinic, ready):
    nurse = clinic.nurse.actor
    with db.transaction() as s:
        admission = treatment_service.admit(
            s, nurse, ready.pid, AdmissionIn(course_id=ready.course.id, admitted_at=utcnow())
        )
    with db.transaction() as s:
        treatment_service.discharge(s, nurse, admission.id, DischargeIn(note="home"))
    with db.session() as s:
        [asked] = [r for r in audit.history(s, "portal_invitation", 1)]
    assert (asked.action, asked.actor_id) == ("request", clinic.nurse.id)
    assert run_job(db) == 1
    [email] = invitations(db, ready.pid)
    assert email.subject == "Your personal page in the Respira patient portal"  # sv → English
    assert "/login/link/" in email.text


def test_no_invitation_without_an_email_address_or_to_an_address_in_use(api_as, db, make_account):
    _convert(api_as, db, name="Ohne Mail", email=None, phone="+49 30 7654321")
    make_account("nurse", email="taken@mail.example")
    pid = _convert(api_as, db, name="Taken Address", email="taken@mail.example")
    assert run_job(db) == 0
    assert invitations(db) == [] and _account(db, pid) is None
    with db.session() as s:
        status = service.portal_status(s, make_account("coordinator").actor, pid)
    assert (status.state, status.problem) == (
        "skipped",
        "another account already uses the patient's email address",
    )


def test_a_patient_with_an_account_is_not_invited_again_at_discharge(db, patient):
    with db.transaction() as s:
        assert service.ensure_account(s, patient.actor, patient.patient_id) is False


def test_staff_send_the_invitation_again_and_the_old_link_stops_working(
    page_as, db, patient, browser
):
    coordinator = page_as("coordinator")
    page = f"/patients/{patient.patient_id}"
    html = coordinator.get(page).text
    assert 'id="h-portal"' in html and "Account: hanna@mail.example" in html
    for _ in range(2):
        r = coordinator.post_form(f"{page}/portal-invitation", {}, csrf_from=page)
        assert r.status_code == 200 and "Newest invitation: sent" in r.text
    first, second = invitations(db, patient.patient_id)
    old = browser().get(f"/login/link/{token_in(first.text)}", follow_redirects=False)
    assert urlsplit(old.headers["location"]).path == "/login"
    new = browser().get(f"/login/link/{token_in(second.text)}", follow_redirects=False)
    assert new.headers["location"] == "/my/password/new"
    with db.session() as s:
        revoked = s.execute(text("SELECT count(*) FROM sign_in_links WHERE revoked_at IS NOT NULL"))
        assert revoked.scalar_one() == 1


def test_the_portal_section_is_for_those_who_may_invite(page_as, patient, make_patient):
    page = f"/patients/{patient.patient_id}"
    assert 'id="h-portal"' not in page_as("nurse").get(page).text
    no_email = make_patient(first_name="Nomail", email=None)
    html = page_as("physician").get(f"/patients/{no_email}").text
    assert "The patient has no email address" in html and "portal-invitation" not in html
