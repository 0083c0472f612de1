"""The triage pages' own refusals in German and Russian (issue 14): declining a request
without a reason; the API keeps its English."""

from __future__ import annotations

import pytest

from tests.intake.helpers import make_request

NO_REASON = {
    "de": "Geben Sie den Grund für die Ablehnung der Anfrage an.",
    "ru": "Укажите причину отклонения заявки.",
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_declining_without_a_reason_is_refused_in_the_readers_language(page_as, db, lang):
    rid = make_request(db)
    c = page_as("coordinator")
    page = f"/consultation-requests/{rid}"
    r = c.post_form(
        f"{page}/status?lang={lang}",
        {"status": "declined", "decline_reason": "", "version": "1"},
        csrf_from=page,
    )
    assert r.status_code == 422 and NO_REASON[lang] in r.text
    assert "give the reason for declining" not in r.text


def test_the_api_keeps_its_english(api_as, db):
    rid = make_request(db)
    r = api_as("coordinator").patch(
        f"/api/v1/consultation-requests/{rid}",
        json={"status": "declined"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 422 and "give the reason for declining the request" in r.text


HISTORY = {
    "de": ["Grund der Ablehnung", "Abgelehnt", "(Koordination)"],
    "ru": ["Причина отказа", "Отказ", "(координатор)"],
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_requests_history_names_fields_statuses_and_roles_in_the_readers_words(
    api_as, page_as, db, lang
):
    rid = make_request(db)
    declined = {"status": "declined", "decline_reason": "duplicate"}
    r = api_as("coordinator").patch(
        f"/api/v1/consultation-requests/{rid}", json=declined, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200
    page = page_as("coordinator").get(f"/consultation-requests/{rid}?lang={lang}")
    missing = [text for text in HISTORY[lang] if text not in page.text]
    assert not missing, missing
    assert "decline reason" not in page.text and "(coordinator)" not in page.text
