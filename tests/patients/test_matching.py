"""The name and phone matching behind the duplicate check (pure functions)."""

from __future__ import annotations

import pytest

from respira.patients import matching
from respira.patients.matching import (
    NAME_MATCH_THRESHOLD,
    e164,
    jaro_winkler,
    name_similarity,
    names_match,
    phone_forms,
    skeleton,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Иванова Мария", "ivanova maria"),
        ("Iwanowa", "ivanova"),
        ("Müller", "muler"),
        ("Mueller", "muler"),
        ("MULLER", "muler"),
        ("Straße", "strase"),
        ("Сергей", "sergei"),
        ("Sergey", "sergei"),
        ("Sergej", "sergei"),
        ("Пётр", "petr"),
        ("Pyotr", "petr"),
        ("Хабибуллин", "habibulin"),
        ("Khabibullin", "habibulin"),
        ("Алексей", "aleksei"),
        ("Alexei", "aleksei"),
        ("Zoë Ørsted", "zo orsted"),
        ("Ołeksandr", "oleksandr"),
        ("Олександр", "oleksandr"),
        ("Нұрлан", "nurlan"),
        ("Al-Mansouri", "al mansouri"),
    ],
)
def test_skeleton_makes_spelling_variants_one(text, expected):
    assert skeleton(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Иванова Мария", "Maria Ivanova"),
        ("Иванова Мария", "Marija Iwanowa"),
        ("Мария Петровна Иванова", "Maria Ivanova"),  # patronymic on one side only
        ("Anna Müller", "Anna Mueller"),
        ("Anna Müller", "ANNA MULLER"),
        ("Дмитрий Соколов", "Dmitri Sokolov"),
        ("Дмитрий Соколов", "Dmitriy Sokolov"),
        ("Алёна Попова", "Alyona Popova"),
        ("Юлия Кузнецова", "Julia Kuznetsova"),
        ("Наталья Волкова", "Natalia Volkova"),
        ("Elena Kuznetsova", "Yelena Kuznetsova"),
        ("José García", "Jose Garcia"),
        ("Anna Schmidt", "Anna Schmitt"),  # a one-letter typo
    ],
)
def test_the_same_person_spelt_differently_matches(a, b):
    assert names_match(a, b), (a, b, name_similarity(a, b))
    assert names_match(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Anna Müller", "Jonas Müller"),
        ("Olga Smirnova", "Irina Smirnova"),
        ("Lukas Weber", "Lukas Becker"),
        ("Anna Schmidt", "Anna Schneider"),
        ("Maria", "Maria Ivanova"),  # one shared word is not a name match
        ("Иван Петров", "Ivan Sidorov"),
    ],
)
def test_different_people_do_not_match(a, b):
    assert not names_match(a, b), (a, b, name_similarity(a, b))


def test_word_order_does_not_matter():
    assert name_similarity("Ivanova Maria", "Maria Ivanova") == 1.0


def test_threshold_sits_between_the_variants_and_different_people():
    # the weakest accepted variant in the tests above and the strongest rejected pair
    assert name_similarity("Anna Schmidt", "Anna Schmitt") >= NAME_MATCH_THRESHOLD
    assert name_similarity("Anna Schmidt", "Anna Schneider") < NAME_MATCH_THRESHOLD


def test_jaro_winkler_reference_values():
    # Winkler (1990)'s examples: MARTHA/MARHTA 0.961, DWAYNE/DUANE 0.84, DIXON/DICKSONX 0.813
    assert jaro_winkler("martha", "marhta") == pytest.approx(0.961, abs=0.001)
    assert jaro_winkler("dwayne", "duane") == pytest.approx(0.84, abs=0.001)
    assert jaro_winkler("dixon", "dicksonx") == pytest.approx(0.813, abs=0.001)
    assert jaro_winkler("abc", "") == 0.0
    assert jaro_winkler("abc", "xyz") == 0.0


@pytest.mark.parametrize(
    ("phone", "country", "expected"),
    [
        ("+49 30 1234567", "DE", "+49301234567"),
        ("030 1234567", "DE", "+49301234567"),
        ("0049 30 1234567", "DE", "+49301234567"),
        ("49301234567", "DE", "+49301234567"),
        ("+7 495 123-45-67", "RU", "+74951234567"),
        ("8 495 123-45-67", "RU", "+74951234567"),
        ("(415) 555-0134", "US", "+14155550134"),
        ("0301234567", None, None),  # national number, country unknown
        ("", "DE", None),
        (None, "DE", None),
    ],
)
def test_phone_numbers_in_e164(phone, country, expected):
    assert e164(phone, country) == expected


def test_phone_forms_cover_how_the_same_number_may_be_stored():
    assert phone_forms("030 1234567", "DE") == {
        "0301234567",
        "+49301234567",
        "49301234567",
        "0049301234567",
        "301234567",
    }
    assert phone_forms("12", "DE") == set()


@pytest.mark.parametrize(
    ("one", "other", "country"),
    [
        ("0049 555 0123", "555 0123", "DE"),  # international prefix / national, no trunk
        ("+49 555 0123", "0049 555 0123", "DE"),
        ("8 495 123 45 67", "007 495 1234567", "RU"),
        ("+7 495 123 45 67", "495 123 45 67", "RU"),
    ],
)
def test_the_same_number_written_two_ways_finds_the_other_either_way(one, other, country):
    """Issue 14: the registration check found neither "0049 555 0123" from "555 0123"
    nor the other way round (the worklist did): each form of a number is among the
    forms searched for the other, as the registry stores it (digits, "+" kept)."""
    for typed, stored in [(one, other), (other, one)]:
        as_stored = ("+" if stored.startswith("+") else "") + "".join(filter(str.isdigit, stored))
        assert as_stored in phone_forms(typed, country), (typed, stored)


def test_email_key_ignores_case_and_blanks():
    assert matching.email_key(" Anna.Muller@Mail.Example ") == "anna.muller@mail.example"
    assert matching.email_key("  ") is None
    assert matching.email_key(None) is None


def test_word_coverage_of_a_misspelt_search():
    assert matching.word_coverage(["shmit"], "Anna Schmidt") > 0.9
    assert matching.word_coverage(["zzz"], "Anna Schmidt") < 0.5
    assert matching.word_coverage([], "Anna Schmidt") == 0.0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Мария Петровна Иванова", "Maria Ivanova"),
        ("Anna Schmidt", "Anna Schmitt"),
        ("Anna Müller", "Jonas Mueller"),
        ("Ivanova", "Maria Ivanova"),
    ],
)
def test_a_stored_skeleton_gives_the_same_scores_as_the_name(a, b):
    """The registry compares with each patient's stored skeleton (``name_key``): the
    scores are those of the names themselves."""
    assert matching.words_similarity(skeleton(a).split(), skeleton(b).split()) == (
        name_similarity(a, b)
    )
    words = skeleton(a).split()
    assert matching.word_coverage(words, b, skeleton(b)) == matching.word_coverage(words, b)
    # The key is what is compared when given (the name is then not read).
    assert matching.word_coverage(["shmit"], "", "anna shmidt") > 0.9
