"""In real Chromium, in German, on a phone-sized screen: the model's page, a larger
dose and a second dose day entered in the scenario panel, and the charts and the table
answering from the server, still labelled as no prediction."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def german_number(text: str) -> float:
    return float(text.replace(".", "").replace(",", "."))


def sputum_eosinophils_day_28(page) -> float:
    row = page.locator("#model-numbers tr", has_text="mit dem Szenario").nth(3)
    header = page.locator("#model-numbers thead th")
    days = [header.nth(i).inner_text() for i in range(header.count())]
    return german_number(row.locator("td").nth(days.index("Tag 28") - 1).inner_text())


def test_a_visitor_changes_the_dose_in_german_and_the_result_follows(live_server, page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/model")
    page.select_option("#lang-switch", "de")
    page.get_by_role("button", name="Change").click()
    assert page.locator("h1").inner_text() == "Wie Asthma entsteht und wie MSC vermutlich wirken"
    assert "Keine Vorhersage." in page.locator("#model-label").inner_text()
    assert page.locator("svg.chart").count() == 1 + 7  # the cascade and seven observables

    before = sputum_eosinophils_day_28(page)
    line_before = page.locator("#chart-sputum_eos_pct polyline.line-treated").get_attribute(
        "points"
    )
    page.get_by_label("Dosis (Millionen Zellen pro kg Körpergewicht)").fill("10")
    page.get_by_label("Tage der Dosen").fill("0,14")
    page.get_by_role("button", name="Ergebnis anzeigen").click()
    page.wait_for_url("**amount=10**")

    assert page.get_by_label("Dosis (Millionen Zellen pro kg Körpergewicht)").input_value() == "10"
    assert sputum_eosinophils_day_28(page) < before
    line_after = page.locator("#chart-sputum_eos_pct polyline.line-treated").get_attribute("points")
    assert line_after != line_before
    assert page.locator("#chart-sputum_eos_pct line.dose-mark").count() == 2
    assert "Keine Vorhersage." in page.locator("#model-label").inner_text()
    # A phone's width: the page never scrolls sideways (the table scrolls in its box).
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_label("Dosis (Millionen Zellen pro kg Körpergewicht)").fill("-1")
    page.get_by_role("button", name="Ergebnis anzeigen").click()
    assert page.locator("#e-amount").inner_text() == (
        "Eine Dosis kann nicht negativ sein (eingegeben wurde -1)."
    )
