"""What Respira ships (criteria sets, release specifications, programme limits, the
expected-reactions list) is stored with an English author, "Respira (shipped default)"
or "Respira (programme default)"; pages show it in the reader's language (the
templates' ``author`` filter), a person's name as written (issue 14)."""

from __future__ import annotations

import pytest

CASES = [
    ("lab", "/lab/specifications", "Respira (shipped default)"),
    ("physician", "/safety/expected-reactions", "Respira (programme default)"),
]
SHOWN = {
    ("de", "Respira (shipped default)"): "Respira (ausgelieferte Vorgabe)",
    ("ru", "Respira (shipped default)"): "Respira (исходная версия по умолчанию)",
    ("de", "Respira (programme default)"): "Respira (Programmvorgabe)",
    ("ru", "Respira (programme default)"): "Respira (значения программы по умолчанию)",
}


@pytest.mark.parametrize("lang", ["de", "ru"])
@pytest.mark.parametrize(("role", "url", "stored"), CASES)
def test_the_shipped_versions_author_is_shown_in_the_readers_language(
    page_as, role, url, stored, lang
):
    page = page_as(role).get(f"{url}?lang={lang}")
    assert page.status_code == 200
    assert SHOWN[(lang, stored)] in page.text and stored not in page.text
    english = page_as(role).get(f"{url}?lang=en")
    assert stored in english.text
