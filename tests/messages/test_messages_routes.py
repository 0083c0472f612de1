"""The messages through the API and the pages: the API contract, errors that name the
field and change nothing, a patient's isolation, the staff queue with the time waiting,
the thread page's forms, the patient's own pages in German, and the section of the
staff's patient page."""

from __future__ import annotations

import re

from respira.kit.db import utcnow
from tests.conftest import api_token
from tests.messages.messages_helpers import H, notices, start

THREAD = {"subject": "Inhaler technique", "body": "Could someone check how I use my spacer?"}


def test_the_api_starts_lists_reads_and_answers_threads(api_as, patient, db):
    client = api_as("nurse")
    r = client.post(f"/api/v1/patients/{patient.patient_id}/threads", json=THREAD)
    assert r.status_code == 201, r.text
    thread = r.json()
    assert r.headers["location"] == f"/api/v1/threads/{thread['id']}"
    assert r.headers["etag"] == f'"{thread["version"]}"'
    assert [m["side"] for m in thread["messages"]] == ["care_team"]
    assert thread["waiting_since"] is None  # the care team wrote: nothing waits for it
    client.headers["Authorization"] = f"Bearer {api_token(client, patient)}"
    r = client.post(f"/api/v1/threads/{thread['id']}/messages", json={"body": "Yes, please."})
    assert r.status_code == 201 and r.json()["last_side"] == "patient"
    assert r.json()["waiting_since"] is not None
    listed = client.get(f"/api/v1/patients/{patient.patient_id}/threads").json()
    assert [t["subject"] for t in listed] == [THREAD["subject"]]


def test_bad_input_names_the_field_and_changes_nothing(api_as, patient, db):
    nurse = api_as("nurse")
    url = f"/api/v1/patients/{patient.patient_id}/threads"
    for body, field in (
        ({"subject": "", "body": "x"}, "subject"),
        ({"subject": "two\nlines", "body": "x"}, "subject"),
        ({"subject": "ok", "body": "   "}, "body"),
        ({"subject": "ok", "body": "x" * 5001}, "body"),
        ({"subject": "ok", "body": "x", "urgent": True}, "urgent"),
    ):
        r = nurse.post(url, json=body)
        assert r.status_code == 422, body
        assert field in {d["field"] for d in r.json()["detail"]}
    assert nurse.get(url).json() == []
    assert notices(db) == []


