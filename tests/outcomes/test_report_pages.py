"""The outcome report from a synthetic registry (40 patients): the JSON API with its
filters and refusals, the staff page with its filter form, charts and errors, the PDF in
the reader's language, the JSON download, and ``respira outcomes report`` as JSON, PDF
and HTML."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from respira.app.cli import app as cli
from respira.kit.config import get_settings
from respira.outcomes import synthetic

PATIENTS = 40


@pytest.fixture
def registry(db: Any) -> synthetic.SyntheticCounts:
    with db.transaction() as session:
        return synthetic.generate(session, PATIENTS, seed=11)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- the API ----------------------------------------------------------------------------


def test_the_api_answers_the_contract_for_the_whole_registry(api_as, registry):
    r = api_as("physician").get("/api/v1/outcomes/report")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["n_treated"] == registry.courses and data["n_patients"] == PATIENTS
    assert data["n_synthetic"] == registry.courses and data["filters"] == {}
    twelve = data["windows"]["12"]
    assert twelve["due"] == sum(
        twelve[s] for s in ("completed", "completed_late", "missed", "withdrawn", "died", "lost")
    )
    act = twelve["measures"]["act"]
    assert act["n"] >= 10 and act["ci95"][0] < act["mean_change"] < act["ci95"][1]
    assert data["exacerbations"]["rate_ratio"] is not None


def test_a_filter_narrows_the_cohort_and_the_parts_add_up(api_as, registry):
    client = api_as("admin")
    whole = client.get("/api/v1/outcomes/report").json()
    parts = [
        client.get("/api/v1/outcomes/report", params={"sex": sex}).json()
        for sex in ("female", "male")
    ]
    assert [p["filters"] for p in parts] == [{"sex": "female"}, {"sex": "male"}]
    assert sum(p["n_treated"] for p in parts) == whole["n_treated"]
    assert sum(p["windows"]["6"]["missed"] or 0 for p in parts) <= whole["windows"]["6"]["missed"]


def test_bad_filters_are_refused_naming_each_field_and_nothing_is_computed(api_as, registry):
    r = api_as("physician").get(
        "/api/v1/outcomes/report", params={"age_min": "old", "dose_max": "-1", "sexx": "f"}
    )
    assert r.status_code == 422
    fields = {d["field"]: d["msg"] for d in r.json()["detail"]}
    assert set(fields) == {"age_min", "dose_max", "sexx"}
    assert "whole number" in fields["age_min"] and "not a filter" in fields["sexx"]


def test_a_small_cohort_is_suppressed_below_the_threshold(api_as, registry):
    data = api_as("physician").get("/api/v1/outcomes/report", params={"gina_step": 3}).json()
    assert 0 < data["n_treated"] < 10  # the few GINA step 3 courses of 40 patients
    act = data["windows"]["1"]["measures"]["act"]
    assert (
        act["suppressed"]
        and act["mean_change"] is None
        and act["reason"] == ("fewer than 10 patients")
    )
    assert (
        data["windows"]["1"]["completed"] is None and data["windows"]["1"]["n"] == data["n_treated"]
    )


# --- the page ----------------------------------------------------------------------------


def test_the_report_page_shows_every_section_with_charts_and_numbers(page_as, registry):
    r = page_as("physician").get("/outcomes/report")
    assert r.status_code == 200
    html = r.text
    for section in (
        'id="completeness"',
        'id="change"',
        'id="waterfall"',
        'id="responders"',
        'id="exacerbations"',
        'id="adverse-events"',
        'id="limits"',
    ):
        assert section in html, section
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="change-act"' in html
    assert 'id="numbers-change-act"' in html and 'id="km"' in html
    assert "There is no comparison group" in html and "Regression to the mean" in html
    assert f"These figures include {registry.courses} synthetic (demo) courses" in html
    assert 'href="/outcomes/report.pdf"' in html and 'href="/outcomes/report.json"' in html
    assert 'style="' not in html.split("<main", 1)[1]  # no inline style (CSP)


def test_a_filtered_report_keeps_the_filter_in_its_form_and_downloads(page_as, registry):
    r = page_as("admin").get("/outcomes/report", params={"sex": "female", "age_min": "18"})
    assert r.status_code == 200
    assert '<option value="female" selected>' in r.text
    assert 'href="/outcomes/report.pdf?age_min=18&amp;sex=female"' in r.text
    assert 'href="/outcomes/report.json?age_min=18&amp;sex=female"' in r.text


def test_a_bad_filter_is_named_next_to_its_field_and_nothing_is_computed(page_as, registry):
    r = page_as("physician").get(
        "/outcomes/report", params={"age_min": "old", "treated_to": "soon"}
    )
    assert r.status_code == 422
    assert 'id="e-age_min"' in r.text and 'id="e-treated_to"' in r.text
    assert 'aria-invalid="true"' in r.text
    assert 'id="completeness"' not in r.text and "Download as PDF" not in r.text


def test_the_page_shows_what_is_suppressed_in_a_small_cohort(page_as, registry):
    r = page_as("physician").get("/outcomes/report", params={"gina_step": "3"})
    assert r.status_code == 200
    assert "not shown (fewer than 10)" in r.text
    assert "Fewer than 10 treated courses match" in r.text


def test_the_report_page_in_german(page_as, registry):
    r = page_as("physician").get("/outcomes/report", params={"lang": "de"})
    assert "Ergebnisbericht" in r.text and "Vollständigkeit der Nachbeobachtung" in r.text
    assert "Was dies nicht zeigen kann" in r.text


def test_the_pdf_is_the_report_in_the_readers_language(page_as, registry):
    client = page_as("physician")
    r = client.get("/outcomes/report.pdf", params={"sex": "female", "lang": "ru"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].endswith('-filtered.pdf"')
    text = _pdf_text(r.content)
    for words in ("Отчёт о результатах", "Полнота наблюдения", "Чего эти данные показать не могут"):
        assert words in text, words
    assert "sex = female" in text and "из" in text  # "page n of m"
    refused = client.get("/outcomes/report.pdf", params={"sex": "x"})
    assert refused.status_code == 422 and 'id="e-sex"' in refused.text


def test_the_json_download_is_the_apis_object(page_as, api_as, registry):
    r = page_as("physician").get("/outcomes/report.json", params={"sex": "male"})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    api = api_as("physician").get("/api/v1/outcomes/report", params={"sex": "male"}).json()
    assert r.json() == api


# --- the command line ------------------------------------------------------------------


def _cli(db: Any, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.setenv("RESPIRA_DATABASE_URL", db.url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, ["outcomes", "report", *args])
    finally:
        monkeypatch.delenv("RESPIRA_DATABASE_URL")
        get_settings.cache_clear()


def test_the_command_prints_the_json_object_and_writes_pdf_and_html(
    db, registry, monkeypatch, tmp_path, api_as
):
    done = _cli(db, monkeypatch, "--format", "json", "--filter", "sex=female")
    assert done.exit_code == 0, done.output
    printed = json.loads(done.stdout)
    api = api_as("admin").get("/api/v1/outcomes/report", params={"sex": "female"}).json()
    assert printed == api

    pdf = tmp_path / "report.pdf"
    done = _cli(db, monkeypatch, "--format", "pdf", "--out", str(pdf), "--lang", "de")
    assert done.exit_code == 0, done.output
    assert "Ergebnisbericht" in _pdf_text(pdf.read_bytes())

    html = tmp_path / "report.html"
    done = _cli(db, monkeypatch, "--format", "html", "--out", str(html))
    assert done.exit_code == 0, done.output
    written = html.read_text()
    assert written.startswith("<!doctype html>") and "<svg" in written
    assert "What this cannot show" in written


def test_the_command_refuses_bad_filters_formats_and_a_pdf_without_a_file(
    db, registry, monkeypatch
):
    bad = _cli(db, monkeypatch, "--filter", "sexx=female", "--filter", "age_min=old")
    assert bad.exit_code == 2
    assert "--filter sexx" in bad.output and "--filter age_min" in bad.output
    assert _cli(db, monkeypatch, "--format", "xls").exit_code == 2
    assert _cli(db, monkeypatch, "--format", "pdf").exit_code == 2
    assert _cli(db, monkeypatch, "--lang", "fr").exit_code == 2


def test_a_bad_filter_is_explained_in_the_readers_language(page_as, registry):
    r = page_as("physician").get(
        "/outcomes/report", params={"lang": "de", "age_min": "old", "gina_step": "9"}
    )
    assert r.status_code == 422
    assert "Geben Sie eine ganze Zahl ein" in r.text
    assert "Geben Sie eine ganze Zahl von 1 bis 5 ein" in r.text
    assert "enter a whole number" not in r.text
