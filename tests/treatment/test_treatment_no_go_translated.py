"""The administration form's "no-go now" refusal names every reason in the reader's
language (kit ``Msgs``: each reason translated on its own), while its English, which the
API answers, is the sentence it always was (issue 14)."""

from __future__ import annotations

import datetime as dt

from respira.kit.texts import Msg
from respira.kit.web.templating import problem_text
from respira.treatment import bedside


def test_every_no_go_reason_is_translated_and_the_english_is_unchanged():
    verdict = bedside.verdict(
        patient_id=None,
        patient_code="W-17",
        unit=None,
        din="W0000 26 000001 00",
        course_patient_id=None,
        now=dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC),
    )
    assert not verdict.ok and len(verdict.reasons) == 2
    refusal = Msg("no-go now: %(reasons)s", reasons=bedside.verdict_reasons(verdict))
    assert str(refusal) == "no-go now: " + "; ".join(verdict.reasons)
    german = problem_text(refusal, "de")
    russian = problem_text(refusal, "ru")
    for text in (german, russian):
        assert "W-17" in text and "W0000 26 000001 00" in text
        assert "no patient has" not in text and "no unit has" not in text
    assert german.startswith("jetzt NO-GO: ") and "; " in german
    assert russian.startswith("сейчас NO-GO: ")
