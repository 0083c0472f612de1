"""No catalogue lacks a translation.

The messages are extracted from the source with Babel's own extraction API, using the
same mapping as ``babel.cfg`` (Python modules and Jinja2 templates), so a new ``_()``
string anywhere fails this test until every catalogue translates it. A translation
must be non-empty, not fuzzy (fuzzy entries are not compiled, so the visitor would see
English), and use exactly the placeholders of the English text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from respira.kit import i18n

ROOT = Path(__file__).resolve().parents[2]
BABEL_CFG = ROOT / "babel.cfg"
REQUIRED_LANGUAGES = {"de", "ru"}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdifrxXeEgGc%])")


def _placeholders(text: str) -> list[tuple[str, str]]:
    return sorted((name or "", conv) for name, conv in PLACEHOLDER.findall(text) if conv != "%")


def _extracted() -> dict[str, set[str]]:
    """msgid (the first form of a plural) → the places that use it."""
    with BABEL_CFG.open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename=str(BABEL_CFG))
    found: dict[str, set[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        forms: Iterable[str] = message if isinstance(message, tuple) else (message,)
        for msgid in forms:
            if msgid:
                found.setdefault(msgid, set()).add(f"{filename}:{lineno}")
    return found


def _catalog(lang: str) -> Catalog:
    """The kit's catalogue merged with every step's own (``<step>/locale/``)."""
    return i18n.read_catalogue(lang)


EXTRACTED = _extracted()
LANGUAGES = [lang for lang in i18n.available_languages() if lang != i18n.SOURCE_LANGUAGE]


def test_the_extraction_finds_the_patient_facing_text():
    from respira.intake.messages import CONSENT_TEXT, ERRORS

    assert CONSENT_TEXT in EXTRACTED  # Python, marked with N_()
    assert ERRORS["consent"] in EXTRACTED
    assert "Ask for a consultation" in EXTRACTED  # intake/form.html
    assert "Skip to content" in EXTRACTED  # base.html
    assert "Welcome, %(name)s" in EXTRACTED  # home.html
    assert "Back to the start page" in EXTRACTED  # error.html
    assert "Password" in EXTRACTED  # auth/login.html
    assert "required" in EXTRACTED  # _field.html


def test_german_and_russian_catalogues_exist_and_the_switcher_lists_them():
    assert set(LANGUAGES) >= REQUIRED_LANGUAGES


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_extracted_message_is_translated_in_the_catalogue(lang):
    catalog = _catalog(lang)
    problems = []
    for msgid, places in sorted(EXTRACTED.items()):
        where = ", ".join(sorted(places)[:2])
        message = catalog.get(msgid)
        if message is None:
            problems.append(f"missing: {msgid!r} ({where})")
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s and s.strip() for s in strings):
            problems.append(f"empty: {msgid!r} ({where})")
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({where})")
    assert not problems, f"{lang}: {len(problems)} problem(s):\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_use_exactly_the_placeholders_of_the_english_text(lang):
    catalog = _catalog(lang)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = _placeholders(ids[0])
        for text in strings:
            if text and _placeholders(text) != expected:
                problems.append(f"{ids[0]!r}: {_placeholders(text)} != {expected}")
        if expected and message.python_format:
            # The translation formats with the English text's parameters.
            params = {name: 1 if conv in "di" else "x" for name, conv in expected}
            for text in strings:
                try:
                    text % params
                except (KeyError, TypeError, ValueError) as exc:
                    problems.append(f"{ids[0]!r}: {exc}")
    assert not problems, f"{lang}:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_compiles_and_translates(lang):
    i18n.translations.cache_clear()
    gettext = i18n.translations(lang).gettext
    assert gettext("Send request") != "Send request"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_message_in_several_catalogues_is_translated_the_same_way_in_each(lang):
    """The steps' catalogues are merged into one, so a message id that two steps both
    translate is shown with whichever is read last: two different translations make a
    page's word depend on the order of the files (issue 14: "Course" was a disease's
    course, "Verlauf", on the lab's and the protocols' pages)."""
    from babel.messages.pofile import read_po

    seen: dict[str, dict[str, set[str]]] = {}
    for path in i18n.catalogue_files(lang):
        with path.open("rb") as fh:
            for message in read_po(fh, locale=lang, domain=i18n.DOMAIN):
                if message.id and message.string:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    text = (
                        message.string
                        if isinstance(message.string, str)
                        else "|".join(message.string)
                    )
                    seen.setdefault(key, {}).setdefault(text, set()).add(path.parts[-5])
    differing = {k: v for k, v in seen.items() if len(v) > 1}
    assert not differing, "\n".join(f"{k!r}: {v}" for k, v in sorted(differing.items()))
