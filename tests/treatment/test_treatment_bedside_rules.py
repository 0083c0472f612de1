"""The bedside go / no-go as a pure function of the facts (no database): one test per
refusal reason, each at its cut-off, and a go when everything is right."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pytest

from respira.kit.clinic_time import clinic_day
from respira.treatment import bedside
from tests.translated import in_clinic_zone

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
PATIENT = 7
OTHER = 8


@dataclass(frozen=True)
class Facts:
    unit_id: int = 1
    din: str = "G123498654321"
    lot_id: int = 1
    lot_status: str = "released"
    lot_expiry: dt.date | None = dt.date(2026, 12, 31)
    unit_status: str = "thawed"
    autologous_patient_id: int | None = None
    course_id: int | None = 3
    infusion_day: int | None = 0
    thawed_at: dt.datetime | None = NOW - dt.timedelta(hours=1)
    thaw_expires_at: dt.datetime | None = NOW + dt.timedelta(hours=3)


def judge(
    facts: Facts | None = Facts(),
    *,
    patient_id: int | None = PATIENT,
    course_patient_id: int | None = PATIENT,
    now: dt.datetime = NOW,
) -> bedside.Verdict:
    return bedside.verdict(
        patient_id=patient_id,
        patient_code="RSP-1234567-4",
        unit=facts,
        din="G123498654321",
        course_patient_id=course_patient_id,
        now=now,
    )


def test_go_when_unit_is_this_patients_released_allocated_and_in_date():
    v = judge()
    assert v.ok and v.codes == () and v.reasons == ()


def test_go_for_the_patients_own_autologous_unit():
    assert judge(Facts(autologous_patient_id=PATIENT)).ok


def test_no_go_for_an_unknown_wristband_code():
    v = judge(patient_id=None)
    assert not v.ok and bedside.UNKNOWN_PATIENT in v.codes


def test_no_go_for_an_unknown_din():
    v = judge(None)
    assert not v.ok and v.codes == (bedside.UNKNOWN_UNIT,)


def test_no_go_for_another_patients_autologous_unit():
    v = judge(Facts(autologous_patient_id=OTHER))
    assert not v.ok and bedside.OTHER_PATIENTS_AUTOLOGOUS in v.codes
    assert any("another patient's autologous unit" in r for r in v.reasons)


def test_no_go_for_a_unit_allocated_to_no_course():
    v = judge(Facts(course_id=None), course_patient_id=None)
    assert v.codes == (bedside.NOT_ALLOCATED,)


def test_no_go_for_a_unit_allocated_to_another_patients_course():
    v = judge(course_patient_id=OTHER)
    assert v.codes == (bedside.NOT_ALLOCATED,)
    assert "another patient's course" in v.reasons[0]


def test_no_go_for_a_lot_in_quarantine():
    v = judge(Facts(lot_status="quarantine"))
    assert v.codes == (bedside.NOT_RELEASED,)


def test_no_go_for_a_recalled_lot():
    v = judge(Facts(lot_status="recalled"))
    assert v.codes == (bedside.RECALLED,)


def test_no_go_for_a_discarded_unit():
    assert judge(Facts(unit_status="discarded")).codes == (bedside.DISCARDED,)


def test_lot_usable_on_its_expiry_date_and_refused_the_day_after():
    today = clinic_day(NOW)  # the label's day is the clinic's
    assert judge(Facts(lot_expiry=today)).ok
    v = judge(Facts(lot_expiry=today - dt.timedelta(days=1)))
    assert v.codes == (bedside.EXPIRED,)


def test_no_go_once_the_post_thaw_time_has_run_out():
    assert judge(Facts(thaw_expires_at=NOW + dt.timedelta(seconds=1))).ok
    v = judge(Facts(thaw_expires_at=NOW))
    assert v.codes == (bedside.THAW_EXPIRED,)


def test_no_go_for_a_unit_already_given():
    v = judge(Facts(unit_status="administered"))
    assert v.codes == (bedside.ALREADY_GIVEN,)


def test_every_reason_that_applies_is_given_in_a_fixed_order():
    facts = replace(
        Facts(),
        autologous_patient_id=OTHER,
        lot_status="recalled",
        lot_expiry=NOW.date() - dt.timedelta(days=2),
        thaw_expires_at=NOW - dt.timedelta(minutes=1),
        unit_status="administered",
    )
    v = judge(facts, course_patient_id=OTHER)
    assert v.codes == (
        bedside.OTHER_PATIENTS_AUTOLOGOUS,
        bedside.NOT_ALLOCATED,
        bedside.RECALLED,
        bedside.EXPIRED,
        bedside.THAW_EXPIRED,
        bedside.ALREADY_GIVEN,
    )
    assert len(v.reasons) == len(v.codes)


@pytest.fixture
def clinic_in_moscow(request: pytest.FixtureRequest) -> None:
    in_clinic_zone(request, "Europe/Moscow")


def test_the_post_thaw_reason_gives_the_clinics_time_and_names_its_zone(clinic_in_moscow):
    v = judge(Facts(thaw_expires_at=NOW - dt.timedelta(hours=1)))  # 09:00 UTC
    assert v.reasons == ("the post-thaw time ran out at 2026-12-02 12:00 MSK",)


def test_a_lot_is_refused_once_its_expiry_day_has_passed_on_the_clinics_calendar(
    clinic_in_moscow,
):
    late = dt.datetime(2026, 12, 2, 22, 30, tzinfo=dt.UTC)  # 01:30 on 3 December in Moscow
    facts = Facts(lot_expiry=dt.date(2026, 12, 2), thaw_expires_at=late + dt.timedelta(hours=1))
    assert judge(facts, now=late).codes == (bedside.EXPIRED,)


# --- the reasons in the reader's language ------------------------------------------------

EVERY_REASON = (
    judge(None, patient_id=None),
    judge(
        Facts(
            autologous_patient_id=OTHER,
            lot_status="recalled",
            lot_expiry=dt.date(2026, 11, 30),
            thaw_expires_at=NOW - dt.timedelta(minutes=1),
            unit_status="administered",
        ),
        course_patient_id=None,
    ),
    judge(Facts(lot_status="discarded"), course_patient_id=OTHER),
    judge(Facts(lot_status="quarantine", unit_status="discarded")),
)


def test_every_reason_is_written_from_its_message_and_read_back_from_the_stored_text():
    written = [(c, r) for v in EVERY_REASON for c, r in zip(v.codes, v.reasons, strict=True)]
    assert {r.msgid for _, r in written} == {m for _, m in bedside.REASON_MESSAGES}
    for code, reason in written:
        stored = str(reason)  # what the check keeps: the code and the English text
        back = bedside.reason_message(code, stored)
        assert back is not None and back == stored
        assert (back.msgid, back.params) == (reason.msgid, reason.params)
    # Another code's text, or a text no message writes, is not read as a message.
    recalled = str(EVERY_REASON[1].reasons[EVERY_REASON[1].codes.index(bedside.RECALLED)])
    assert bedside.reason_message(bedside.NOT_RELEASED, recalled) is None
    assert bedside.reason_message(bedside.EXPIRED, "the lot expired last week") is None


def test_a_stored_reason_reads_in_german_and_russian_with_its_parameters_in_their_way():
    from respira.kit.texts import gettext_in

    def read(lang: str, code: str, text: str) -> str:
        return bedside.reason_text(code, text, gettext_in(lang), lang)

    expired = "the lot expired on 2026-11-30"
    assert read("de", bedside.EXPIRED, expired) == "die Charge ist am 30.11.2026 abgelaufen"
    assert (
        read("ru", bedside.EXPIRED, expired) == "срок годности партии истёк 30 нояб. 2026\u202fг."
    )
    quarantine = "the lot is not released (it is in quarantine)"
    assert read("de", bedside.NOT_RELEASED, quarantine) == (
        "die Charge ist nicht freigegeben (Status: Quarantäne)"
    )
    assert read("ru", bedside.NOT_RELEASED, quarantine) == "партия не выпущена (статус: карантин)"
    unknown = "no patient has the wristband code 'RSP-0000000-0'; scan again"
    assert read("de", bedside.UNKNOWN_PATIENT, unknown) == (
        "kein Patient hat den Armbandcode 'RSP-0000000-0'; bitte erneut scannen"
    )
    # A text stored before its message changed stays as it was written.
    assert read("de", bedside.EXPIRED, "the lot expired last week") == "the lot expired last week"
    assert read("en", bedside.EXPIRED, expired) == "the lot expired on Nov 30, 2026"
