"""The admins' export page: the form, the zip download (the data files and the data
dictionary, and an audit record), the refusals shown on the form (no key, a bad filter
value), the page in German and Russian, and who may not use it."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
import sqlalchemy as sa

from respira.kit.audit import AuditRecord
from respira.kit.config import get_settings
from tests.outcomes.export_helpers import (
    build_registry,
    export_key,  # noqa: F401 (fixture)
    read_csv,
)

PATH = "/admin/outcomes/export"


@pytest.fixture
def admin(page_as: Any, db: Any, export_key: str) -> Any:  # noqa: F811
    build_registry(db, patients=6)
    return page_as("admin")


def _exports(db: Any) -> list[AuditRecord]:
    with db.session() as session:
        return list(
            session.scalars(
                sa.select(AuditRecord).where(AuditRecord.entity_type == "outcomes_export")
            )
        )


def test_the_admin_downloads_a_zip_with_the_files_and_the_dictionary_and_it_is_audited(
    admin, db, tmp_path, monkeypatch
):
    page = admin.get(PATH)
    assert page.status_code == 200
    assert 'name="format"' in page.text and "No export has been made yet." in page.text
    r = admin.post_form(PATH, {"format": "csv", "sex": "female", "include_synthetic": "true"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["content-disposition"].startswith('attachment; filename="respira-outcomes-')
    assert r.headers["cache-control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        assert sorted(archive.namelist()) == [
            "adverse_events.csv",
            "data_dictionary.md",
            "outcomes.csv",
        ]
        archive.extractall(tmp_path)
    rows = read_csv(tmp_path / "outcomes.csv")
    assert rows and {row["sex"] for row in rows} == {"female"}
    (record,) = _exports(db)
    assert record.entity_id == r.headers["x-export-id"]
    assert record.actor_name == admin.account.actor.name and record.actor_role == "admin"
    facts = json.loads(record.after)
    assert facts["filters"] == {"sex": "female"} and facts["rows"] == len(rows)
    # The page lists the export from the audit trail, when in the clinic's time zone.
    monkeypatch.setenv("RESPIRA_CLINIC_TIMEZONE", "Europe/Berlin")
    get_settings.cache_clear()
    listed = admin.get(PATH).text
    assert record.entity_id in listed and "sex=female" in listed
    assert "(Europe/Berlin)" in listed


def test_a_bad_filter_value_shows_the_form_again_next_to_the_field_and_exports_nothing(admin, db):
    r = admin.post_form(PATH, {"format": "csv", "age_min": "ninety", "dose_max": "-1"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert 'id="e-age_min"' in r.text and 'id="e-dose_max"' in r.text
    assert 'value="ninety"' in r.text  # what was typed stays in the form
    assert _exports(db) == []


def test_without_a_key_the_page_says_how_to_switch_it_on_and_a_post_is_refused(
    page_as, db, monkeypatch
):
    monkeypatch.delenv("RESPIRA_OUTCOMES_EXPORT_KEY", raising=False)
    get_settings.cache_clear()
    admin = page_as("admin")
    page = admin.get(PATH)
    assert "RESPIRA_OUTCOMES_EXPORT_KEY" in page.text
    assert "disabled>" in page.text  # the download button
    r = admin.post_form(PATH, {"format": "csv"})
    assert r.status_code == 422 and "RESPIRA_OUTCOMES_EXPORT_KEY" in r.text
    assert _exports(db) == []


@pytest.mark.parametrize(
    ("lang", "heading", "error"),
    [
        ("de", "De-identifizierter Export", "wählen Sie csv oder parquet"),
        ("ru", "Деидентифицированная выгрузка", "выберите csv или parquet"),
    ],
)
def test_the_page_and_its_errors_are_in_german_and_russian(admin, lang, heading, error):
    page = admin.get(f"{PATH}?lang={lang}")
    assert page.status_code == 200 and heading in page.text
    refused = admin.post_form(f"{PATH}?lang={lang}", {"format": "xls"})
    assert refused.status_code == 422
    assert error in refused.text and "choose csv or parquet" not in refused.text


@pytest.mark.parametrize("role", ["physician", "nurse", "coordinator", "lab"])
def test_staff_who_are_not_admins_may_not_open_or_post_the_export(page_as, db, export_key, role):  # noqa: F811
    other = page_as(role)
    assert other.get(PATH).status_code == 403
    assert other.post_form(PATH, {"format": "csv"}).status_code == 403
    assert _exports(db) == []
