"""The JSON API of consultation requests: the contract's field names, the public
submission's answers, and the coordinators' queue with its filters and paging."""

from __future__ import annotations

import datetime as dt

import pytest

from respira.intake.messages import CONSENT_TEXT_VERSION
from tests.intake.helpers import make_request, request_data

API = "/api/v1/consultation-requests"
CONTRACT_IN = {
    "kind",
    "name",
    "email",
    "phone",
    "country",
    "preferred_language",
    "preferred_contact_time",
    "description",
    "consent",
    "consent_text_version",
}
ADDED_BY_RESPIRA = {"id", "status", "created_at", "version", "patient_id"}


def test_a_public_post_answers_201_with_the_stored_record_in_the_contract_fields(visitor):
    r = visitor().post(API, json=request_data(), headers={"Accept-Language": "ru"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) >= CONTRACT_IN | ADDED_BY_RESPIRA
    assert {k: body[k] for k in CONTRACT_IN} == {
        "kind": "consultation",
        "name": "Katharina Vogel",
        "email": "k.vogel@mail.example",
        "phone": "+49301234567",
        "country": "DE",
        "preferred_language": "de",
        "preferred_contact_time": "werktags ab 18 Uhr",
        "description": "Asthma seit der Kindheit,\nseit zwei Jahren schlecht kontrolliert.",
        "consent": True,
        "consent_text_version": CONSENT_TEXT_VERSION,
    }
    assert (body["status"], body["version"], body["patient_id"]) == ("new", 1, None)
    assert body["consent_language"] == "ru"  # the language the request was made in
    assert body["channel"] == "api"
    created = dt.datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - created).total_seconds()) < 60
    assert r.headers["etag"] == '"1"'
    assert r.headers["location"] == f"{API}/{body['id']}"