def test_assign_close_and_reopen_need_the_version_read(api_as, patient, physician, db):
    thread = start(db, patient.actor, patient.patient_id)
    nurse = api_as("nurse")
    url = f"/api/v1/threads/{thread.id}"
    assert nurse.post(f"{url}/close").status_code == 428
    etag = nurse.get(url).headers["etag"]
    r = nurse.post(f"{url}/assign", json={"assignee_id": physician.id}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["assignee_name"] == physician.actor.name
    assert nurse.post(f"{url}/close", headers={"If-Match": etag}).status_code == 409
    etag = r.headers["etag"]
    r = nurse.post(f"{url}/close", headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = nurse.post(f"{url}/reopen", headers={"If-Match": r.headers["etag"]})
    assert r.status_code == 200 and r.json()["status"] == "open"
    r = nurse.post(
        f"{url}/assign", json={"on_call": True, "assignee_id": 1}, headers={"If-Match": '"9"'}
    )
    assert r.status_code == 422


def test_a_patient_sees_and_writes_only_their_own_threads(api_as, patient, make_account, db):
    other = make_account("patient")
    theirs = start(db, other.actor, other.patient_id, "Other patient's question")
    client = api_as("coordinator")
    client.headers["Authorization"] = f"Bearer {api_token(client, patient)}"
    assert client.get(f"/api/v1/threads/{theirs.id}").status_code == 404
    r = client.post(f"/api/v1/threads/{theirs.id}/messages", json={"body": "hello"})
    assert r.status_code == 404
    assert client.get(f"/api/v1/patients/{other.patient_id}/threads").status_code == 404
    r = client.post(f"/api/v1/patients/{other.patient_id}/threads", json=THREAD)
    assert r.status_code == 404
    assert client.get("/api/v1/message-queue").status_code == 403


def test_the_queue_page_shows_the_time_waiting_oldest_first(page_as, patient, make_account, db):
    other = make_account("patient")
    now = utcnow()
    start(db, patient.actor, patient.patient_id, "Three hours", at=now - 3 * H - 0.1 * H)
    start(db, other.actor, other.patient_id, "A day and two hours", at=now - 26.2 * H)
    html = page_as("coordinator").get("/messages").text
    assert "waiting 1 d 2 h" in html and "waiting 3 h 6 min" in html
    assert html.index("A day and two hours") < html.index("Three hours")
    assert '<div class="table-scroll">' in html


def test_the_thread_page_answers_assigns_and_closes(page_as, patient, physician, db):
    thread = start(db, patient.actor, patient.patient_id, "Night cough")
    nurse = page_as("nurse")
    page = f"/messages/{thread.id}"
    html = nurse.get(page).text
    assert "Night cough" in html and "Hanna Brandt (patient)" in html
    assert "I wake at 3 am" in html
    r = nurse.post_form(f"{page}/reply", {"body": ""}, csrf_from=page)
    assert r.status_code == 422 and 'id="e-body"' in r.text
    r = nurse.post_form(f"{page}/reply", {"body": "Please call us."}, csrf_from=page)
    assert r.status_code == 200 and "Please call us." in r.text  # followed the redirect
    version = re.search(r'name="version" value="(\d+)"', r.text).group(1)
    r = nurse.post_form(
        f"{page}/assign", {"assignee": str(physician.id), "version": version}, csrf_from=page
    )
    assert f"Assigned to: {physician.actor.name}" in r.text
    r = nurse.post_form(
        f"{page}/assign", {"assignee": "on_call", "version": str(int(version) + 1)}, csrf_from=page
    )
    assert r.status_code == 422 and "no physician is on call now" in r.text
    r = nurse.post_form(f"{page}/status", {"status": "closed", "version": version}, csrf_from=page)
    assert r.status_code == 409 and "changed by someone else" in r.text
    r = nurse.post_form(
        f"{page}/status", {"status": "closed", "version": str(int(version) + 1)}, csrf_from=page
    )
    assert r.status_code == 200 and "Reopen the thread" in r.text


def test_the_patient_pages_are_in_the_patients_language(browser, patient, physician, db):
    client = browser(patient)
    html = client.get("/my/messages").text
    assert "Meine Nachrichten" in html and 'lang="de"' in html
    r = client.post_form("/my/messages", {"subject": "", "body": ""}, csrf_from="/my/messages")
    assert r.status_code == 422
    assert "Bitte schreiben Sie einen Betreff in einer Zeile" in r.text
    r = client.post_form(
        "/my/messages",
        {"subject": "Frage zum Inhalator", "body": "Wie oft soll ich inhalieren?"},
        csrf_from="/my/messages",
    )
    assert r.status_code == 200
    assert "Ihre Nachricht wurde an Ihr Behandlungsteam gesendet." in r.text
    thread_id = int(re.search(r'action="/my/messages/(\d+)"', r.text).group(1))
    assert notices(db, patient.patient_id)[0].to == [physician.email]
    page = f"/my/messages/{thread_id}"
    r = client.post_form(page, {"body": "Noch eine Frage."}, csrf_from=page)
    assert "Noch eine Frage." in r.text
    english = client.get(f"{page}?lang=en").text
    assert "Your message was sent" not in english and "All my messages" in english


def test_the_patients_page_lists_their_threads_for_the_care_team_only(
    page_as, patient, physician, db
):
    start(db, patient.actor, patient.patient_id, "Night cough")
    staff = page_as("physician")
    html = staff.get(f"/patients/{patient.patient_id}").text
    assert 'id="h-threads"' in html and "Night cough" in html
    page = f"/patients/{patient.patient_id}"
    r = staff.post_form(
        f"{page}/threads",
        {"subject": "Your results", "body": "Your results are in."},
        csrf_from=page,
    )
    assert r.status_code == 200 and "Your results are in." in r.text
    r = staff.post_form(f"{page}/threads", {"subject": "", "body": ""}, csrf_from=page)
    assert r.status_code == 422 and 'id="e-subject"' in r.text
    assert 'id="h-threads"' not in page_as("admin").get(page).text
