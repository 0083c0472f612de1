"""Why a lot cannot be released, in German and Russian (issue 14): the readiness line of
the lot's page names each attribute by its label in the reader's language and says what
is wrong in it; the release specification's labels and source too. The API keeps its
English."""

from __future__ import annotations

import pytest

from tests.translated import page_in

READINESS = {
    "de": [
        "Nicht freigabefähig",
        "Viabilität: kein Ergebnis",
        "Sterilität: kein Ergebnis",
        "CD73-positiv: 80 erfüllt nicht ≥95 %",
    ],
    "ru": [
        "Жизнеспособность: нет результата",
        "Стерильность: нет результата",
        "CD73-положительные: 80 не соответствует требованию ≥95 %",
    ],
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_why_a_lot_is_not_releasable_in_the_readers_language(page_as, lot, lab, lang):
    made = lot(skip=("viability", "sterility"), results={"cd73": "80"})
    page = page_in(page_as("lab"), f"/lab/lots/{made['id']}", lang, READINESS[lang])
    for english in ("no result", "does not meet", "CD73 positive", "Viability"):
        assert english not in page.text
    # The API answers the reasons in English, as before.
    blocking = lab.get(f"/api/v1/lots/{made['id']}").json()["blocking"]
    assert "Viability: no result" in blocking and "Sterility: no result" in blocking
    assert any(b.startswith("CD73 positive: 80") and "does not meet" in b for b in blocking)


SPECIFICATIONS = {
    "de": ["CD73-positiv", "Mykoplasmen", "ISCT-Minimalkriterien", "Endotoxin &lt;0,5 EU/ml"],
    "ru": [
        "CD73-положительные",
        "Микоплазмы",
        "минимальные критерии ISCT",
        "эндотоксин &lt;0,5 ЕЭ/мл",
    ],
}


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_shipped_specification_in_the_readers_language(page_as, lot, lang):
    lot()
    page = page_in(page_as("lab"), "/lab/specifications", lang, SPECIFICATIONS[lang])
    assert "ISCT minimal criteria" not in page.text
    assert "<td>CD73 positive</td>" not in page.text


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("de", "Die Charge kann nicht freigegeben werden: Viabilität: kein Ergebnis"),
        ("ru", "Партию нельзя выпустить: Жизнеспособность: нет результата"),
    ],
)
def test_a_refused_release_says_why_in_the_readers_language(db, lot, release, lang, words):
    """A lot that is not releasable, released anyway: the refusal is one sentence whose
    reasons a page translates one by one (kit ``Msgs``), while the API answers the
    English sentence it always did."""
    from respira.kit.actors import Actor, Role
    from respira.kit.errors import Conflict
    from respira.kit.web.templating import problem_text
    from respira.products import service

    made = lot(skip=("viability",))
    refused = release(made["id"])
    assert refused.status_code == 409
    assert refused.json()["detail"] == "the lot cannot be released: Viability: no result"
    actor = Actor(user_id=1, role=Role.LAB, name="QA")
    with db.session() as session, pytest.raises(Conflict) as caught:
        service.release_lot(session, actor, made["id"], password="x", meaning="released")
    assert str(caught.value.message) == "the lot cannot be released: Viability: no result"
    assert problem_text(caught.value.message, lang) == words
