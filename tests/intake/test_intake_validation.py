"""The rules of a consultation request, field by field (the schema shared by the public
page and the public API). No database is needed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from respira.intake.messages import CONSENT_TEXT_VERSION
from respira.intake.schemas import (
    CONTACT_TIME_MAX,
    DESCRIPTION_MAX,
    EMAIL_MAX,
    NAME_MAX,
    PHONE_INPUT_MAX,
    ConsultationRequestIn,
    ConsultationRequestPatch,
)
from tests.intake.helpers import request_data


def errors_of(**overrides: Any) -> dict[str, str]:
    """field → error code of a request with these fields changed (... removes one)."""
    try:
        ConsultationRequestIn.model_validate(request_data(**overrides))
    except ValidationError as exc:
        return {str(e["loc"][0]) if e["loc"] else "": e["type"] for e in exc.errors()}
    return {}


def valid(**overrides: Any) -> ConsultationRequestIn:
    return ConsultationRequestIn.model_validate(request_data(**overrides))


def test_a_complete_consultation_request_is_valid_and_normalised():
    req = valid(country=" de ", preferred_language="pt-br", phone="+49 (30) 123-4567")
    assert req.country == "DE"
    assert req.preferred_language == "pt-BR"
    assert req.phone == "+49301234567"
    assert req.consent is True
    assert req.consent_text_version == CONSENT_TEXT_VERSION


# --- name -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   ", None, ...])
def test_name_is_required(name):
    assert errors_of(name=name) == {"name": "required" if name is not ... else "missing"}


def test_name_is_one_line_without_control_characters():
    assert errors_of(name="Anna\nSchmidt") == {"name": "one_line"}
    assert errors_of(name="Anna\x00Schmidt") == {"name": "control_chars"}
    assert errors_of(name="Anna \u202eadimhcS") == {"name": "control_chars"}  # bidi override


def test_name_may_use_any_script_and_is_trimmed():
    assert valid(name="  Дмитрий Соколов ").name == "Дмитрий Соколов"
    assert valid(name="فاطمة حداد").name == "فاطمة حداد"


def test_name_longer_than_its_limit_is_refused():
    assert valid(name="N" * NAME_MAX).name == "N" * NAME_MAX
    assert errors_of(name="N" * (NAME_MAX + 1)) == {"name": "too_long"}


def test_name_that_is_not_text_is_refused():
    assert errors_of(name=42) == {"name": "not_text"}


# --- contact ----------------------------------------------------------------------


def test_email_must_be_an_address_and_is_normalised():
    assert errors_of(email="not-an-address") == {"email": "email"}
    assert valid(email="Anna@Example.COM").email == "Anna@example.com"


def test_email_longer_than_254_characters_is_refused():
    long = "a" * (EMAIL_MAX - len("@mail.example") + 1) + "@mail.example"
    assert errors_of(email=long) == {"email": "too_long"}


@pytest.mark.parametrize("phone", ["12345", "call me", "+49 30 1234567 8901234", "49-30-ab"])
def test_phone_must_have_7_to_15_digits(phone):
    assert errors_of(phone=phone) == {"phone": "phone"}


def test_phone_input_longer_than_its_limit_is_refused():
    assert errors_of(phone="+4" + " " * PHONE_INPUT_MAX + "9301234567") == {"phone": "too_long"}


def test_email_alone_is_enough_contact():
    assert valid(phone=None).email == "k.vogel@mail.example"


def test_phone_alone_is_enough_contact():
    assert valid(email="").phone == "+49301234567"


def test_a_consultation_needs_an_email_or_a_phone():
    assert errors_of(email=None, phone=None) == {"phone": "contact"}
    assert errors_of(email=" ", phone="") == {"phone": "contact"}


def test_an_invalid_email_is_reported_as_such_not_as_missing_contact():
    assert errors_of(email="nope", phone=None) == {"email": "email"}


# --- kind, callback -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["", "visit", None, "Consultation"])
def test_kind_is_consultation_or_callback(kind):
    assert errors_of(kind=kind) == {"kind": "kind"}


def test_a_callback_needs_only_name_phone_country_and_consent():
    req = ConsultationRequestIn.model_validate(
        {
            "kind": "callback",
            "name": "Dmitri",
            "phone": "+7 495 123-45-67",
            "country": "RU",
            "consent": True,
            "consent_text_version": CONSENT_TEXT_VERSION,
        }
    )
    assert (req.email, req.description, req.preferred_language) == (None, None, None)


def test_a_callback_without_a_phone_is_refused_even_with_an_email():
    assert errors_of(kind="callback", phone=None) == {"phone": "callback_phone"}


def test_a_consultation_needs_a_description_of_the_asthma():
    assert errors_of(description=None) == {"description": "description"}
    assert errors_of(description="   \n ") == {"description": "description"}


def test_description_keeps_line_breaks_and_normalises_crlf_from_a_textarea():
    assert valid(description="line one\r\nline two\rthree").description == (
        "line one\nline two\nthree"
    )


def test_description_longer_than_its_limit_is_refused():
    assert valid(description="я" * DESCRIPTION_MAX).description == "я" * DESCRIPTION_MAX
    assert errors_of(description="я" * (DESCRIPTION_MAX + 1)) == {"description": "too_long"}


def test_description_counts_a_textarea_line_break_as_one_character():
    text = ("x" * 99 + "\r\n") * 20  # 2000 characters in the browser, 2020 sent
    assert len(valid(description=text).description) == 1999  # trailing break trimmed


# --- country, language, contact time -------------------------------------------------


@pytest.mark.parametrize("country", ["XX", "Germany", "D", "EU", "ZZ", 49])
def test_country_must_be_an_iso_3166_alpha_2_code(country):
    assert errors_of(country=country) == {"country": "country"}


def test_country_is_required():
    assert errors_of(country="") == {"country": "required"}


@pytest.mark.parametrize("lang", ["deutsch", "d", "xx-" + "y" * 40, "12"])
def test_preferred_language_must_be_a_bcp47_tag(lang):
    assert errors_of(preferred_language=lang) == {"preferred_language": "language"}


def test_preferred_language_may_be_left_out():
    assert valid(preferred_language="").preferred_language is None


def test_preferred_contact_time_is_one_line_within_its_limit():
    assert errors_of(preferred_contact_time="t" * (CONTACT_TIME_MAX + 1)) == {
        "preferred_contact_time": "too_long"
    }
    assert errors_of(preferred_contact_time="Mon\nTue") == {"preferred_contact_time": "one_line"}
    assert valid(preferred_contact_time="").preferred_contact_time is None


# --- consent ------------------------------------------------------------------------


@pytest.mark.parametrize("consent", [False, None, "true", 1, "yes"])
def test_consent_must_be_an_explicit_true(consent):
    assert errors_of(consent=consent) == {"consent": "consent"}


def test_missing_consent_is_refused_naming_consent():
    assert errors_of(consent=...) == {"consent": "missing"}


@pytest.mark.parametrize("version", ["", "2020-01-01", None, 1])
def test_consent_must_name_the_current_wording_version(version):
    assert errors_of(consent_text_version=version) == {"consent_text_version": "consent_version"}


def test_unknown_fields_are_refused():
    assert errors_of(website="http://spam.example") == {"website": "extra_forbidden"}


# --- a coordinator's change -----------------------------------------------------------


def test_declining_needs_a_reason_and_a_reason_needs_the_declined_status():
    with pytest.raises(ValidationError, match="reason for declining"):
        ConsultationRequestPatch.model_validate({"status": "declined"})
    with pytest.raises(ValidationError, match="only together with the status declined"):
        ConsultationRequestPatch.model_validate({"decline_reason": "no"})
    with pytest.raises(ValidationError, match="only together with the status declined"):
        ConsultationRequestPatch.model_validate({"status": "contacted", "decline_reason": "no"})
    patch = ConsultationRequestPatch.model_validate({"status": "declined", "decline_reason": "x"})
    assert patch.model_dump(exclude_unset=True) == {"status": "declined", "decline_reason": "x"}


def test_notes_may_be_cleared_with_blank_or_null():
    assert ConsultationRequestPatch.model_validate({"notes": " "}).notes is None
    assert ConsultationRequestPatch.model_validate({"notes": None}).notes is None
