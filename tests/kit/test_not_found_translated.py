"""A record that does not exist: the page says so in the reader's language, the API in
English (issue 14; the words are ``kit.errors.NOT_FOUND_TEXTS`` and the steps' own)."""

from __future__ import annotations

import pytest

CASES = [
    ("physician", "/courses/987654", "no such course",
     {"de": "diesen Behandlungszyklus gibt es nicht", "ru": "такого курса лечения нет"}),
    ("lab", "/lab/lots/987654", "no such lot",
     {"de": "Diese Charge gibt es nicht.", "ru": "Такой партии нет."}),
    ("coordinator", "/invoices/987654", "no such invoice",
     {"de": "Diese Rechnung gibt es nicht.", "ru": "Такого счёта нет."}),
]  # fmt: skip


@pytest.mark.parametrize("lang", ["de", "ru"])
@pytest.mark.parametrize(("role", "url", "english", "shown"), CASES)
def test_a_missing_record_is_named_in_the_readers_language(
    page_as, role, url, english, shown, lang
):
    page = page_as(role).get(f"{url}?lang={lang}")
    assert page.status_code == 404
    assert shown[lang] in page.text and english not in page.text
    assert english in page_as(role).get(f"{url}?lang=en").text
