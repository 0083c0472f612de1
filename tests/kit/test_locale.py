"""Dates, times and numbers in the reader's language and the clinic's time zone
(issue 14): a moment is shown in the clinic's zone (``RESPIRA_CLINIC_TIMEZONE``) with
the zone named, a number with the language's separators, and the language of a page's
text is the language of its dates (never an English page with Russian month names).
Language and country lists are named and sorted in the reader's language."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest

from respira.kit import i18n
from respira.kit.config import get_settings

WINTER = dt.datetime(2026, 1, 14, 23, 30, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 7, 14, 9, 20, tzinfo=dt.UTC)


@pytest.fixture
def clinic_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    def set_zone(zone: str) -> None:
        monkeypatch.setenv("RESPIRA_CLINIC_TIMEZONE", zone)
        get_settings.cache_clear()

    yield set_zone
    monkeypatch.delenv("RESPIRA_CLINIC_TIMEZONE", raising=False)
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("lang", "winter", "summer"),
    [
        ("en", "Jan 15, 2026, 12:30:00\u202fAM CET", "Jul 14, 2026, 11:20:00\u202fAM CEST"),
        ("de", "15.01.2026, 00:30:00 CET", "14.07.2026, 11:20:00 CEST"),
        ("ru", "15 янв. 2026\u202fг., 00:30:00 CET", "14 июл. 2026\u202fг., 11:20:00 CEST"),
    ],
)
def test_moments_are_shown_in_the_clinics_zone_and_name_it(clinic_in, lang, winter, summer):
    clinic_in("Europe/Berlin")
    assert i18n.fmt_datetime(WINTER, lang) == winter
    assert i18n.fmt_datetime(SUMMER, lang) == summer


def test_the_day_of_a_moment_is_the_clinics_day(clinic_in):
    clinic_in("Europe/Berlin")
    assert i18n.fmt_date(WINTER, "en") == "Jan 15, 2026"  # 23:30 UTC is the next day there
    clinic_in("America/New_York")
    assert i18n.fmt_date(WINTER, "en") == "Jan 14, 2026"
    assert i18n.fmt_datetime(WINTER, "en").endswith("6:30:00\u202fPM EST")


def test_a_stored_naive_moment_is_utc_and_a_zone_without_a_name_shows_its_offset(clinic_in):
    clinic_in("Asia/Dubai")  # CLDR and the tz database give no abbreviation: "+04"
    naive = WINTER.replace(tzinfo=None)
    assert i18n.fmt_datetime(naive, "en") == "Jan 15, 2026, 3:30:00\u202fAM UTC+04:00"
    assert i18n.fmt_datetime(WINTER, "en", zone="UTC") == "Jan 14, 2026, 11:30:00\u202fPM UTC"
    assert i18n.fmt_datetime(None, "en") == ""


@pytest.mark.parametrize(
    ("lang", "plain", "one_decimal", "whole"),
    [
        ("en", "12,345.678", "71.3", "1,235"),  # half up: 71.25 → 71.3
        ("de", "12.345,678", "71,3", "1.235"),
        ("ru", "12\xa0345,678", "71,3", "1\xa0235"),
    ],
)
def test_numbers_in_the_readers_way(lang, plain, one_decimal, whole):
    assert i18n.fmt_number(12345.678, lang) == plain
    assert i18n.fmt_number(71.25, lang, 1) == one_decimal
    assert i18n.fmt_number(1234.5, lang, 0) == whole
    assert i18n.fmt_number(None, lang) == ""


def test_languages_are_named_and_sorted_in_the_readers_language():
    german = dict(i18n.language_choices("de"))
    assert (german["de"], german["en"], german["ru"]) == ("Deutsch", "Englisch", "Russisch")
    russian = i18n.language_choices("ru")
    assert dict(russian)["de"] == "немецкий"
    names = [name for _code, name in russian]
    assert names == sorted(names, key=i18n.sort_key)
    # A stored tag that is not in the list is kept, named in the reader's language.
    assert ("pt-BR", "Portugiesisch (Brasilien)") in i18n.language_choices("de", "pt-BR")
    assert i18n.language_label("xx-QQ", "en") == "xx-QQ"


def test_countries_are_sorted_by_their_name_in_the_readers_language():
    german = [code for code, _name in i18n.country_choices("de")]
    # Ägypten among the A's, Österreich among the O's; Deutschland before Frankreich.
    assert german.index("EG") < german.index("AL") < german.index("DE") < german.index("FR")
    assert german.index("NO") < german.index("AT") < german.index("PL")
    russian = i18n.country_choices("ru")
    assert russian[0][1].startswith("А")  # Cyrillic names, in Cyrillic order
    assert dict(russian)["DE"] == "Германия"
    assert set(german) == {code for code, _name in russian}
    assert "EU" not in german and "ZZ" not in german  # not countries


def test_a_pages_text_and_its_dates_speak_one_language(page_as, make_patient):
    make_patient(date_of_birth="1979-04-12")
    staff = page_as("coordinator")
    page = staff.get("/patients", headers={"Accept-Language": "ru"}).text
    assert 'lang="ru"' in page and "12 апр. 1979\u202fг." in page
    # The query parameter wins over the browser's languages, for text and dates alike.
    page = staff.get("/patients?lang=en", headers={"Accept-Language": "ru"}).text
    assert 'lang="en"' in page and "Apr 12, 1979" in page
    assert not re.search(r"\b(янв|февр|мар|апр|мая|июн|июл|авг|сент|окт|нояб|дек)\.?\b", page)
    page = staff.get("/patients?lang=de").text
    assert 'lang="de"' in page and "12.04.1979" in page


def test_staff_pages_show_times_in_the_clinics_zone(clinic_in, page_as, db):
    from respira.intake import service
    from respira.intake.messages import CONSENT_TEXT_VERSION
    from respira.intake.schemas import ConsultationRequestIn
    from respira.kit.actors import Actor

    clinic_in("Europe/Moscow")
    with db.transaction() as session:
        service.add_request(
            session,
            Actor.public(),
            ConsultationRequestIn.model_validate(
                {
                    "kind": "callback",
                    "name": "Olga Smirnova",
                    "phone": "+7 495 1234567",
                    "country": "RU",
                    "consent": True,
                    "consent_text_version": CONSENT_TEXT_VERSION,
                }
            ),
            channel="web",
            language="ru",
            now=dt.datetime(2026, 3, 1, 21, 15, tzinfo=dt.UTC),
        )
    page = page_as("coordinator").get("/consultation-requests?lang=en").text
    assert "Mar 2, 2026, 12:15:00\u202fAM MSK" in page


def test_the_patient_form_offers_languages_and_countries_in_the_readers_language(page_as):
    page = page_as("coordinator").get("/patients/new?lang=de").text
    options = re.findall(r'<option value="([A-Za-z-]+)"[^>]*>([^<]+)</option>', page)
    values = dict(options)
    assert values["de"] == "Deutsch" and values["ru"] == "Russisch"
    assert values["AT"] == "Österreich" and values["DE"] == "Deutschland"
    countries = [code for code, _name in options if code.isupper() and len(code) == 2]
    assert countries.index("EG") < countries.index("DE")  # Ägypten, Deutschland
    assert re.search(r'<select id="f-preferred_language"', page)


def test_the_patient_page_names_the_country_and_language(page_as, make_patient):
    pid = make_patient(country="SE", preferred_language="sv")
    page = page_as("physician").get(f"/patients/{pid}?lang=de").text
    assert "Schweden" in page and "Schwedisch" in page
    assert "Record version" not in page  # internal version numbers are not shown
