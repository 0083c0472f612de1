"""The laboratory's pages in German and Russian: headings, table headers, status words,
buttons and the e-signature's meaning in the reader's language (the default, English,
is what the other page tests read)."""

from __future__ import annotations

import pytest

from tests.translated import page_in

EXPECTED = {
    "de": {
        "home": ["<h1>Labor</h1>", "Ausstehende Freigaben (1)", "Freigabespezifikationen"],
        "lot": [
            "Qualitätskontrolle gegen Spezifikation",
            "Quarantäne",
            "Unterschreiben: zur klinischen Anwendung freigegeben",
            "Charge und ihre Einheiten verwerfen",
        ],
    },
    "ru": {
        "home": ["<h1>Лаборатория</h1>", "Ожидают выпуска (1)", "Спецификации выпуска"],
        "lot": [
            "Контроль качества по спецификации",
            "карантин",
            "Подписать: выпущено для клинического применения",
            "Списать партию и её единицы",
        ],
    },
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_lab_home_and_lot_page_in_the_readers_language(page_as, lot, lang):
    made = lot()
    lab = page_as("lab")
    home = page_in(lab, "/lab", lang, EXPECTED[lang]["home"])
    assert "Releases waiting" not in home.text
    page = page_in(lab, f"/lab/lots/{made['id']}", lang, EXPECTED[lang]["lot"])
    # The signature's meaning is posted (and stored) in English whatever the language.
    assert 'name="meaning" value="released for clinical use"' in page.text
    assert "Store result" not in page.text and "Record a QC result" not in page.text


def test_the_lot_page_stays_english_by_default(page_as, lot):
    made = lot()
    html = page_as("lab").get(f"/lab/lots/{made['id']}").text
    assert "Quality control against specification" in html
    assert "Sign: released for clinical use" in html
