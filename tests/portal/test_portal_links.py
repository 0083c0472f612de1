"""One-time sign-in links: a link signs its patient in once and opens its page; a used,
expired, revoked or unknown link leads to the normal sign-in page with a notice, never
to an error page; two clicks at the same moment sign in once; a link opens only a page
of this site; the token itself is never stored."""

from __future__ import annotations

import hashlib
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, text

from respira.accounts import service as accounts_service
from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.db import Base
from respira.kit.errors import InvalidInput
from respira.portal import service
from tests.portal.portal_helpers import expire_links, link_for


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _follow(client, url: str):
    return client.get(urlsplit(url).path, follow_redirects=False)


def _to_sign_in(response) -> dict[str, list[str]]:
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert target.path == "/login"
    return parse_qs(target.query)


def test_a_link_signs_its_patient_in_once_and_opens_its_page(db, patient, browser):
    url = link_for(db, patient.patient_id, "/my/messages")
    assert url is not None and url.startswith("http://127.0.0.1:8000/login/link/")
    client = browser()
    r = _follow(client, url)
    assert (r.status_code, r.headers["location"]) == (303, "/my/messages")
    assert client.get("/my/messages").status_code == 200  # signed in as the patient
    second = _follow(browser(), url)
    assert _to_sign_in(second) == {"next": ["/my/messages"], "notice": ["link-used"]}


def test_the_sign_in_page_tells_why_the_link_did_not_work(db, patient, browser):
    url = link_for(db, patient.patient_id)
    client = browser()
    _follow(client, url)
    html = browser().get(_follow(browser(), url).headers["location"]).text
    assert "This link has already been used or has expired. Please sign in." in html
    german = browser().get("/login?next=/my&notice=link-used&lang=de").text
    assert "Dieser Link wurde bereits verwendet oder ist abgelaufen." in german
    # The notice is a key, never text from the address bar.
    assert "any text" not in browser().get("/login?notice=any+text").text


def test_two_clicks_at_the_same_moment_sign_in_once(db, patient):
    url = link_for(db, patient.patient_id)
    barrier = threading.Barrier(2)
    cookies: list[str | None] = []

    def click() -> None:
        barrier.wait()
        with db.transaction() as session:
            cookies.append(service.redeem(session, _token(url)).cookie)

    workers = [threading.Thread(target=click) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)
    assert len(cookies) == 2 and sum(c is not None for c in cookies) == 1


def test_an_expired_link_leads_to_the_sign_in_page(db, patient, browser):
    url = link_for(db, patient.patient_id, "/my/check-ins/7")
    expire_links(db)
    client = browser()
    assert _to_sign_in(_follow(client, url))["next"] == ["/my/check-ins/7"]
    assert client.get("/my", follow_redirects=False).status_code == 401


def test_an_unknown_or_malformed_link_leads_to_the_sign_in_page(browser):
    client = browser()
    for token in ("no-such-link", "x" * 300, "not.a.token"):
        r = client.get(f"/login/link/{token}", follow_redirects=False)
        assert _to_sign_in(r) == {"next": ["/my"], "notice": ["link-used"]}


@pytest.mark.parametrize(
    "next_path",
    ["//evil.example/steal", "https://evil.example/", "evil.example", "/\\evil.example", "/a b"],
)
def test_a_link_opens_only_a_page_of_this_site(db, patient, next_path):
    with pytest.raises(InvalidInput) as refused:
        link_for(db, patient.patient_id, next_path)
    assert "next_path" in refused.value.errors
    with db.session() as s:
        assert s.execute(text("SELECT count(*) FROM sign_in_links")).scalar_one() == 0


def test_the_database_refuses_a_link_to_another_site(db, patient):
    url = link_for(db, patient.patient_id)
    with pytest.raises(Exception), db.transaction() as s:  # noqa: B017 (the driver's error)
        s.execute(text("UPDATE sign_in_links SET next_path = '//evil.example'"))
    assert url is not None


def test_only_the_tokens_hash_is_stored_and_issuing_is_audited(db, patient):
    url = link_for(db, patient.patient_id, valid_hours=1)
    token = _token(url)
    with db.session() as s:
        row = s.execute(select(Base.metadata.tables["sign_in_links"])).mappings().one()
        [issued] = audit.history(s, "sign_in_link", row["id"])
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in " ".join(str(v) for v in row.values())
    assert token not in (issued.after or "")
    assert (row["expires_at"] - row["created_at"]).total_seconds() == pytest.approx(3600, abs=2)


def test_signing_in_by_link_is_audited_as_the_patient(db, patient, browser):
    url = link_for(db, patient.patient_id)
    _follow(browser(), url)
    with db.session() as s:
        link_id = s.execute(text("SELECT id FROM sign_in_links")).scalar_one()
        actions = [(r.action, r.actor_id) for r in audit.history(s, "sign_in_link", link_id)]
    assert actions == [("issue", None), ("sign_in", patient.id)]


def test_no_link_for_a_patient_without_an_active_account(db, patient, make_patient):
    assert link_for(db, make_patient(first_name="NoAccount")) is None
    url = link_for(db, patient.patient_id)
    with db.transaction() as s:
        accounts_service.set_active(s, Actor.system("test"), patient.email, False, "left")
    assert link_for(db, patient.patient_id) is None
    with db.transaction() as s:  # a link sent before the deactivation does not sign in
        assert service.redeem(s, _token(url)).cookie is None


def test_a_link_is_valid_for_at_most_a_month(db, patient):
    for hours in (0, -1, 31 * 24 + 1):
        with pytest.raises(InvalidInput):
            link_for(db, patient.patient_id, valid_hours=hours)
