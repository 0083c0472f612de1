"""Triage: the status transitions (every allowed one, and every other one refused with
409 and no change), audited changes, optimistic locking, and the queue pages."""

from __future__ import annotations

import json
import re
from itertools import product

import pytest
from sqlalchemy import select

from respira.intake.models import ConsultationRequest
from respira.intake.service import OPEN_STATUSES, TRANSITIONS
from respira.kit import audit
from tests.intake.helpers import PATH_TO, make_request

API = "/api/v1/consultation-requests"
STATUSES = list(TRANSITIONS)


def test_the_transitions_are_those_of_the_triage_rules():
    expected = {
        "new": {"contacted", "scheduled", "declined", "converted"},
        "contacted": {"scheduled", "declined", "converted"},
        "scheduled": {"declined", "converted"},
        "converted": set(),
        "declined": set(),
    }
    assert expected == TRANSITIONS


def bring_to(c, rid: int, status: str) -> int:
    """Walk a request to a status through the API; returns its version."""
    version = 1
    for step in PATH_TO[status]:
        body = {"status": step}
        if step == "declined":
            body["decline_reason"] = "not eligible"
        r = c.patch(f"{API}/{rid}", json=body, headers={"If-Match": f'"{version}"'})
        assert r.status_code == 200, r.text
        version = r.json()["version"]
    return version


def current(db, rid: int) -> ConsultationRequest:
    with db.session() as s:
        req = s.get(ConsultationRequest, rid)
        assert req is not None
        return req


ALLOWED = [(a, b) for a in STATUSES for b in sorted(TRANSITIONS[a]) if b != "converted"]
FORBIDDEN = [
    (a, b)
    for a, b in product(STATUSES, STATUSES)
    if a != b and b not in TRANSITIONS[a] and a != "converted"
]


@pytest.mark.parametrize(("start", "target"), ALLOWED)
def test_an_allowed_transition_changes_the_status_and_is_audited(api_as, db, start, target):
    c = api_as("coordinator")
    rid = make_request(db)
    version = bring_to(c, rid, start)
    body = {"status": target}
    if target == "declined":
        body["decline_reason"] = "asthma well controlled on low-dose ICS"
    r = c.patch(f"{API}/{rid}", json=body, headers={"If-Match": f'"{version}"'})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == target
    assert r.json()["version"] == version + 1
    assert r.headers["etag"] == f'"{version + 1}"'
    with db.session() as s:
        last = audit.history(s, "consultation_request", rid)[-1]
    assert last.action == "status"
    assert last.actor_id == c.account.id and last.actor_role == "coordinator"
    assert json.loads(last.before)["status"] == start
    assert json.loads(last.after)["status"] == target
    if target == "declined":
        assert json.loads(last.after)["decline_reason"] == body["decline_reason"]
        assert last.reason == body["decline_reason"]
        assert current(db, rid).decline_reason == body["decline_reason"]


@pytest.mark.parametrize(("start", "target"), FORBIDDEN)
def test_a_forbidden_transition_answers_409_and_changes_nothing(api_as, db, start, target):
    c = api_as("admin")
    rid = make_request(db)
    version = bring_to(c, rid, start)
    with db.session() as s:
        records_before = len(audit.history(s, "consultation_request", rid))
    body = {"status": target}
    if target == "declined":
        body["decline_reason"] = "again"
    r = c.patch(f"{API}/{rid}", json=body, headers={"If-Match": f'"{version}"'})
    assert r.status_code == 409, r.text
    req = current(db, rid)
    assert (req.status, req.version) == (start, version)
    with db.session() as s:
        assert len(audit.history(s, "consultation_request", rid)) == records_before


def test_converted_is_reached_only_by_converting_into_a_patient(api_as, db):
    c = api_as("coordinator")
    rid = make_request(db)
    r = c.patch(f"{API}/{rid}", json={"status": "converted"}, headers={"If-Match": '"1"'})
    assert r.status_code == 422
    assert "convert" in r.json()["detail"][0]["msg"]
    assert current(db, rid).status == "new"


