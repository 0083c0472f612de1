"""Criteria sets in the database: the shipped default installed on first use, an admin's
edited copy stored under a new version and activated, old versions kept for ever, and
every screening keeping the version it used."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from respira.kit import audit
from respira.screening import service
from respira.screening.models import ScreeningCriteriaSet

DEFAULT_VERSION = "respira-default-2026.12"


def clinic_copy(version: str = "clinic-2027.01", egfr: int = 45) -> str:
    text = service.shipped_default_text().replace(
        f'version = "{DEFAULT_VERSION}"', f'version = "{version}"'
    )
    old = '{ fact = "egfr_ml_min_1_73m2", op = "lt", value = 30,'
    assert old in text
    return text.replace(old, f'{{ fact = "egfr_ml_min_1_73m2", op = "lt", value = {egfr},')


def history(db, set_id: int) -> list[str]:
    with db.session() as session:
        return [r.action for r in audit.history(session, "screening_criteria_set", set_id)]


def test_before_first_use_no_set_is_stored_and_the_page_says_when_it_will_be(page_as, api_as):
    admin = api_as("admin")
    assert admin.get("/api/v1/screening/criteria-sets").json() == []
    page = page_as("admin").get("/screening/criteria")
    assert page.status_code == 200
    assert f"<strong>{DEFAULT_VERSION}</strong>, is installed" in page.text


def test_an_admin_copies_changes_and_activates_a_set_and_old_screenings_keep_their_version(
    db, api_as, doc, candidate
):
    admin = api_as("admin")
    pid = candidate(findings={"egfr_ml_min_1_73m2": 40.0})
    before = doc.post(f"/api/v1/patients/{pid}/screenings").json()
    assert before["criteria_version"] == DEFAULT_VERSION
    assert before["decision"] == "eligible"
    default_id = before["criteria_set_id"]

    r = admin.post(
        "/api/v1/screening/criteria-sets",
        json={"toml": clinic_copy(), "based_on_id": default_id},
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["version"] == "clinic-2027.01"
    assert new["is_active"] is False
    assert new["based_on_id"] == default_id
    assert new["created_by"] == admin.account.actor.name
    renal = next(c for c in new["criteria"] if c["id"] == "severe_renal_failure")
    assert renal["rule"]["any"][0]["value"] == 45

    # Not active yet: screenings still use the default.
    assert doc.post(f"/api/v1/patients/{pid}/screenings").json()["criteria_version"] == (
        DEFAULT_VERSION
    )
    r = admin.post(f"/api/v1/screening/criteria-sets/{new['id']}/activate")
    assert r.status_code == 200 and r.json()["is_active"] is True
    after = doc.post(f"/api/v1/patients/{pid}/screenings").json()
    assert after["criteria_version"] == "clinic-2027.01"
    assert after["decision"] == "not_eligible"  # eGFR 40 < 45 under the clinic's rule

    # Old versions are kept, unchanged, and old screenings still name theirs.
    listed = {s["version"]: s for s in admin.get("/api/v1/screening/criteria-sets").json()}
    assert set(listed) == {DEFAULT_VERSION, "clinic-2027.01"}
    assert listed[DEFAULT_VERSION]["is_active"] is False
    assert listed[DEFAULT_VERSION]["screenings_count"] == 2
    assert listed["clinic-2027.01"]["screenings_count"] == 1
    kept = admin.get(f"/api/v1/screening/criteria-sets/{default_id}").json()
    assert kept["toml"] == service.shipped_default_text()
    old = doc.get(f"/api/v1/screenings/{before['id']}").json()
    assert old["criteria_version"] == DEFAULT_VERSION and old["decision"] == "eligible"

    assert history(db, default_id) == ["create", "deactivate"]
    assert history(db, new["id"]) == ["create", "activate"]


def test_activating_the_old_version_again_switches_back(api_as, doc, candidate):
    admin = api_as("admin")
    pid = candidate()
    default_id = doc.post(f"/api/v1/patients/{pid}/screenings").json()["criteria_set_id"]
    new = admin.post(
        "/api/v1/screening/criteria-sets", json={"toml": clinic_copy(), "activate": True}
    ).json()
    assert new["is_active"] is True
    admin.post(f"/api/v1/screening/criteria-sets/{default_id}/activate")
    assert doc.post(f"/api/v1/patients/{pid}/screenings").json()["criteria_version"] == (
        DEFAULT_VERSION
    )
    again = admin.post(f"/api/v1/screening/criteria-sets/{default_id}/activate")
    assert again.status_code == 200  # activating the active set changes nothing


def test_an_invalid_set_is_refused_with_the_error_and_nothing_is_stored(api_as, count_rows):
    admin = api_as("admin")
    text = clinic_copy().replace('fact = "dialysis"', 'fact = "haemodialysis"', 1)
    r = admin.post("/api/v1/screening/criteria-sets", json={"toml": text})
    assert r.status_code == 422
    (detail,) = r.json()["detail"]
    assert detail["field"] == "toml"
    assert "criterion 'severe_renal_failure': unknown fact 'haemodialysis'" in detail["msg"]
    assert count_rows()["screening_criteria_sets"] == 0


def test_a_version_that_exists_is_refused_409_because_versions_are_kept(api_as):
    admin = api_as("admin")
    assert (
        admin.post("/api/v1/screening/criteria-sets", json={"toml": clinic_copy()}).status_code
        == 201
    )
    again = admin.post("/api/v1/screening/criteria-sets", json={"toml": clinic_copy(egfr=20)})
    assert again.status_code == 409
    shipped = admin.post(
        "/api/v1/screening/criteria-sets", json={"toml": service.shipped_default_text()}
    )
    assert shipped.status_code == 409  # the default was installed by the first store


def test_a_copy_must_name_a_set_that_exists(api_as):
    r = api_as("admin").post(
        "/api/v1/screening/criteria-sets", json={"toml": clinic_copy(), "based_on_id": 9999}
    )
    assert r.status_code == 422


def test_physicians_read_criteria_sets_but_only_admins_change_them(api_as, doc, candidate):
    doc.post(f"/api/v1/patients/{candidate()}/screenings")
    sets = doc.get("/api/v1/screening/criteria-sets").json()
    assert [s["version"] for s in sets] == [DEFAULT_VERSION]
    assert (
        doc.post("/api/v1/screening/criteria-sets", json={"toml": clinic_copy()}).status_code == 403
    )
    assert doc.post(f"/api/v1/screening/criteria-sets/{sets[0]['id']}/activate").status_code == 403


def test_the_database_keeps_at_most_one_set_active(db, api_as):
    api_as("admin").post("/api/v1/screening/criteria-sets", json={"toml": clinic_copy()})
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.execute(update(ScreeningCriteriaSet).values(is_active=True))


# --- the admin pages ---------------------------------------------------------------------


def textarea(page_text: str) -> str:
    m = re.search(r'<textarea id="f-toml"[^>]*>(.*?)</textarea>', page_text, re.S)
    assert m, "no criteria textarea"
    return html.unescape(m.group(1))


def test_an_admin_stores_an_edited_copy_through_the_pages(db, page_as):
    admin = page_as("admin")
    form = admin.get("/screening/criteria/new")
    assert form.status_code == 200
    text = textarea(form.text)
    assert f'version = "{DEFAULT_VERSION}-local1"' in text

    bad = admin.post_form(
        "/screening/criteria",
        {
            "toml": text.replace('op = "lt", value = 30', 'op = "under", value = 30'),
            "based_on_id": "",
        },
    )
    assert bad.status_code == 422
    assert "criterion &#39;severe_renal_failure&#39;: unknown operator &#39;under&#39;" in bad.text
    assert "under" in textarea(bad.text)  # what the admin typed is kept

    ok = admin.post_form(
        "/screening/criteria",
        {"toml": text, "based_on_id": "", "activate": "yes"},
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    shown = admin.get(ok.headers["location"])
    assert f"Criteria set {DEFAULT_VERSION}-local1" in shown.text
    assert "active</span> since" in shown.text
    with db.session() as session:
        versions = session.scalars(select(ScreeningCriteriaSet.version)).all()
    assert sorted(versions) == [DEFAULT_VERSION, f"{DEFAULT_VERSION}-local1"]


def test_copying_a_stored_set_starts_from_its_text_with_a_fresh_version(page_as, api_as):
    made = (
        api_as("admin").post("/api/v1/screening/criteria-sets", json={"toml": clinic_copy()}).json()
    )
    admin = page_as("admin")
    text = textarea(admin.get(f"/screening/criteria/new?from={made['id']}").text)
    assert 'version = "clinic-2027.01-local1"' in text
    assert "value = 45" in text
    listing = admin.get("/screening/criteria")
    assert "clinic-2027.01" in listing.text and f"Activate {made['version']}" in listing.text
    r = admin.post_form(f"/screening/criteria/{made['id']}/activate", {}, follow_redirects=False)
    assert r.status_code == 303
    assert "Criteria set activated." in admin.get(r.headers["location"]).text


def test_a_physician_sees_the_criteria_but_no_copy_or_activate_controls(
    page_as, api_as, today=None
):
    api_as("admin").post("/api/v1/screening/criteria-sets", json={"toml": clinic_copy()})
    doc = page_as("physician")
    listing = doc.get("/screening/criteria")
    assert listing.status_code == 200
    assert "Copy and change" not in listing.text and "Activate" not in listing.text
    assert doc.get("/screening/criteria/new").status_code == 403
