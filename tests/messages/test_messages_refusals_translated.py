"""The thread page's refusals in German and Russian (issue 14): an assignment to nobody,
a thread closed twice, a thread that does not exist; the API keeps its English."""

from __future__ import annotations

import re

import pytest

from tests.messages.messages_helpers import start

TEXTS = {
    "de": {
        "one_of_two": "Wählen Sie entweder eine zuständige Person oder den Bereitschaftsdienst",
        "closed": "Die Unterhaltung ist bereits geschlossen.",
        "no_such": "Diese Unterhaltung gibt es nicht.",
    },
    "ru": {
        "one_of_two": "Выберите либо ответственного сотрудника, либо дежурную службу",
        "closed": "Переписка уже закрыта.",
        "no_such": "Такой переписки нет.",
    },
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_thread_pages_refusals_read_in_the_readers_language(page_as, patient, db, lang):
    thread = start(db, patient.actor, patient.patient_id, "Night cough")
    nurse = page_as("nurse")
    page = f"/messages/{thread.id}"
    html = nurse.get(f"{page}?lang={lang}").text
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    r = nurse.post_form(
        f"{page}/assign?lang={lang}", {"assignee": "", "version": version}, csrf_from=page
    )
    assert r.status_code == 422 and TEXTS[lang]["one_of_two"] in r.text
    assert "assignee_id or on_call" not in r.text
    r = nurse.post_form(
        f"{page}/status?lang={lang}", {"status": "closed", "version": version}, csrf_from=page
    )
    assert r.status_code == 200
    r = nurse.post_form(
        f"{page}/status?lang={lang}",
        {"status": "closed", "version": str(int(version) + 1)},
        csrf_from=page,
    )
    assert r.status_code == 409 and TEXTS[lang]["closed"] in r.text
    assert "already closed" not in r.text
    r = nurse.get(f"/messages/{thread.id + 1000}?lang={lang}")
    assert r.status_code == 404 and TEXTS[lang]["no_such"] in r.text


def test_the_api_keeps_its_english(api_as, patient, db):
    thread = start(db, patient.actor, patient.patient_id, "Night cough")
    nurse = api_as("nurse")
    url = f"/api/v1/threads/{thread.id}"
    r = nurse.post(f"{url}/assign", json={}, headers={"If-Match": '"1"'})
    assert r.status_code == 422
    assert "give either assignee_id or on_call: true, not both and not neither" in r.text
