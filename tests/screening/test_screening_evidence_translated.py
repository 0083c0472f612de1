"""A screening's evidence, reasons, sign form errors and the criteria form in German and
Russian (issue 14), while what is stored and what the API answers stay English."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from respira.kit import i18n
from respira.screening import engine, evaluator, wording
from respira.screening.criteria_sets import shipped_default_text
from respira.screening.schemas import CriterionResultOut
from tests.translated import page_in


def _screen(physician, pid: int) -> int:
    r = physician.post_form(f"/patients/{pid}/screenings", {}, follow_redirects=False)
    return int(re.fullmatch(r"/screenings/(\d+)", r.headers["location"]).group(1))


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_evidence_reads_in_the_readers_language_and_the_api_stays_english(
    page_as, doc, make_patient, candidate, lang
):
    physician = page_as("physician")
    # No findings: the physician's facts are not recorded; the candidate's hold.
    unknown = _screen(physician, make_patient())
    known = _screen(physician, candidate())
    words = {
        "de": ["nicht erfasst (Screening-Befunde) — unbekannt", "unbekannt, Daten oder"],
        "ru": ["не внесено (данные скрининга) — неизвестно", "неизвестно, нужны данные"],
    }
    page = page_in(physician, f"/screenings/{unknown}", lang, words[lang])
    assert "not recorded" not in page.text and "needs data or review" not in page.text
    holds = {
        "de": [": trifft zu", "kein Ausschlusskriterium erfüllt"],
        "ru": [": выполняется", "ни один критерий исключения не выполнен"],
    }
    page = page_in(physician, f"/screenings/{known}", lang, holds[lang])
    assert ": holds" not in page.text and "does not hold" not in page.text
    assert "every exclusion not met" not in page.text
    # The API answers the English that was stored and signed.
    out = doc.get(f"/api/v1/screenings/{unknown}").json()
    assert any(
        "not recorded (screening findings) — unknown" in c["evidence"] for c in out["criteria"]
    )
    assert any(r.startswith("unknown, needs data or review: ") for r in out["reasons"])
    out = doc.get(f"/api/v1/screenings/{known}").json()
    assert out["reasons"] == ["every exclusion not met and every required criterion met"]
    assert any(": holds" in c["evidence"] for c in out["criteria"])  # fmt: skip


def test_every_stored_line_is_written_again_from_its_structure():
    """The page's lines come from the stored value, date and source with the criterion's
    leaf: in English exactly the stored text, in German other words, for every state."""
    criteria = engine.load(shipped_default_text())
    on = dt.date(2026, 12, 7)

    class Found:
        def __init__(self, value, days_ago):
            self.value, self.on, self.source = value, on - dt.timedelta(days=days_ago), "visit 3"

    facts = {
        "age_years": Found(41, 0),
        "heart_failure_nyha": Found("II", 400),  # older than its window: stale
        "pneumonia": Found(False, 3),  # "no" before the screening date: uncovered
        "acq_score": Found(None, 1),  # recorded as unknown
        "blood_eosinophils_per_ul": Found(350.0, 10),
        "exacerbations_12m": Found(1, 5),
        "last_exacerbation": Found(on - dt.timedelta(days=90), 5),
    }
    result = engine.evaluate(criteria, facts, on)
    de = i18n.translations("de").gettext
    states, translated = set(), 0
    for c in result.results:
        stored = CriterionResultOut.model_validate(c.as_dict())
        rule = next(x.rule for x in criteria.criteria if x.id == c.id)
        leaves = wording.rule_leaves(rule)
        same = wording.criterion_lines(stored, leaves, on, evaluator.english)
        assert [line.text for line in same] == [f.text for f in stored.facts]
        german = wording.criterion_lines(stored, leaves, on, de)
        for line, fact in zip(german, stored.facts, strict=True):
            states.add(fact.state)
            translated += line.text != fact.text
            assert line.deciding == (fact.text in stored.evidence)
    assert states == {"used", "missing", "stale", "uncovered"}
    assert translated == sum(len(c.facts) for c in result.results)
    # A line the structure does not give again (an older wording) is shown as stored.
    stored = CriterionResultOut.model_validate(result.results[0].as_dict())
    old = stored.model_copy(
        update={"facts": [f.model_copy(update={"text": "older words"}) for f in stored.facts]}
    )
    rule = next(x.rule for x in criteria.criteria if x.id == old.id)
    lines = wording.criterion_lines(old, wording.rule_leaves(rule), on, de)
    assert [line.text for line in lines] == ["older words"] * len(old.facts)


SIGN = {
    "de": ["geben Sie zum Unterschreiben Ihr Passwort ein",
           "wählen Sie, was Ihre Unterschrift bedeutet: Eignung bestätigt oder abgelehnt"],
    "ru": ["введите пароль, чтобы подписать",
           "выберите значение вашей подписи: пригодность подтверждена или отклонено"],
}  # fmt: skip


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_sign_forms_errors_read_in_the_readers_language(page_as, candidate, lang):
    physician = page_as("physician")
    sid = _screen(physician, candidate())
    shown = re.search(r'name="version" value="(\d+)"', physician.get(f"/screenings/{sid}").text)
    r = physician.post_form(
        f"/screenings/{sid}/sign?lang={lang}",
        {"version": shown.group(1), "password": "", "meaning": ""},
        csrf_from=f"/screenings/{sid}",
    )
    assert r.status_code == 422
    assert all(text in r.text for text in SIGN[lang]), r.text
    assert "enter your password to sign" not in r.text
    assert "choose what your signature means" not in r.text


CRITERIA_FORM = {
    "de": ["Dies ist ein Pflichtfeld: Bitte ausfüllen.", "ja oder nein", "Patientenakte",
           "Raucheranamnese", "innerhalb der letzten"],
    "ru": ["Это обязательное поле: заполните его.", "да или нет", "карта пациента",
           "стаж курения", "за последние"],
}  # fmt: skip


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_criteria_form_reads_in_the_readers_language(page_as, lang):
    admin = page_as("admin")
    r = admin.post_form(
        f"/screening/criteria?lang={lang}", {"toml": ""}, csrf_from="/screening/criteria/new"
    )
    assert r.status_code == 422
    assert all(text in r.text for text in CRITERIA_FORM[lang]), r.text
    assert "This is required: fill it in." not in r.text
    assert "smoking history" not in r.text and "within the last" not in r.text


def test_a_fact_from_a_withdrawn_record_reads_in_the_readers_language():
    from respira.screening.decisions import WITHDRAWN
    from respira.screening.schemas import FactUseOut

    fact = FactUseOut(
        fact="pneumonia",
        label="pneumonia",
        value=None,
        unit=None,
        on=None,
        source=None,
        state="used",
        result=False,
        text=f"pneumonia: {WITHDRAWN}",
    )
    criterion = CriterionResultOut(
        id="active_infection",
        kind="exclusion",
        description="Active infection",
        source="clinical.md",
        required=True,
        status="not_met",
        evidence=fact.text,
        facts=[fact],
    )
    de = i18n.translations("de").gettext
    (line,) = wording.criterion_lines(criterion, None, dt.date(2026, 12, 7), de)
    assert (
        line.text == "Pneumonie: aus einem Eintrag, der nach diesem Screening zurückgezogen wurde"
    )
    assert line.deciding
