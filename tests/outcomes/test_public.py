"""The public transparency page, /outcomes: anyone may read it, in English, German and
Russian; it shows the programme's figures with their limits, the data's date, the demo
records' notice and suppression; it is linked from the home page; its figures are
recomputed at most every ``outcomes_public_cache_s`` seconds (checked with a clock the
test controls, and through the app)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from respira.kit.config import get_settings
from respira.outcomes import synthetic
from respira.outcomes.public import ReportCache


@pytest.fixture
def registry(db: Any) -> synthetic.SyntheticCounts:
    with db.transaction() as session:
        return synthetic.generate(session, 40, seed=5)


def test_anyone_reads_the_figures_with_their_limits_in_english(client, registry):
    r = client.get("/outcomes")
    assert r.status_code == 200
    html = r.text
    assert "Our results, with their limits" in html
    for section in ("completeness", "change", "responders", "exacerbations", "adverse-events"):
        assert f'id="{section}"' in html, section
    assert 'id="waterfall"' not in html  # individual changes stay on the staff report
    for limit in ("There is no comparison group", "Regression to the mean", "Selection:"):
        assert limit in html
    assert "ACT rises by 3 points or more" in html and "ACQ falls by 0.5 points or more" in html
    assert "Worst case: missing = no response" in html
    assert "Rate ratio, after against before (95 % CI)" in html
    assert "Adverse events by grade" in html
    assert "Registry data from" in html and "(UTC)" in html
    assert f"These figures include {registry.courses} synthetic (demo) courses" in html
    # "success rate" only where the page says that there is none.
    said = html.replace("no single “success rate”", "").replace("is a &#39;success rate&#39;", "")
    assert "success rate" not in said
    assert "/login" in html  # a visitor, not signed in


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "de",
            ("Unsere Ergebnisse – und ihre Grenzen", "Es gibt keine Vergleichsgruppe", "Monat 12"),
        ),
        ("ru", ("Наши результаты и их ограничения", "Нет группы сравнения", "Месяц 12")),
    ],
)
def test_the_page_speaks_german_and_russian(client, registry, lang, words):
    r = client.get("/outcomes", params={"lang": lang})
    assert r.status_code == 200 and r.headers["content-language"] == lang
    for word in words:
        assert word in r.text, word


def test_an_empty_registry_shows_nothing_but_suppression(client):
    r = client.get("/outcomes")
    assert r.status_code == 200
    assert "Fewer than 10 treated courses match" in r.text
    assert "not shown (fewer than 10)" in r.text
    assert "synthetic (demo)" not in r.text


def test_the_home_page_links_the_results_and_the_staff_report_needs_a_sign_in(client):
    assert 'href="/outcomes"' in client.get("/").text
    r = client.get("/outcomes/report", follow_redirects=False)
    assert r.status_code == 401 and 'action="/login"' in r.text
    assert client.get("/api/v1/outcomes/report").status_code == 401


def test_the_page_serves_its_copy_until_it_is_stale(client, db, registry, monkeypatch):
    monkeypatch.setenv("RESPIRA_OUTCOMES_PUBLIC_CACHE_S", "3600")
    get_settings.cache_clear()
    first = client.get("/outcomes").text
    with db.transaction() as session:
        synthetic.generate(session, 15, seed=6)
    assert client.get("/outcomes").text == first  # the cached figures
    cache = client.app.state.outcomes_public
    assert cache.computations == 1
    monkeypatch.setenv("RESPIRA_OUTCOMES_PUBLIC_CACHE_S", "0")
    get_settings.cache_clear()
    fresh = client.get("/outcomes").text
    assert fresh != first and cache.computations == 2
    get_settings.cache_clear()


# --- the cache with a clock the test controls ------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_cache_recomputes_at_most_every_ttl_seconds():
    clock = Clock()
    cache: ReportCache[int] = ReportCache(lambda: 300.0, clock)
    made = iter(range(1, 100))
    assert cache.get(lambda: next(made)) == 1
    clock.now += 299.9
    assert cache.get(lambda: next(made)) == 1
    clock.now += 0.1
    assert cache.get(lambda: next(made)) == 2
    assert cache.computations == 2


def test_while_one_request_recomputes_the_others_get_the_previous_copy():
    clock = Clock()
    cache: ReportCache[str] = ReportCache(lambda: 10.0, clock)
    assert cache.get(lambda: "old") == "old"
    clock.now += 11
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "new"

    answers: list[str] = []
    worker = threading.Thread(target=lambda: answers.append(cache.get(slow)))
    worker.start()
    assert started.wait(5)
    # Another request meanwhile: the previous copy at once, no second computation.
    assert cache.get(lambda: pytest.fail("computed twice")) == "old"
    release.set()
    worker.join(5)
    assert answers == ["new"] and cache.get(lambda: "never") == "new"
    assert cache.computations == 2


def test_the_first_requests_wait_for_the_one_computing():
    cache: ReportCache[str] = ReportCache(lambda: 10.0, Clock())
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        started.set()
        release.wait(5)
        return "first"

    answers: list[str] = []
    threads = [threading.Thread(target=lambda: answers.append(cache.get(slow))) for _ in range(3)]
    threads[0].start()
    assert started.wait(5)
    for t in threads[1:]:
        t.start()
    release.set()
    for t in threads:
        t.join(5)
    assert answers == ["first"] * 3 and len(calls) == 1


def test_a_failed_recomputation_keeps_the_previous_copy():
    clock = Clock()
    cache: ReportCache[str] = ReportCache(lambda: 10.0, clock)
    cache.get(lambda: "good")
    clock.now += 20

    def broken() -> str:
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        cache.get(broken)
    clock.now += 0  # still stale: the next request tries again, and the copy was kept
    assert cache.get(lambda: "again") == "again"


def test_the_datas_date_is_read_in_the_clinics_time_zone(client, registry, monkeypatch):
    monkeypatch.setenv("RESPIRA_CLINIC_TIMEZONE", "Asia/Almaty")
    get_settings.cache_clear()
    try:
        html = client.get("/outcomes").text
    finally:
        monkeypatch.delenv("RESPIRA_CLINIC_TIMEZONE")
        get_settings.cache_clear()
    assert "(Asia/Almaty)" in html and "(UTC)" not in html
