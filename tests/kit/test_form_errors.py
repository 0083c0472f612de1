"""Errors on staff forms are written for people (issue 14): Pydantic's error types become
sentences with an example, in the reader's language, and the box above a refused form
names each field by the label the page gives it ("Date of birth: enter a full date,
for example 1980-03-14."), never by validator text or the field's internal name."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from respira.kit.texts import Msg
from respira.kit.web import templating
from respira.kit.web.forms import HUMAN_MESSAGES, FieldProblem, errors_by_field, parse
from tests.conftest import patient_data


class Sample(BaseModel):
    born: dt.date
    seen_at: dt.datetime
    fev1_pre_l: float = Field(ge=0.2, le=8)
    puffs: int
    name: str = Field(min_length=1, max_length=5)
    answer: Literal["yes", "no", "unknown"]
    confirmed: bool

    @field_validator("name")
    @classmethod
    def _no_digits(cls, value: str) -> str:
        if any(ch.isdigit() for ch in value):
            raise ValueError(Msg("Write the name in letters (%(n)s digits found).", n=2))
        return value


BAD = {
    "born": "1980-03",
    "seen_at": "yesterday",
    "fev1_pre_l": "0.1",
    "puffs": "2.5",
    "name": "",
    "answer": "maybe",
    "confirmed": "perhaps",
}


def _errors(**changes: str) -> dict[str, str]:
    body, errors = parse(Sample, {**BAD, **changes})
    assert body is None
    return errors


def test_pydantic_errors_become_sentences_with_examples():
    errors = _errors()
    assert errors == {
        "born": "Enter a full date, for example 1980-03-14.",
        "seen_at": "Enter a date and a time, for example 2026-03-14 09:30.",
        "fev1_pre_l": "Enter a number of at least 0.2.",
        "puffs": "Enter a whole number, for example 3.",
        "name": "This is required: fill it in.",
        "answer": "Choose one of the options offered.",
        "confirmed": "Choose yes or no.",
    }
    assert all(isinstance(v, FieldProblem) and v.field == k for k, v in errors.items())
    text = " ".join(errors.values())
    for validator_text in ("Input should", "input is too short", "String should", "valid"):
        assert validator_text not in text


def test_limits_are_written_as_people_write_them():
    assert _errors(fev1_pre_l="9")["fev1_pre_l"] == "Enter a number of at most 8."
    assert _errors(name="abcdefgh")["name"] == "Enter at most 5 characters."


def test_the_kits_shared_validators_are_said_as_sentences():
    from respira.kit.validation import ClinicalIn, PastDate, phone_number

    class Person(ClinicalIn):
        born: PastDate
        pack_years: float
        phone: str

        @field_validator("phone")
        @classmethod
        def _phone(cls, value: str) -> str:
            return phone_number(value)

    _, errors = parse(Person, {"born": "1980-03-14T10:00", "pack_years": True, "phone": "12"})
    assert errors == {
        "born": "Enter a full date, for example 1980-03-14.",
        "pack_years": "Enter a number, for example 72 or 1.5.",
        "phone": "Enter a phone number of 7 to 15 digits, for example +49 30 1234567.",
    }
    _, errors = parse(Person, {"born": "2999-01-01", "pack_years": 1, "phone": "+4930123456"})
    assert errors == {"born": "Enter today's date or an earlier one."}


def test_a_validators_own_message_is_kept_and_stays_translatable():
    problem = _errors(name="ab12")["name"]
    assert problem == "Write the name in letters (2 digits found)."
    assert isinstance(problem, FieldProblem)
    assert problem.msgid == "Write the name in letters (%(n)s digits found)."


def test_every_human_message_has_its_parameters_in_pydantics_context():
    """Each sentence names only parameters Pydantic gives for its error type; one that
    would not be filled falls back to a plain sentence, never to a KeyError."""
    for kind, msgid in HUMAN_MESSAGES.items():
        names = re.findall(r"%\((\w+)\)s", msgid)
        problem = FieldProblem("x", msgid, **dict.fromkeys(names, 1))
        assert "%(" not in problem, kind
    try:
        Sample.model_validate({**BAD, "fev1_pre_l": "0.5"})
    except ValidationError as exc:
        errors = errors_by_field(exc)
    assert "fev1_pre_l" not in errors


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Enter a number of at least 0.2."),
        ("de", "Geben Sie eine Zahl von mindestens 0,2 ein."),
        ("ru", "Введите число не меньше 0,2."),
    ],
)
def test_messages_are_translated_with_numbers_in_the_readers_way(lang, expected):
    assert templating.problem_text(_errors()["fev1_pre_l"], lang) == expected


def test_every_human_message_is_in_the_kit_catalogues():
    from respira.kit import i18n

    for lang in ("de", "ru"):
        catalogue = i18n.read_catalogue(lang)
        for msgid in {*HUMAN_MESSAGES.values(), "Check this value: it is not valid here."}:
            message = catalogue.get(msgid)
            assert message is not None and message.string, (lang, msgid)


def _summary(html: str) -> list[str]:
    box = re.search(r'<div class="error-box" role="alert" id="form-errors">(.*?)</div>', html, re.S)
    assert box, "no error summary"
    return [
        unescape(re.sub(r"<[^>]+>", "", li)).strip()
        for li in re.findall(r"<li>(.*?)</li>", box[1], re.S)
    ]


def _field_error(html: str, name: str) -> str:
    m = re.search(rf'<span class="error" id="e-{re.escape(name)}">([^<]*)</span>', html)
    assert m, f"no error beside {name}"
    return unescape(m[1])


def test_a_refused_staff_form_names_fields_by_their_labels(page_as):
    coordinator = page_as("coordinator")
    form = {k: str(v) for k, v in patient_data(date_of_birth="1980-03", height_cm="tall").items()}
    r = coordinator.post_form("/patients", form, csrf_from="/patients/new")
    assert r.status_code == 422
    assert _field_error(r.text, "date_of_birth") == "Enter a full date, for example 1980-03-14."
    summary = _summary(r.text)
    assert "Date of birth: enter a full date, for example 1980-03-14." in summary
    assert "Height: enter a number, for example 72 or 1.5." in summary
    assert "Input should" not in r.text and "date of birth:" not in r.text


def test_the_refused_form_speaks_the_readers_language(page_as):
    coordinator = page_as("coordinator")
    form = {k: str(v) for k, v in patient_data(date_of_birth="1980-03").items()}
    r = coordinator.post_form(
        "/patients?lang=ru", form, csrf_from="/patients/new", headers={"Accept-Language": "ru"}
    )
    assert r.status_code == 422
    assert _field_error(r.text, "date_of_birth") == "Введите полную дату, например 1980-03-14."
    (line,) = _summary(r.text)
    assert line.endswith(": введите полную дату, например 1980-03-14.")


def test_labels_are_read_from_the_page_and_the_templates_it_includes(app):
    labels = templating.field_labels("patients/form.html")
    assert labels["date_of_birth"] == "Date of birth"  # patients/_fields.html
    assert labels["smoking_pack_years"] == "Smoking"
    unlabelled = FieldProblem("pack_years", "Enter a number, for example 72 or 1.5.")
    assert (
        templating.labelled_problem("pack_years", unlabelled, "en", None)
        == "Pack years: enter a number, for example 72 or 1.5."
    )
    visit = templating.field_labels("diagnostics/visit.html")
    assert visit["fev1_pre_l"].startswith("FEV1")


def test_the_spirometry_form_names_fev1_not_fev1_pre_l(page_as, make_patient):
    """The issue's example: the box above the visit's spirometry form said "fev1 pre l: …"."""
    physician = page_as("physician")
    pid = make_patient()
    day = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    visit = physician.post_form(f"/patients/{pid}/visits", {"visit_date": day})
    visit_url = str(visit.url.path)
    form = {"equations": "gli-global", "height_cm": "168", "fev1_pre_l": "two", "fvc_pre_l": "3.2"}
    r = physician.post_form(f"{visit_url}/spirometry", form, csrf_from=visit_url)
    assert r.status_code == 422
    assert "fev1 pre l" not in r.text.lower()
    assert any(line.startswith("FEV1") for line in _summary(r.text)), _summary(r.text)
