"""ISBT 128 Donation Identification Numbers (DIN, data structure 001): pure code.

A DIN is 13 characters: the Facility Identification Number (FIN: one letter and four
letters or digits, assigned by ICCBBA), the two-digit nominal year of collection and a
six-digit sequence number unique within the facility and year. The eye-readable check
character, printed boxed next to the DIN and not part of the barcode data, is ISO 7064
Mod 37-2 over the 13 characters with the character set ``0-9 A-Z *`` (values 0-36):
weight each value by 2^n, n its position counted from the right starting at 1; sum;
the check value is (38 - sum mod 37) mod 37. Test vector: "G123498654321" has check
value 17, eye-readable "H" (clinical.md §5.5, after the JPAC Red Book annex 2).

No I/O here: the service allocates sequence numbers; this module builds, parses,
validates and formats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
_VALUES = {c: i for i, c in enumerate(CHARSET)}
FIN_RE = re.compile(r"[A-Z][A-Z0-9]{4}")
DIN_RE = re.compile(r"(?P<fin>[A-Z][A-Z0-9]{4})(?P<year>[0-9]{2})(?P<serial>[0-9]{6})")
MAX_SERIAL = 999_999


def check_value(din: str) -> int:
    """The ISO 7064 Mod 37-2 check value (0-36) of the 13 DIN characters."""
    total = 0
    for n, char in enumerate(reversed(din), start=1):
        try:
            value = _VALUES[char]
        except KeyError:
            raise ValueError(f"{char!r} is not an ISBT 128 character (0-9, A-Z)") from None
        total += value * (2**n)
    return (38 - total % 37) % 37


def check_character(din: str) -> str:
    """The eye-readable check character: ``CHARSET[check_value(din)]``."""
    return CHARSET[check_value(din)]


def flag_check(din: str) -> str:
    """The two-digit barcode flag that carries the check value (check value + 60)."""
    return str(check_value(din) + 60)


@dataclass(frozen=True, slots=True)
class Din:
    facility_code: str
    year: int  # two digits, 0-99
    serial: int

    @property
    def text(self) -> str:
        return f"{self.facility_code}{self.year:02d}{self.serial:06d}"

    @property
    def check_character(self) -> str:
        return check_character(self.text)

    @property
    def eye_readable(self) -> str:
        return format_din(self.text)


def build(facility_code: str, year: int, serial: int) -> Din:
    """A DIN of the facility, the year (four digits or two) and the serial number."""
    if not FIN_RE.fullmatch(facility_code):
        raise ValueError("the facility code must be one letter and four letters or digits")
    if not 0 < serial <= MAX_SERIAL:
        raise ValueError(f"the serial number must be 1-{MAX_SERIAL}")
    return Din(facility_code, year % 100, serial)


def parse(text: str) -> Din:
    """A DIN from its 13 characters, or from its eye-readable form with spaces and the
    check character ("G1234 98 654321 H"), whose check character must then be right."""
    compact = re.sub(r"\s+", "", text.strip().upper())
    given_check = None
    if len(compact) == 14:
        compact, given_check = compact[:13], compact[13]
    m = DIN_RE.fullmatch(compact)
    if m is None:
        raise ValueError(
            "a DIN is 13 characters: facility code (a letter and four letters or digits), "
            "a two-digit year and a six-digit serial number"
        )
    if given_check is not None and given_check != check_character(compact):
        raise ValueError("the check character does not match the DIN")
    return Din(m["fin"], int(m["year"]), int(m["serial"]))


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def format_din(din: str) -> str:
    """The eye-readable form: "G1234 98 654321 H" (facility, year, serial, check)."""
    d = parse(din)
    return f"{d.facility_code} {d.year:02d} {d.serial:06d} {d.check_character}"
