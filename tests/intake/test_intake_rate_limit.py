"""The public forms' rate limit: 5 accepted requests per client address per hour, held
in the database (so across worker processes), keyed by an HMAC of the address."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from respira.intake import ratelimit
from respira.intake.models import ConsultationRequest, PublicRateHit
from tests.intake.helpers import form_data, post_consultation, request_data

API = "/api/v1/consultation-requests"


def age_hits(db, seconds: float, *, oldest: int | None = None) -> None:
    """Move stored submissions back in time (instead of sleeping)."""
    with db.transaction() as s:
        hits = s.scalars(select(PublicRateHit).order_by(PublicRateHit.id)).all()
        for hit in hits[:oldest]:
            hit.at = hit.at - dt.timedelta(seconds=seconds)


def count_requests(db) -> int:
    with db.session() as s:
        return len(s.scalars(select(ConsultationRequest.id)).all())


def test_the_sixth_request_within_the_hour_is_refused_with_429_and_a_readable_page(db, visitor):
    c = visitor("203.0.113.10", **{"Accept-Language": "de"})
    for _ in range(5):
        assert post_consultation(c, form_data()).status_code == 303
    r = post_consultation(c, form_data())
    assert r.status_code == 429
    retry = int(r.headers["retry-after"])
    assert 3500 < retry <= 3600
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>Zu viele Anfragen</h1>" in r.text
    assert "Bitte versuchen Sie es in 1 Stunde erneut." in r.text
    assert count_requests(db) == 5


def test_the_limit_is_shared_by_the_page_and_the_api(db, visitor):
    c = visitor("203.0.113.11")
    for _ in range(3):
        assert post_consultation(c, form_data()).status_code == 303
    for _ in range(2):
        assert c.post(API, json=request_data()).status_code == 201
    r = c.post(API, json=request_data())
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    assert "too many requests" in r.json()["detail"]
    assert count_requests(db) == 5


def test_a_different_address_is_not_limited(db, visitor):
    first, second = visitor("203.0.113.12"), visitor("203.0.113.13")
    for _ in range(5):
        assert first.post(API, json=request_data()).status_code == 201
    assert first.post(API, json=request_data()).status_code == 429
    assert second.post(API, json=request_data()).status_code == 201
    assert post_consultation(second, form_data()).status_code == 303


def test_requests_are_accepted_again_when_the_window_has_passed(db, visitor):
    c = visitor("203.0.113.14")
    for _ in range(5):
        assert c.post(API, json=request_data()).status_code == 201
    assert c.post(API, json=request_data()).status_code == 429
    age_hits(db, 3601, oldest=2)  # the oldest two leave the hour
    assert c.post(API, json=request_data()).status_code == 201
    assert c.post(API, json=request_data()).status_code == 201
    assert c.post(API, json=request_data()).status_code == 429
    with db.session() as s:  # expired hits are pruned as new ones are counted
        assert len(s.scalars(select(PublicRateHit.id)).all()) == 5


def test_retry_after_counts_down_to_when_the_oldest_request_leaves_the_window(db, visitor):
    c = visitor("203.0.113.15")
    for _ in range(5):
        c.post(API, json=request_data())
    age_hits(db, 50 * 60)
    r = c.post(API, json=request_data())
    assert r.status_code == 429
    assert 590 <= int(r.headers["retry-after"]) <= 601


def test_rejected_submissions_do_not_use_up_the_limit(db, visitor):
    c = visitor("203.0.113.16")
    for _ in range(8):
        assert post_consultation(c, form_data(email="bad")).status_code == 422
        assert c.post(API, json=request_data(consent=False)).status_code == 422
    assert post_consultation(c, form_data()).status_code == 303


def test_the_limit_and_window_are_settings(db, visitor, settings):
    settings.public_rate_limit = 2
    settings.public_rate_window_s = 60
    c = visitor("203.0.113.17")
    assert c.post(API, json=request_data()).status_code == 201
    assert c.post(API, json=request_data()).status_code == 201
    r = c.post(API, json=request_data())
    assert r.status_code == 429 and int(r.headers["retry-after"]) <= 60


def test_the_address_is_stored_only_as_a_keyed_hash(db, visitor, settings):
    c = visitor("203.0.113.18")
    c.post(API, json=request_data())
    with db.session() as s:
        [hit] = s.scalars(select(PublicRateHit)).all()
    assert "203.0.113.18" not in hit.client_key
    assert hit.client_key == ratelimit.client_key(settings.resolved_secret_key(), "203.0.113.18")
    assert hit.client_key != ratelimit.client_key("another-instance-secret", "203.0.113.18")


def test_forwarded_for_is_ignored_without_trusted_proxies(db, visitor):
    c = visitor("203.0.113.19")
    for i in range(5):
        h = {"X-Forwarded-For": f"192.0.2.{i}"}
        assert c.post(API, json=request_data(), headers=h).status_code == 201
    r = c.post(API, json=request_data(), headers={"X-Forwarded-For": "192.0.2.99"})
    assert r.status_code == 429


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_saw(db, visitor, settings):
    settings.trusted_proxies = 1
    proxy = visitor("10.0.0.2")
    for _ in range(5):  # the client forges a left-hand entry each time: it is ignored
        h = {"X-Forwarded-For": f"1.1.1.{_}, 198.51.100.20"}
        assert proxy.post(API, json=request_data(), headers=h).status_code == 201
    h = {"X-Forwarded-For": "198.51.100.20"}
    assert proxy.post(API, json=request_data(), headers=h).status_code == 429
    h = {"X-Forwarded-For": "198.51.100.21"}
    assert proxy.post(API, json=request_data(), headers=h).status_code == 201


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:1:2:3", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("testclient", "testclient"),
    ],
)
def test_an_ipv6_client_is_counted_by_its_64_network(address, counted_as):
    assert ratelimit.network_of(address) == counted_as


def test_the_client_address_behind_two_proxies_is_second_from_the_right():
    class Req:
        client = type("C", (), {"host": "10.0.0.1"})()
        headers = type(
            "H", (), {"getlist": staticmethod(lambda _n: ["6.6.6.6, 198.51.100.1, 10.0.0.9"])}
        )()

    assert ratelimit.client_address(Req(), 2) == "198.51.100.1"  # type: ignore[arg-type]
    assert ratelimit.client_address(Req(), 0) == "10.0.0.1"  # type: ignore[arg-type]
    assert ratelimit.client_address(Req(), 5) == "6.6.6.6"  # type: ignore[arg-type]


def test_the_limit_holds_across_worker_processes_sharing_the_database(db, app, settings):
    """Two app instances with their own engines stand for two worker processes."""
    from fastapi.testclient import TestClient

    from respira.app.factory import create_app
    from respira.kit.db import Database

    other_db = Database(db.url)
    other_app = create_app(settings, db=other_db)
    workers = [
        TestClient(app, client=("203.0.113.30", 1)),
        TestClient(other_app, client=("203.0.113.30", 2)),
    ]
    try:
        codes = [workers[i % 2].post(API, json=request_data()).status_code for i in range(7)]
    finally:
        for w in workers:
            w.close()
        other_db.dispose()
    assert codes == [201] * 5 + [429] * 2


def test_concurrent_submissions_from_one_address_cannot_overrun_the_limit(db, app):
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    def submit(_i: int) -> int:
        with TestClient(app, client=("203.0.113.31", 1)) as c:
            return c.post(API, json=request_data()).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(submit, range(12)))
    assert sorted(codes) == [201] * 5 + [429] * 7
    assert count_requests(db) == 5
