"""The follow-up's staff page in German and Russian (issue 14): the science's reason why a
check-in's spirometry cannot be read (an ACQ-7 whose FEV1 % predicted is out of range)
is written in the reader's language inside the check-in's own message, and the answered
check-in's score, spirometry, pattern and attacks are in the reader's words and numbers.
The English page and the API keep their English."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest

from tests.followup.followup_helpers import check_in_body

ACQ7 = {"answers.0": "1", "answers.1": "2", "answers.2": "1", "answers.3": "1",
        "answers.4": "2", "answers.5": "1", "rescue_puffs_per_week": "8",
        "maintenance_ocs_mg_per_day": "0", "medication_changed": "no"}  # fmt: skip
# FEV1 8 L is about 275 % of the patient's predicted: beyond ACQ-7's item 7 (1–250).
IMPLAUSIBLE = {"fev1_l": "8", "fvc_l": "8.5"}
ENGLISH_REASON = (
    "Your spirometry cannot be read against the reference values: acq7 item 7 "
    "(FEV1 % predicted, pre-bronchodilator) is out of range, got 274.8"
)
REASON = {
    "en": ENGLISH_REASON,
    "de": "Ihre Spirometrie kann nicht mit den Referenzwerten verglichen werden: ACQ-7, Frage 7 "
    "(FEV1 in Prozent des Sollwerts, vor Bronchodilatator): die Antwort 274,8 liegt außerhalb "
    "des Bereichs; zulässig: eine Zahl von 1 bis 250",
    "ru": "Вашу спирометрию нельзя сопоставить с нормативными значениями: ACQ-7, вопрос 7 "
    "(ОФВ1 % от должного, до бронходилататора): ответ 274,8 вне допустимого диапазона; "
    "допустимо: число от 1 до 250",
}


def _acq7_follow_up(fu: Any) -> tuple[int, int]:
    pid = fu.patient()
    fu.baseline(pid, "acq7", [1, 1, 1, 1, 1, 1, 85.0])
    stay = fu.stay(pid)
    return pid, fu.open_window(stay.pid, 1, closes_in_days=5)


@pytest.mark.parametrize("lang", ["de", "ru", "en"])
def test_the_sciences_reason_reads_in_the_readers_language(fu, page_as, lang):
    _pid, fid = _acq7_follow_up(fu)
    page = page_as("coordinator").post_form(
        f"/follow-ups/{fid}/check-in?lang={lang}", {**ACQ7, **IMPLAUSIBLE}
    )
    assert page.status_code == 422
    text = html.unescape(page.text)
    assert REASON[lang] in text
    if lang != "en":
        assert "is out of range" not in text and "cannot be read against" not in text


def test_the_api_answers_the_reason_in_the_sciences_english(fu, api_as):
    _pid, fid = _acq7_follow_up(fu)
    body = check_in_body(answers=[1, 2, 1, 1, 2, 1], fev1_l=8, fvc_l=8.5)
    r = api_as("coordinator").post(f"/api/v1/follow-ups/{fid}/check-in", json=body)
    assert r.status_code == 422
    (message,) = [d["msg"] for d in r.json()["detail"] if d["field"] == "fev1_l"]
    assert message.startswith(ENGLISH_REASON)
    assert message.endswith("; allowed: a number from 1 to 250")


SUMMARY = {
    "en": ["Score: <strong>1.42857</strong> (grey zone); baseline 1.14286, change +0.2857",
           "(severe exacerbation)", "FEV1 2.40 L, FVC 3.10 L", "Pattern: normal"],
    "de": ["<strong>1,429</strong> (Graubereich); Ausgangswert 1,143, Veränderung +0,286",
           "(schwere Exazerbation)", "FEV1 2,40 L, FVC 3,10 L", "Muster: unauffällig"],
    "ru": ["<strong>1,429</strong> (пограничная зона); исходно 1,143, изменение +0,286",
           "(тяжёлое обострение)", "2,40 л", "3,10 л", "Тип нарушений: норма"],
}  # fmt: skip
ENGLISH_SUMMARY = ["grey zone", "(severe", "2.40 L", "1.42857", "Pattern: normal"]


@pytest.mark.parametrize("lang", ["de", "ru", "en"])
def test_an_answered_check_in_reads_in_the_readers_words_and_numbers(fu, page_as, lang):
    _pid, fid = _acq7_follow_up(fu)
    coordinator = page_as("coordinator")
    attack = {
        "exacerbations.0.started_on": str(dt.date.today() - dt.timedelta(days=5)),
        "exacerbations.0.corticosteroid_course": "on",
    }
    answered = coordinator.post_form(
        f"/follow-ups/{fid}/check-in", {**ACQ7, "fev1_l": "2.4", "fvc_l": "3.1", **attack}
    )
    assert answered.status_code == 200, answered.text  # followed to the page
    text = html.unescape(coordinator.get(f"/follow-ups/{fid}?lang={lang}").text)
    text = " ".join(text.split())
    missing = [t for t in SUMMARY[lang] if t not in text]
    assert not missing, missing
    if lang != "en":
        left = [t for t in ENGLISH_SUMMARY if t in text]
        assert not left, f"English on the {lang} page: {left}"
