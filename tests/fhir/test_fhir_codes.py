"""The codes Respira's FHIR resources carry, checked against their sources
(``respira.fhir.codes`` names them): every LOINC code has a valid check digit, FVC
post-bronchodilator is the spirometry code 19874-7 with LOINC's name, the discharge
summary is LOINC 18842-5, and a unit's DIN is identified in ICCBBA's URI of the data
element."""

from __future__ import annotations

from typing import Any

import pytest

from respira.fhir import codes
from respira.fhir.followup_resources import HOME_SPIROMETRY
from tests.fhir.fhir_helpers import by_type, everything

LOINC = "http://loinc.org"
DIN_SYSTEM = "https://www.isbt128.org/uri/DonationIdentificationNumber"


def loinc_check_digit(number: str) -> int:
    """LOINC's mod-10 check digit of a code's number (LOINC Users' Guide): the digits in
    odd places from the right, read right to left, as one number times two; its digits
    and those in even places summed; the check digit takes the sum to a multiple of 10."""
    reversed_digits = number[::-1]
    doubled = str(int(reversed_digits[0::2]) * 2)
    total = sum(int(d) for d in reversed_digits[1::2] + doubled)
    return (10 - total % 10) % 10


def loinc_valid(code: str) -> bool:
    number, _, check = code.partition("-")
    return number.isdigit() and check.isdigit() and loinc_check_digit(number) == int(check)


def _loinc_codes() -> set[str]:
    """Every LOINC code ``respira.fhir`` writes or reads."""
    found = {code for code, _ in codes.SPIROMETRY_LOINC.values()}
    found |= {code for code, _ in codes.PERCENT_PREDICTED_LOINC.values()}
    found |= set(codes.IMPORT_VOLUMES) | {codes.FEV1_FVC_LOINC}
    found |= {code for code, *_ in codes.MARKERS.values()}
    found |= {code for code, *_ in codes.VITALS.values()}
    found |= {c for score in codes.SCORE_CODES.values() for s, c, _ in score if s == LOINC}
    found |= {c for s, c, _ in codes.DOCUMENT_TYPES.values() if s == LOINC}
    found |= {code for code, _ in HOME_SPIROMETRY.values()}
    pairs = (codes.BLOOD_PRESSURE, codes.SYSTOLIC, codes.DIASTOLIC)
    found |= {code for code, _ in (*pairs, codes.BODY_WEIGHT, codes.BODY_HEIGHT)}
    return found


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("19874-7", True),
        ("19875-4", True),
        ("18842-5", True),
        ("19874-4", False),
        ("20157-5", False),
    ],
)
def test_the_loinc_check_digit_tells_a_valid_code_from_a_typo(code: str, valid: bool) -> None:
    assert loinc_valid(code) is valid


def test_every_loinc_code_respira_writes_or_reads_has_a_valid_check_digit() -> None:
    found = _loinc_codes()
    # spirometry, home spirometry, markers, the ACT, vital signs, body measures, documents
    assert {"19874-7", "20150-9", "26449-9", "82668-5", "85354-9", "29463-7", "18842-5"} <= found
    assert sorted(c for c in found if not loinc_valid(c)) == []


def test_fvc_post_is_the_spirometry_code_the_din_has_iccbbas_uri_and_a_discharge_summary_18842_5(
    fhir_road: Any, doctor: Any
) -> None:
    bundle = everything(doctor, fhir_road.pid)
    fvc = [
        o
        for o in by_type(bundle, "Observation")
        if o["id"].startswith("spirometry-") and o["id"].endswith(("-fvc-post", "-fvc-pre"))
    ]
    assert len(fvc) == 2
    names = {o["id"].rsplit("-", 1)[-1]: o["code"]["coding"][0] for o in fvc}
    name = "Forced vital capacity [Volume] Respiratory system by Spirometry --{} bronchodilation"
    assert names["post"] == {"system": LOINC, "code": "19874-7", "display": name.format("post")}
    assert names["pre"] == {"system": LOINC, "code": "19876-2", "display": name.format("pre")}

    (unit,) = by_type(bundle, "BiologicallyDerivedProduct")
    (din,) = [i for i in unit["identifier"] if i.get("system") == DIN_SYSTEM]
    assert din["value"] == fhir_road.road.din == unit["id"]
    (procedure,) = by_type(bundle, "Procedure")
    (used,) = procedure["usedReference"]
    assert used["identifier"] == din

    (summary,) = by_type(bundle, "DocumentReference")
    assert summary["type"]["coding"] == [
        {"system": LOINC, "code": "18842-5", "display": "Discharge summary"}
    ]