def test_declining_without_a_reason_is_refused(api_as, db):
    rid = make_request(db)
    r = api_as("coordinator").patch(
        f"{API}/{rid}", json={"status": "declined"}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "decline_reason"
    assert current(db, rid).status == "new"


def test_a_declined_request_keeps_its_reason(api_as, db):
    c = api_as("coordinator")
    rid = make_request(db)
    v = bring_to(c, rid, "declined")
    r = c.patch(
        f"{API}/{rid}",
        json={"status": "declined", "decline_reason": "something else"},
        headers={"If-Match": f'"{v}"'},
    )
    assert r.status_code == 409
    assert current(db, rid).decline_reason == "not eligible"


def test_a_stale_version_answers_409_and_changes_nothing(api_as, db):
    c = api_as("coordinator")
    rid = make_request(db)
    assert (
        c.patch(f"{API}/{rid}", json={"notes": "first"}, headers={"If-Match": '"1"'}).json()[
            "version"
        ]
        == 2
    )
    r = c.patch(f"{API}/{rid}", json={"status": "contacted"}, headers={"If-Match": '"1"'})
    assert r.status_code == 409
    assert "changed by someone else" in r.json()["detail"]
    req = current(db, rid)
    assert (req.status, req.version, req.notes) == ("new", 2, "first")


def test_a_patch_without_if_match_answers_428(api_as, db):
    rid = make_request(db)
    r = api_as("coordinator").patch(f"{API}/{rid}", json={"status": "contacted"})
    assert r.status_code == 428


def test_notes_change_in_any_status_and_are_audited_as_an_update(api_as, db):
    c = api_as("coordinator")
    rid = make_request(db)
    v = bring_to(c, rid, "declined")
    r = c.patch(f"{API}/{rid}", json={"notes": "sent a letter"}, headers={"If-Match": f'"{v}"'})
    assert r.status_code == 200 and r.json()["notes"] == "sent a letter"
    with db.session() as s:
        last = audit.history(s, "consultation_request", rid)[-1]
    assert (last.action, json.loads(last.before), json.loads(last.after)) == (
        "update",
        {"notes": None},
        {"notes": "sent a letter"},
    )


def test_a_patch_that_changes_nothing_makes_no_new_version(api_as, db):
    c = api_as("coordinator")
    rid = make_request(db)
    r = c.patch(f"{API}/{rid}", json={}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["version"] == 1
    with db.session() as s:
        assert len(audit.history(s, "consultation_request", rid)) == 1


# --- the pages ------------------------------------------------------------------------


def test_the_queue_page_shows_open_requests_newest_first_with_filters(page_as, db):
    make_request(db, name="Older Person", country="RU", preferred_language="ru")
    make_request(db, name="Newer Person", country="DE", preferred_language="de")
    c = page_as("coordinator")
    html = c.get("/consultation-requests").text
    assert html.index("Newer Person") < html.index("Older Person")
    assert '<option value="RU">Russia (RU)</option>' in html
    filtered = c.get("/consultation-requests", params={"country": "RU", "status": "all"}).text
    assert "Older Person" in filtered and "Newer Person" not in filtered
    by_lang = c.get("/consultation-requests", params={"language": "de"}).text
    assert "Newer Person" in by_lang and "Older Person" not in by_lang
    assert c.get("/consultation-requests", params={"status": "nonsense"}).status_code == 422


def test_the_queue_page_pages(page_as, db):
    for i in range(27):
        make_request(db, name=f"Person {i:02d}")
    c = page_as("admin")
    first = c.get("/consultation-requests").text
    assert "Page 1 of 2" in first and "Person 26" in first and "Person 01" not in first
    second = c.get("/consultation-requests", params={"page": 2}).text
    assert "Person 01" in second and "Person 00" in second


def test_the_coordinator_sees_the_queue_in_the_navigation(page_as):
    assert 'href="/consultation-requests"' in page_as("coordinator").get("/").text


def test_a_status_change_through_the_page_is_saved_and_audited(page_as, db):
    rid = make_request(db)
    c = page_as("coordinator")
    page = f"/consultation-requests/{rid}"
    r = c.post_form(f"{page}/status", {"status": "contacted", "version": "1"}, csrf_from=page)
    assert r.status_code == 200 and "Status changed." in r.text  # after the redirect
    assert "<td>status changed</td>" in r.text  # the history on the page
    assert "<dt>Status</dt><dd>Contacted</dd>" in r.text  # the field and status in words
    assert current(db, rid).status == "contacted"
    with db.session() as s:
        assert audit.history(s, "consultation_request", rid)[-1].actor_id == c.account.id


def test_declining_through_the_page_needs_a_reason_and_keeps_what_was_typed(page_as, db):
    rid = make_request(db)
    c = page_as("coordinator")
    page = f"/consultation-requests/{rid}"
    r = c.post_form(
        f"{page}/status",
        {"status": "declined", "decline_reason": " ", "version": "1"},
        csrf_from=page,
    )
    assert r.status_code == 422
    assert "give the reason for declining" in r.text
    r = c.post_form(
        f"{page}/status",
        {"status": "declined", "decline_reason": "mild asthma <well controlled>", "version": "1"},
        csrf_from=page,
        follow_redirects=False,
    )
    assert r.status_code == 303
    req = current(db, rid)
    assert (req.status, req.decline_reason) == ("declined", "mild asthma <well controlled>")
    html = c.get(page).text
    assert "mild asthma &lt;well controlled&gt;" in html
    assert f'action="/consultation-requests/{rid}/status"' not in html  # final: no actions


def test_a_stale_page_answers_409_and_shows_the_current_state(page_as, db):
    rid = make_request(db)
    c = page_as("coordinator")
    page = f"/consultation-requests/{rid}"
    c.post_form(f"{page}/notes", {"notes": "called once", "version": "1"}, csrf_from=page)
    r = c.post_form(f"{page}/status", {"status": "scheduled", "version": "1"}, csrf_from=page)
    assert r.status_code == 409
    assert "changed by someone else" in r.text
    assert re.search(r'name="version" value="2"', r.text)
    assert current(db, rid).status == "new"


def test_a_forbidden_transition_through_the_page_answers_409(page_as, db):
    rid = make_request(db)
    c = page_as("coordinator")
    page = f"/consultation-requests/{rid}"
    c.post_form(f"{page}/status", {"status": "scheduled", "version": "1"}, csrf_from=page)
    r = c.post_form(f"{page}/status", {"status": "contacted", "version": "2"}, csrf_from=page)
    assert r.status_code == 409
    assert "a scheduled request cannot become contacted" in r.text
    assert current(db, rid).status == "scheduled"


def test_the_detail_page_offers_only_the_allowed_actions(page_as, db):
    rid = make_request(db)
    c = page_as("coordinator")
    html = c.get(f"/consultation-requests/{rid}").text
    offered = set(re.findall(r'name="status" value="(\w+)"', html))
    assert offered == {"contacted", "scheduled", "declined"}
    assert f'href="/consultation-requests/{rid}/convert"' in html
    with db.session() as s:
        assert s.scalar(select(ConsultationRequest.status)) in OPEN_STATUSES


def test_pages_name_regional_and_script_language_tags(page_as, db):
    rid = make_request(db, name="Regional Person", preferred_language="pt-BR")
    make_request(db, name="Script Person", preferred_language="zh-Hant-TW")
    c = page_as("coordinator")
    queue = c.get("/consultation-requests")
    assert queue.status_code == 200
    assert "português (Brasil) (pt-BR)" in queue.text
    assert "中文 (繁體, 台灣) (zh-Hant-TW)" in queue.text
    detail = c.get(f"/consultation-requests/{rid}")
    assert detail.status_code == 200 and "português (Brasil)" in detail.text
