"""The patient registry: validation, optimistic locking, search and paging, the patient
account's view of its own record only, and the pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from respira.kit import audit
from respira.kit.audit import AuditRecord
from respira.patients.models import Patient
from respira.patients.service import luhn_digit, record_number_valid
from tests.conftest import patient_data


def _count(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count(Patient.id)))


def test_created_patient_has_contract_fields_record_number_and_version(api_as):
    c = api_as("coordinator")
    r = c.post("/api/v1/patients", json=patient_data())
    assert r.status_code == 201
    body = r.json()
    for field in [
        "first_name",
        "last_name",
        "date_of_birth",
        "sex_at_birth",
        "country",
        "preferred_language",
        "email",
        "phone",
        "height_cm",
        "weight_kg",
        "smoking_pack_years",
        "id",
        "medical_record_number",
        "version",
    ]:
        assert field in body
    assert body["date_of_birth"] == "1979-04-12"
    assert body["version"] == 1
    assert record_number_valid(body["medical_record_number"])
    assert r.headers["etag"] == '"1"'
    assert r.headers["location"] == f"/api/v1/patients/{body['id']}"


def test_record_number_check_digit_is_luhn():
    assert luhn_digit("7992739871") == "3"  # the textbook Luhn example
    assert record_number_valid("RSP-1234567-4") == (luhn_digit("1234567") == "4")


TOMORROW = (dt.date.today() + dt.timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", TOMORROW, "cannot be in the future"),
        ("date_of_birth", "1890-01-01", "over 120 years"),
        ("date_of_birth", "12/04/1979", "date"),
        ("height_cm", 20.0, "between 40 and 250 cm"),
        ("height_cm", 2000.0, "between 40 and 250 cm"),
        ("height_cm", 1.75, "between 40 and 250 cm"),
        ("weight_kg", 1.0, "between 2 and 400 kg"),
        ("weight_kg", 650.0, "between 2 and 400 kg"),
        ("email", "not-an-email", "not a valid email"),
        ("phone", "12", "7 to 15 digits"),
        ("phone", "call me maybe", "7 to 15 digits"),
        ("country", "XX", "ISO 3166-1"),
        ("country", "Germany", "ISO 3166-1"),
        ("preferred_language", "klingon!", "BCP 47"),
        ("sex_at_birth", "other", "female"),
        ("first_name", "", "required"),
        ("last_name", "x" * 101, "at most 100"),
        ("smoking_pack_years", -1, "between 0 and 200"),
    ],
)
def test_invalid_field_is_refused_naming_the_field_and_rule(api_as, db, field, value, message):
    c = api_as("coordinator")
    before = _count(db)
    r = c.post("/api/v1/patients", json=patient_data(**{field: value}))
    assert r.status_code == 422
    errors = r.json()["detail"]
    assert any(e["field"] == field and message in e["msg"] for e in errors), errors
    assert _count(db) == before


def test_unknown_fields_are_refused(api_as):
    r = api_as("coordinator").post("/api/v1/patients", json=patient_data(blood_type="AB"))
    assert r.status_code == 422


def test_inputs_are_normalised(api_as):
    r = api_as("coordinator").post(
        "/api/v1/patients",
        json=patient_data(
            country="de",
            preferred_language="PT-br",
            phone="+49 (30) 123-4567",
            first_name="  Anna ",
        ),
    )
    body = r.json()
    assert (body["country"], body["preferred_language"], body["phone"], body["first_name"]) == (
        "DE",
        "pt-BR",
        "+49301234567",
        "Anna",
    )


def test_patch_without_if_match_is_428_and_changes_nothing(api_as):
    c = api_as("coordinator")
    pid = c.post("/api/v1/patients", json=patient_data()).json()["id"]
    r = c.patch(f"/api/v1/patients/{pid}", json={"height_cm": 170})
    assert r.status_code == 428
    assert c.get(f"/api/v1/patients/{pid}").json()["height_cm"] == 168.0


def test_patch_with_stale_version_is_409_and_changes_nothing(api_as, db):
    c = api_as("coordinator")
    pid = c.post("/api/v1/patients", json=patient_data()).json()["id"]
    r = c.patch(f"/api/v1/patients/{pid}", json={"height_cm": 170}, headers={"If-Match": '"1"'})
    assert r.status_code == 200
    assert r.json()["version"] == 2
    assert r.headers["etag"] == '"2"'
    r = c.patch(f"/api/v1/patients/{pid}", json={"weight_kg": 80}, headers={"If-Match": '"1"'})
    assert r.status_code == 409
    assert "version 1" in r.json()["detail"]
    after = c.get(f"/api/v1/patients/{pid}").json()
    assert after["weight_kg"] == 64.5 and after["version"] == 2


def test_patch_validates_and_an_invalid_value_changes_nothing(api_as):
    c = api_as("physician")
    pid = c.post("/api/v1/patients", json=patient_data()).json()["id"]
    r = c.patch(
        f"/api/v1/patients/{pid}",
        json={"height_cm": 20, "weight_kg": 70},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 422
    after = c.get(f"/api/v1/patients/{pid}").json()
    assert (after["height_cm"], after["weight_kg"], after["version"]) == (168.0, 64.5, 1)


def test_patch_cannot_clear_a_required_field_but_can_clear_an_optional_one(api_as):
    c = api_as("coordinator")
    pid = c.post("/api/v1/patients", json=patient_data()).json()["id"]
    r = c.patch(f"/api/v1/patients/{pid}", json={"last_name": None}, headers={"If-Match": "1"})
    assert r.status_code == 422
    r = c.patch(f"/api/v1/patients/{pid}", json={"email": None}, headers={"If-Match": "1"})
    assert r.status_code == 200 and r.json()["email"] is None


def test_every_change_is_audited_with_before_and_after(api_as, db):
    c = api_as("coordinator")
    pid = c.post("/api/v1/patients", json=patient_data()).json()["id"]
    c.patch(
        f"/api/v1/patients/{pid}",
        json={"height_cm": 170, "first_name": "Greta"},
        headers={"If-Match": '"1"'},
    )
    with db.transaction() as s:
        records = audit.history(s, "patient", pid)
    assert [r.action for r in records] == ["create", "update"]
    update = records[1]
    assert update.actor_role == "coordinator"
    assert update.actor_id == c.account.id
    assert update.before == '{"height_cm":168.0}'
    assert update.after == '{"height_cm":170.0}'


def test_an_edit_that_changes_nothing_writes_no_version_and_no_audit(api_as, db):
    c = api_as("coordinator")
    pid = c.post("/api/v1/patients", json=patient_data()).json()["id"]
    r = c.patch(f"/api/v1/patients/{pid}", json={"height_cm": 168.0}, headers={"If-Match": "1"})
    assert r.json()["version"] == 1
    with db.transaction() as s:
        assert (
            s.scalar(select(func.count(AuditRecord.id)).where(AuditRecord.entity_type == "patient"))
            == 1
        )


def test_search_finds_by_name_part_and_record_number_and_pages(api_as, make_patient):
    c = api_as("physician")
    for i in range(25):
        make_patient(first_name=f"Anna{i:02d}", last_name="Schmidt")
    other = make_patient(first_name="Boris", last_name="Ivanov")
    r = c.get("/api/v1/patients", params={"q": "schmi", "page": 2, "page_size": 10})
    body = r.json()
    assert body["total"] == 25 and body["pages"] == 3 and body["page"] == 2
    assert [p["first_name"] for p in body["items"]] == [f"Anna{i:02d}" for i in range(10, 20)]
    mrn = c.get(f"/api/v1/patients/{other}").json()["medical_record_number"]
    r = c.get("/api/v1/patients", params={"q": mrn.lower()})
    assert [p["id"] for p in r.json()["items"]] == [other]
    r = c.get("/api/v1/patients", params={"q": "boris ivan"})
    assert r.json()["total"] == 1
    # LIKE wildcards typed by a user are matched literally
    assert c.get("/api/v1/patients", params={"q": "%"}).json()["total"] == 0


def test_page_size_is_bounded(api_as):
    c = api_as("physician")
    assert c.get("/api/v1/patients", params={"page_size": 1000}).status_code == 422
    assert c.get("/api/v1/patients", params={"page": 0}).status_code == 422


def test_patient_account_reads_only_its_own_record_others_are_404(api_as, make_patient):
    c = api_as("patient")
    own = c.account.patient_id
    other = make_patient(first_name="Somebody", last_name="Else")
    assert c.get(f"/api/v1/patients/{own}").status_code == 200
    r_other = c.get(f"/api/v1/patients/{other}")
    r_missing = c.get("/api/v1/patients/999999")
    assert r_other.status_code == r_missing.status_code == 404
    assert r_other.json() == r_missing.json()
    listing = c.get("/api/v1/patients").json()
    assert [p["id"] for p in listing["items"]] == [own]
    assert (
        c.patch(
            f"/api/v1/patients/{own}", json={"height_cm": 170}, headers={"If-Match": "1"}
        ).status_code
        == 403
    )


def test_patient_account_page_shows_own_record_and_404_for_others(page_as, make_patient):
    c = page_as("patient")
    other = make_patient(first_name="Somebody", last_name="Else")
    r = c.get("/me")
    assert r.status_code == 200 and c.account.actor.name.split()[0] in r.text
    assert c.get(f"/patients/{other}").status_code == 404


def _errors_html(html: str) -> dict[str, str]:
    return dict(re.findall(r'class="error" id="e-([a-z_]+)">([^<]+)<', html))


def test_create_form_shows_error_next_to_field_and_keeps_values(page_as, db):
    c = page_as("coordinator")
    data = {k: str(v) for k, v in patient_data(height_cm=1.68).items()}
    r = c.post_form("/patients", data)
    assert r.status_code == 422
    errors = _errors_html(r.text)
    assert list(errors) == ["height_cm"]
    assert "between 40 and 250 cm" in errors["height_cm"]
    assert 'value="Lindqvist"' in r.text and 'aria-invalid="true"' in r.text
    assert _count(db) == 0
    data["height_cm"] = "168"
    r = c.post_form("/patients", data, follow_redirects=False)
    assert r.status_code == 303
    assert _count(db) == 1


def test_edit_form_with_stale_version_answers_409_and_shows_both_versions(page_as, make_patient):
    c = page_as("coordinator")
    pid = make_patient()
    form = {k: str(v) for k, v in patient_data(weight_kg=70).items()}
    r = c.post_form(f"/patients/{pid}/edit", {**form, "version": "1"}, follow_redirects=False)
    assert r.status_code == 303
    r = c.post_form(f"/patients/{pid}/edit", {**form, "weight_kg": "72", "version": "1"})
    assert r.status_code == 409
    assert "changed by someone else" in r.text
    assert 'value="72"' in r.text  # the user's entry is kept
    assert 'name="version" value="2"' in r.text


def test_patient_list_page_searches_and_pages(page_as, make_patient):
    c = page_as("physician")
    for i in range(23):
        make_patient(first_name=f"Eva{i:02d}", last_name="Novak")
    r = c.get("/patients", params={"q": "novak"})
    assert "23 patients" in r.text and "Page 1 of 2" in r.text
    r = c.get("/patients", params={"q": "novak", "page": 2})
    assert r.text.count('href="/patients/') - r.text.count('href="/patients/new') == 3


def test_search_ignores_accents_and_case_and_follows_renames(api_as):
    c = api_as("coordinator")
    pid = c.post("/api/v1/patients", json=patient_data(last_name="Müller-Lüdenscheidt")).json()[
        "id"
    ]
    for q in ["muller", "MÜLLER", "ludensch", "greta mull"]:
        assert [p["id"] for p in c.get("/api/v1/patients", params={"q": q}).json()["items"]] == [
            pid
        ], q
    c.patch(f"/api/v1/patients/{pid}", json={"last_name": "Schröder"}, headers={"If-Match": "1"})
    assert c.get("/api/v1/patients", params={"q": "muller"}).json()["total"] == 0
    assert c.get("/api/v1/patients", params={"q": "schroder"}).json()["total"] == 1


def test_a_page_past_the_end_is_empty_but_keeps_the_total(api_as, make_patient):
    c = api_as("physician")
    for i in range(3):
        make_patient(first_name=f"Ivo{i}")
    body = c.get("/api/v1/patients", params={"page": 5, "page_size": 2}).json()
    assert body["items"] == [] and body["total"] == 3 and body["pages"] == 2
