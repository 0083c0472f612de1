"""Probable duplicates at registration (API and page) and search through the index:
the same person spelt across accents and Cyrillic/Latin is found, registering them
again needs an explicit, audited "this is a different person"."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select, text

from respira.kit import audit
from respira.kit.actors import Actor
from respira.patients import service
from respira.patients.models import Patient
from respira.patients.schemas import PatientIn
from tests.conftest import patient_data

API = "/api/v1/patients"


def _count(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count(Patient.id)))


def _person(**overrides):
    """Someone with no contact details in common with patient_data() unless given."""
    base = {"email": None, "phone": None}
    return patient_data(**{**base, **overrides})


@pytest.mark.parametrize(
    ("registered", "again"),
    [
        (("Мария", "Иванова"), ("Maria", "Ivanova")),
        (("Maria", "Ivanova"), ("Marija", "Iwanowa")),
        (("Anna", "Müller"), ("Anna", "Mueller")),
        (("Anna", "Mueller"), ("ANNA", "MULLER")),
        (("Дмитрий", "Соколов"), ("Dmitriy", "Sokolov")),
    ],
)
def test_same_birth_date_and_a_close_name_is_a_probable_duplicate(api_as, db, registered, again):
    c = api_as("coordinator")
    first, last = registered
    r = c.post(API, json=_person(first_name=first, last_name=last))
    assert r.status_code == 201, r.text
    original = r.json()
    r = c.post(API, json=_person(first_name=again[0], last_name=again[1]))
    assert r.status_code == 409, r.text
    body = r.json()
    assert set(body) == {"detail", "candidates"}
    assert "may already be registered" in body["detail"]
    assert body["candidates"] == [
        {
            "id": original["id"],
            "medical_record_number": original["medical_record_number"],
            "name": f"{first} {last}",
            "date_of_birth": "1979-04-12",
            "why": "same date of birth and a similar name",
        }
    ]
    assert _count(db) == 1


def test_a_close_name_with_another_birth_date_is_not_a_duplicate(api_as, db):
    c = api_as("coordinator")
    assert c.post(API, json=_person(first_name="Мария", last_name="Иванова")).status_code == 201
    r = c.post(
        API, json=_person(first_name="Maria", last_name="Ivanova", date_of_birth="1979-04-13")
    )
    assert r.status_code == 201
    r = c.post(API, json=_person(first_name="Olga", last_name="Ivanova"))
    assert r.status_code == 201, "a different given name with the same birth date"
    assert _count(db) == 3


def test_the_same_email_or_phone_is_a_probable_duplicate(api_as):
    c = api_as("coordinator")
    first = c.post(
        API,
        json=patient_data(email="Greta@Mail.example", phone="+46 8 1234567", country="SE"),
    ).json()
    r = c.post(
        API,
        json=patient_data(
            first_name="Someone", last_name="Else", date_of_birth="1990-01-01",
            email="greta@mail.example", phone=None,
        ),
    )  # fmt: skip
    assert r.status_code == 409
    assert r.json()["candidates"][0]["id"] == first["id"]
    assert r.json()["candidates"][0]["why"] == "same email address"
    # The same number written nationally (trunk 0) in the same country.
    r = c.post(
        API,
        json=patient_data(
            first_name="Someone", last_name="Else", date_of_birth="1990-01-01",
            email="other@mail.example", phone="08-123 45 67",
        ),
    )  # fmt: skip
    assert r.status_code == 409
    assert r.json()["candidates"][0]["why"] == "same phone number"


def test_not_a_duplicate_of_registers_the_patient_and_audits_the_statement(api_as, db):
    c = api_as("coordinator")
    original = c.post(API, json=_person(first_name="Мария", last_name="Иванова")).json()
    again = _person(first_name="Maria", last_name="Ivanova")
    assert c.post(API, json={**again, "not_a_duplicate_of": []}).status_code == 409
    r = c.post(API, json={**again, "not_a_duplicate_of": [original["id"]]})
    assert r.status_code == 201, r.text
    new_id = r.json()["id"]
    with db.session() as s:
        trail = audit.history(s, "patient", new_id)
    assert [t.action for t in trail] == ["create", "not_a_duplicate"]
    statement = json.loads(trail[1].after)
    assert statement == {
        "not_a_duplicate_of": [
            {
                "id": original["id"],
                "medical_record_number": original["medical_record_number"],
                "why": ["name_and_birth_date"],
            }
        ]
    }
    assert "different person" in trail[1].reason
    assert trail[1].actor_id == c.account.id


def test_the_statement_must_cover_every_current_candidate(api_as, db):
    c = api_as("coordinator")
    first = c.post(API, json=_person(first_name="Anna", last_name="Müller")).json()
    second = c.post(
        API,
        json={
            **_person(first_name="Anna", last_name="Mueller"),
            "not_a_duplicate_of": [first["id"]],
        },
    ).json()
    # A third registration has seen only the first one: refused, both listed.
    r = c.post(
        API,
        json={
            **_person(first_name="Anna", last_name="Muller"),
            "not_a_duplicate_of": [first["id"]],
        },
    )
    assert r.status_code == 409
    assert {x["id"] for x in r.json()["candidates"]} == {first["id"], second["id"]}
    r = c.post(
        API,
        json={
            **_person(first_name="Anna", last_name="Muller"),
            "not_a_duplicate_of": [first["id"], second["id"]],
        },
    )
    assert r.status_code == 201
    assert _count(db) == 3


def test_the_409_is_declared_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").json()
    responses = doc["paths"]["/api/v1/patients"]["post"]["responses"]
    assert "409" in responses
    schema = doc["components"]["schemas"]["PatientRegistration"]
    assert "not_a_duplicate_of" in schema["properties"]


def test_duplicate_candidates_endpoint_answers_what_registration_would(api_as):
    c = api_as("coordinator")
    original = c.post(API, json=_person(first_name="Юлия", last_name="Попова")).json()
    r = c.get(
        f"{API}/duplicate-candidates",
        params={"first_name": "Julia", "last_name": "Popova", "date_of_birth": "1979-04-12"},
    )
    assert r.status_code == 200
    assert [x["id"] for x in r.json()] == [original["id"]]
    r = c.get(f"{API}/duplicate-candidates", params={"first_name": "X", "last_name": "Y"})
    assert r.json() == []
    assert (
        api_as("nurse")
        .get(f"{API}/duplicate-candidates", params={"first_name": "X", "last_name": "Y"})
        .status_code
        == 403
    )


def test_a_patient_without_a_stored_skeleton_is_still_a_candidate(api_as, db):
    """A row written around the service (a bulk load) may have no ``name_key``: the
    duplicate check then compares the names themselves."""
    c = api_as("coordinator")
    original = c.post(API, json=_person(first_name="Юлия", last_name="Попова")).json()
    with db.transaction() as s:
        s.execute(
            text("UPDATE patients SET name_key = NULL WHERE id = :id"), {"id": original["id"]}
        )
    found = c.get(
        f"{API}/duplicate-candidates",
        params={"first_name": "Julia", "last_name": "Popova", "date_of_birth": "1979-04-12"},
    ).json()
    assert [(x["id"], x["why"]) for x in found] == [
        (original["id"], "same date of birth and a similar name")
    ]
    # Another birth date, another email and phone: not a candidate.
    other = c.get(
        f"{API}/duplicate-candidates",
        params={"first_name": "Julia", "last_name": "Popova", "date_of_birth": "1979-04-13"},
    )
    assert other.json() == []


def test_registration_page_shows_candidates_and_needs_the_statement(page_as, make_patient, db):
    pid = make_patient(first_name="Мария", last_name="Иванова", email=None, phone=None)
    c = page_as("coordinator")
    form = {
        **{k: v for k, v in _person(first_name="Maria", last_name="Ivanova").items() if v},
        "height_cm": "",
    }
    r = c.post_form("/patients", form, csrf_from="/patients/new", follow_redirects=False)
    assert r.status_code == 409
    assert "This person may already be registered" in r.text
    assert f'href="/patients/{pid}"' in r.text
    assert "Мария Иванова" in r.text
    assert "same date of birth and a similar name" in r.text
    assert f'name="not_a_duplicate_of" value="{pid}"' in r.text
    assert _count(db) == 1
    # The ids shown, without the box ticked: refused again.
    r = c.post_form(
        "/patients", {**form, "not_a_duplicate_of": str(pid)}, csrf_from="/patients/new"
    )
    assert r.status_code == 409 and _count(db) == 1
    r = c.post_form(
        "/patients",
        {**form, "not_a_duplicate_of": str(pid), "confirm_distinct": "yes"},
        csrf_from="/patients/new",
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert _count(db) == 2


def test_registration_page_in_german_and_russian(page_as, make_patient):
    make_patient(first_name="Мария", last_name="Иванова", email=None, phone=None)
    c = page_as("coordinator")
    form = {k: v for k, v in _person(first_name="Maria", last_name="Ivanova").items() if v}
    for lang, phrase in [
        ("de", "Diese Person ist möglicherweise bereits registriert"),
        ("ru", "Возможно, этот человек уже зарегистрирован"),
    ]:
        c.cookies.set("respira_lang", lang)
        r = c.post_form("/patients", form, csrf_from="/patients/new")
        assert r.status_code == 409
        assert phrase in r.text, lang
    c.cookies.delete("respira_lang")


# --- search through the index ---------------------------------------------------------


def _add(db, first, last, **kw):
    with db.transaction() as s:
        p = service.add_patient(
            s,
            Actor.system("test"),
            PatientIn.model_validate(_person(first_name=first, last_name=last, **kw)),
        )
        return p.id


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("müller", {"Müller", "Mueller"}),  # the folded key and the skeleton
        ("MUELLER", {"Müller", "Mueller"}),
        ("Иванова", {"Ivanova", "Иванова"}),
        ("ivanova", {"Ivanova", "Иванова"}),
        ("iwanowa", {"Ivanova", "Иванова"}),
        ("ller", {"Müller", "Mueller"}),  # a substring
        ("anna mü", {"Müller"}),  # every word, a short one among them
        ("zz", set()),
    ],
)
def test_search_finds_accents_case_and_transliterations(api_as, db, q, expected):
    for first, last in [
        ("Anna", "Müller"), ("Jonas", "Mueller"), ("Maria", "Ivanova"), ("Мария", "Иванова"),
        ("Olga", "Smirnova"),
    ]:  # fmt: skip
        _add(db, first, last)
    r = api_as("physician").get(API, params={"q": q})
    assert r.status_code == 200
    found = {p["last_name"] for p in r.json()["items"]}
    assert found == expected
    assert r.json()["total"] == len(found)
    assert r.json()["fuzzy"] is False


def test_a_misspelt_name_is_found_by_similarity(api_as, db):
    _add(db, "Anna", "Schmidt")
    _add(db, "Olga", "Smirnova")
    r = api_as("physician").get(API, params={"q": "Shmit"})
    body = r.json()
    assert body["fuzzy"] is True
    assert [p["last_name"] for p in body["items"]] == ["Schmidt"]
    assert api_as("physician").get(API, params={"q": "Qwxyz"}).json()["items"] == []


def test_the_index_is_used_and_kept_in_step_with_the_table(api_as, db, backend):
    pid = _add(db, "Anna", "Müller")
    c = api_as("coordinator")
    r = c.patch(f"{API}/{pid}", json={"last_name": "Schneider"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200
    assert api_as("physician").get(API, params={"q": "Müller"}).json()["total"] == 0
    assert api_as("physician").get(API, params={"q": "schneid"}).json()["total"] == 1
    with db.engine.connect() as conn:
        if backend == "sqlite":
            rows = conn.execute(
                text("SELECT rowid FROM patient_search WHERE patient_search MATCH :q"),
                {"q": 'name_key : "shneider"'},
            ).all()
            assert [r[0] for r in rows] == [pid]
            plan = " ".join(
                str(r[-1])
                for r in conn.execute(
                    text(
                        "EXPLAIN QUERY PLAN SELECT id FROM patients WHERE id IN "
                        "(SELECT rowid FROM patient_search WHERE patient_search MATCH 'abc')"
                    )
                )
            )
            assert "VIRTUAL TABLE INDEX" in plan
        else:
            conn.execute(text("SET enable_seqscan = off"))
            plan = " ".join(
                r[0]
                for r in conn.execute(
                    text("EXPLAIN SELECT id FROM patients WHERE search_key LIKE '%schneid%'")
                )
            )
            assert "ix_patients_search_key_trgm" in plan
    with db.transaction() as s:
        s.execute(text("DELETE FROM patients WHERE id = :id"), {"id": pid})
    assert api_as("physician").get(API, params={"q": "schneid"}).json()["total"] == 0


def test_a_patient_account_searches_only_its_own_record(api_as, db):
    own = _add(db, "Anna", "Müller")
    _add(db, "Jonas", "Mueller")
    c = api_as("patient", patient_id=own)
    assert [p["id"] for p in c.get(API, params={"q": "muller"}).json()["items"]] == [own]
    assert [p["id"] for p in c.get(API, params={"q": "mullr"}).json()["items"]] in ([], [own])


def test_search_page_says_when_it_shows_similar_names(page_as, db):
    _add(db, "Anna", "Schmidt")
    html = page_as("coordinator").get("/patients", params={"q": "Shmit"}).text
    assert "Patients with similar names" in html
    assert re.search(r"Schmidt, Anna", html)


@pytest.mark.parametrize(
    "params",
    [
        {"first_name": "·", "last_name": "--", "phone": "++", "email": "@", "country": "ZZ"},
        {"first_name": "\u2028", "last_name": "\u200b", "date_of_birth": "2000-01-01"},
        {"first_name": "A" * 100, "last_name": "Ё" * 100, "phone": "0" * 32, "country": "ru"},
    ],
)
def test_duplicate_candidates_takes_odd_input_without_error(api_as, params):
    r = api_as("coordinator").get(f"{API}/duplicate-candidates", params=params)
    assert r.status_code == 200, r.text
    assert r.json() == []
