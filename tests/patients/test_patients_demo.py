"""The demo clinic's people: no two demo patients are probable duplicates of each other,
and names, sex, language and phone numbers agree with the person's country."""

from __future__ import annotations

import inspect
import random

import pytest

from respira.app import demo as app_demo
from respira.intake.demo import _REQUESTS
from respira.patients.demo import _NAMES, synthetic_patients
from respira.patients.matching import DIALLING_CODES, e164, names_match


@pytest.fixture(scope="module")
def demo_patients():
    parameters = inspect.signature(app_demo.seed).parameters
    seed, count = parameters["seed_value"].default, parameters["patients"].default
    return synthetic_patients(count, random.Random(seed))


def test_no_two_demo_patients_are_probable_duplicates(demo_patients):
    names = [(p.first_name, p.last_name) for p in demo_patients]
    assert len(set(names)) == len(names), "every demo patient has their own name"
    assert len({p.email for p in demo_patients}) == len(demo_patients)
    assert len({e164(p.phone, p.country) for p in demo_patients}) == len(demo_patients)
    for i, a in enumerate(demo_patients):
        for b in demo_patients[i + 1 :]:
            assert not (
                a.date_of_birth == b.date_of_birth
                and names_match(f"{a.first_name} {a.last_name}", f"{b.first_name} {b.last_name}")
            ), (a, b)


def test_demo_names_sex_language_and_phones_agree_with_the_country(demo_patients):
    for p in demo_patients:
        females, males, _family_names, lang = _NAMES[p.country]
        assert p.first_name in (females if p.sex_at_birth == "female" else males), p
        assert p.preferred_language == lang
        full = e164(p.phone, p.country)
        assert full is not None and full.startswith("+" + DIALLING_CODES[p.country]), p
        if p.country in ("RU", "KZ") and p.last_name.endswith(("ova", "eva", "ina")):
            assert p.sex_at_birth == "female", p
        if p.country in ("RU", "KZ") and p.last_name.endswith(("ov", "ev")):
            assert p.sex_at_birth == "male", p


def test_demo_requests_phones_carry_their_countrys_code():
    for r in _REQUESTS:
        if r.phone:
            assert r.phone.replace(" ", "").startswith("+" + DIALLING_CODES[r.country]), r
