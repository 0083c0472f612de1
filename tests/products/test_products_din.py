"""ISBT 128 Donation Identification Numbers: the ISO 7064 Mod 37-2 check character
(clinical.md §5.5 test vector and the check system's own guarantees), parsing,
validation and the eye-readable form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from respira.products import din

CHARS = din.CHARSET[:36]  # a DIN itself holds no "*"


def _iso7064_residue(with_check: str) -> int:
    """The ISO 7064 pure-system validation: sum of value x 2^(i-1) over the string with
    its check character appended (i counted from the right, the check at i = 1) is
    1 modulo 37 exactly when the check character is right."""
    total = sum(din.CHARSET.index(c) * 2**i for i, c in enumerate(reversed(with_check)))
    return total % 37


def test_published_test_vector_g123498654321_has_check_value_17_and_character_h():
    assert din.check_value("G123498654321") == 17
    assert din.check_character("G123498654321") == "H"
    assert din.flag_check("G123498654321") == "77"


def test_all_zero_din_has_check_value_1():
    # sum = 0 → (38 - 0) mod 37 = 1 → "1"
    assert din.check_value("0000000000000") == 1
    assert din.check_character("0000000000000") == "1"


@pytest.mark.parametrize(
    ("text", "character"),
    [
        # by hand: 1 x 2^1 = 2; (38 - 2) mod 37 = 36 → "*"
        ("0000000000001", "*"),
        # 1 x 2^13 = 8192 = 221 x 37 + 15; (38 - 15) mod 37 = 23 → "N"
        ("1000000000000", "N"),
        # 10 ("A") x 2^13 = 81920 = 2214 x 37 + 2; (38 - 2) mod 37 = 36 → "*"
        ("A000000000000", "*"),
        # 2 x 2^2 + 1 x 2^1 = 10; (38 - 10) mod 37 = 28 → "S"
        ("0000000000021", "S"),
    ],
)
def test_hand_computed_check_characters(text, character):
    assert din.check_character(text) == character


@given(st.text(alphabet=CHARS, min_size=13, max_size=13))
def test_every_check_character_meets_the_iso_7064_residue(text):
    assert _iso7064_residue(text + din.check_character(text)) == 1


@given(
    st.text(alphabet=CHARS, min_size=13, max_size=13),
    st.integers(0, 12),
    st.sampled_from(CHARS),
)
def test_a_single_changed_character_changes_the_check_character(text, pos, char):
    changed = text[:pos] + char + text[pos + 1 :]
    if changed != text:
        assert din.check_character(changed) != din.check_character(text)


@given(st.text(alphabet=CHARS, min_size=13, max_size=13), st.integers(0, 11))
def test_two_swapped_neighbours_change_the_check_character(text, pos):
    swapped = text[:pos] + text[pos + 1] + text[pos] + text[pos + 2 :]
    if swapped != text:
        assert din.check_character(swapped) != din.check_character(text)


def test_build_and_format_give_the_eye_readable_form():
    d = din.build("G1234", 2098, 654321)
    assert d.text == "G123498654321"
    assert d.eye_readable == "G1234 98 654321 H"
    assert din.format_din("G123498654321") == "G1234 98 654321 H"


def test_parse_accepts_the_eye_readable_form_and_checks_its_check_character():
    assert din.parse("g1234 98 654321 h").text == "G123498654321"
    assert din.parse("G123498654321").serial == 654321
    with pytest.raises(ValueError, match="check character"):
        din.parse("G1234 98 654321 J")


@pytest.mark.parametrize(
    "bad",
    ["", "G12349865432", "G1234986543210", "1123498654321", "G1234AB654321", "G12-498654321"],
)
def test_malformed_dins_are_invalid(bad):
    assert din.is_valid(bad) is False


@pytest.mark.parametrize(
    ("fin", "serial"), [("1234A", 1), ("G123", 1), ("G1234", 0), ("G1234", 1_000_000)]
)
def test_build_refuses_a_bad_facility_code_or_serial(fin, serial):
    with pytest.raises(ValueError):
        din.build(fin, 26, serial)