def test_the_openapi_document_names_the_contract_fields(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert set(schemas["ConsultationRequestIn"]["properties"]) == CONTRACT_IN
    assert set(schemas["ConsultationRequestOut"]["properties"]) >= CONTRACT_IN | ADDED_BY_RESPIRA


@pytest.mark.parametrize("consent", [False, ...])
def test_consent_false_or_missing_answers_422_naming_consent(visitor, consent):
    r = visitor().post(API, json=request_data(consent=consent))
    assert r.status_code == 422
    assert [d["field"] for d in r.json()["detail"]] == ["consent"]


def test_a_wrong_consent_text_version_answers_422(visitor):
    r = visitor().post(API, json=request_data(consent_text_version="1999-01-01"))
    assert r.status_code == 422
    [detail] = r.json()["detail"]
    assert detail["field"] == "consent_text_version"
    assert detail["type"] == "consent_version"


def test_a_missing_consent_text_version_answers_422(visitor):
    r = visitor().post(API, json=request_data(consent_text_version=...))
    assert r.status_code == 422
    assert [d["field"] for d in r.json()["detail"]] == ["consent_text_version"]


def test_the_api_applies_the_same_rules_as_the_page(visitor):
    r = visitor().post(
        API,
        json=request_data(kind="callback", phone=None, name="x" * 201, country="Germany"),
    )
    assert r.status_code == 422
    fields = {d["field"]: d["type"] for d in r.json()["detail"]}
    assert fields == {"name": "too_long", "phone": "callback_phone", "country": "country"}


def test_unknown_fields_are_refused(visitor):
    r = visitor().post(API, json={**request_data(), "status": "converted"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "status"


def test_an_oversized_json_body_answers_413(visitor):
    r = visitor().post(API, json=request_data(description="x" * 70_000))
    assert r.status_code == 413
    assert "larger than 64 KiB" in r.json()["detail"]


def test_text_is_returned_exactly_as_typed(visitor, api_as):
    payload = "<script>alert(1)</script> & \"quotes\" 'too'"
    r = visitor().post(API, json=request_data(name=payload, description=payload))
    rid = r.json()["id"]
    got = api_as("coordinator").get(f"{API}/{rid}").json()
    assert got["name"] == payload and got["description"] == payload


# --- the queue ------------------------------------------------------------------------


@pytest.fixture
def queue(db):
    now = dt.datetime.now(dt.UTC)
    ids = {}
    for i, (key, country, lang) in enumerate(
        [
            ("de1", "DE", "de"),
            ("de2", "AT", "de"),
            ("ru1", "RU", "ru"),
            ("ru2", "KZ", "ru"),
            ("pt", "BR", "pt-BR"),
            ("en", "GB", "en"),
        ]
    ):
        ids[key] = make_request(
            db,
            name=f"Person {key}",
            country=country,
            preferred_language=lang,
            created_at=now - dt.timedelta(hours=10 - i),
        )
    return ids


def test_the_queue_lists_newest_first(api_as, queue):
    r = api_as("coordinator").get(API)
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 6
    assert [i["name"] for i in body["items"]] == [
        "Person en",
        "Person pt",
        "Person ru2",
        "Person ru1",
        "Person de2",
        "Person de1",
    ]


def test_the_queue_filters_by_country_and_language(api_as, queue):
    c = api_as("admin")
    assert [i["id"] for i in c.get(API, params={"country": "kz"}).json()["items"]] == [queue["ru2"]]
    de = c.get(API, params={"language": "de"}).json()
    assert {i["id"] for i in de["items"]} == {queue["de1"], queue["de2"]}
    pt = c.get(API, params={"language": "pt"}).json()  # a language finds its regions
    assert [i["id"] for i in pt["items"]] == [queue["pt"]]
    both = c.get(API, params={"language": "ru", "country": "RU"}).json()
    assert [i["id"] for i in both["items"]] == [queue["ru1"]]


def test_the_queue_filters_by_one_or_more_statuses(api_as, queue):
    c = api_as("coordinator")
    r = c.patch(f"{API}/{queue['de1']}", json={"status": "contacted"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200
    r = c.patch(
        f"{API}/{queue['en']}",
        json={"status": "declined", "decline_reason": "duplicate"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 200
    assert [i["id"] for i in c.get(API, params={"status": "contacted"}).json()["items"]] == [
        queue["de1"]
    ]
    both = c.get(API, params=[("status", "contacted"), ("status", "declined")]).json()
    assert {i["id"] for i in both["items"]} == {queue["de1"], queue["en"]}
    assert c.get(API, params={"status": "new"}).json()["total"] == 4


def test_the_queue_pages(api_as, queue):
    c = api_as("coordinator")
    first = c.get(API, params={"page_size": 4}).json()
    second = c.get(API, params={"page_size": 4, "page": 2}).json()
    assert (first["pages"], first["total"], len(first["items"]), len(second["items"])) == (
        2,
        6,
        4,
        2,
    )
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})


@pytest.mark.parametrize(
    "params",
    [{"status": "open"}, {"country": "XX"}, {"language": "notalanguage"}, {"page_size": 1000}],
)
def test_invalid_queue_filters_answer_422(api_as, params):
    assert api_as("coordinator").get(API, params=params).status_code == 422


def test_reading_a_request_answers_its_version_as_etag(api_as, db):
    rid = make_request(db)
    r = api_as("coordinator").get(f"{API}/{rid}")
    assert r.status_code == 200 and r.headers["etag"] == '"1"'
    assert api_as("coordinator").get(f"{API}/999999").status_code == 404


@pytest.mark.parametrize("role", ["physician", "lab", "patient"])
def test_other_roles_may_not_read_or_change_requests(api_as, db, role):
    rid = make_request(db)
    c = api_as(role)
    assert c.get(API).status_code == 403
    assert c.get(f"{API}/{rid}").status_code == 403
    r = c.patch(f"{API}/{rid}", json={"status": "contacted"}, headers={"If-Match": '"1"'})
    assert r.status_code == 403


@pytest.mark.parametrize("role", ["physician", "lab", "patient"])
def test_other_roles_may_not_open_the_queue_pages(page_as, db, role):
    rid = make_request(db)
    c = page_as(role)
    assert c.get("/consultation-requests").status_code == 403
    assert c.get(f"/consultation-requests/{rid}").status_code == 403
    assert "/consultation-requests" not in c.get("/").text  # no navigation entry


def test_the_public_gets_only_the_form(client, db):
    rid = make_request(db)
    assert client.get(API).status_code == 401
    assert client.get(f"{API}/{rid}").status_code == 401
    assert client.get("/consultation-requests", follow_redirects=False).status_code == 401
    assert client.get("/consultation").status_code == 200
