"""Migration 0024 on existing data: the sessions recorded before it took their height
from the patient record and say so; a session without reference values survives a
downgrade as "not_interpreted"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from respira.app import migrate as db
from tests.conftest import BACKENDS

SESSION_COLUMNS = (
    "visit_id, fev1_pre_l, fvc_pre_l, equations, sex, age_years, height_cm, "
    "equations_version, pattern, notes, recorded_at, recorded_by_name"
)


@pytest.fixture(params=BACKENDS)
def fresh_url(request, make_database_url):
    return make_database_url(request.param)


def _insert(conn: Any, url: str, sql: str) -> None:
    """Run an INSERT whose ``:now`` is a recording time as the backend stores it."""
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    conn.execute(text(sql), {"now": now.replace(tzinfo=None) if url.startswith("sqlite") else now})


def test_sessions_recorded_before_keep_their_height_from_the_patient_record(fresh_url):
    db.upgrade(fresh_url, "0003")
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        _insert(
            conn,
            fresh_url,
            "INSERT INTO patients (id, medical_record_number, first_name, last_name, "
            "date_of_birth, sex_at_birth, country, preferred_language, height_cm, "
            "created_at, updated_at, version) VALUES (1, 'RSP-1234567-4', 'Ada', 'Berg', "
            "'1970-01-01', 'female', 'SE', 'sv', 171, :now, :now, 1)",
        )
        _insert(
            conn,
            fresh_url,
            "INSERT INTO diagnostic_visits (id, patient_id, visit_date, recorded_at, "
            "recorded_by_name) VALUES (1, 1, '2025-06-01', :now, 'Dr A')",
        )
        _insert(
            conn,
            fresh_url,
            f"INSERT INTO spirometry_sessions ({SESSION_COLUMNS}) VALUES (1, 2.5, 3.1, "
            "'gli-global', 'F', 55.4, 171, 'GLI Global', 'normal', '[]', :now, 'Dr A')",
        )
    engine.dispose()
    db.upgrade(fresh_url, "0024")
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        row = conn.execute(
            text("SELECT height_cm, height_source, pattern FROM spirometry_sessions")
        ).one()
        assert tuple(row) == (171, "patient_record", "normal")
        _insert(
            conn,
            fresh_url,
            f"INSERT INTO spirometry_sessions ({SESSION_COLUMNS}, height_source) VALUES "
            "(1, 1.0, 1.4, 'gli-global', 'F', 96.2, 160, 'GLI Global', NULL, '[]', :now, "
            "'Dr A', 'measured')",
        )
    engine.dispose()
    db.downgrade(fresh_url, "0023")
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        patterns = conn.execute(text("SELECT pattern FROM spirometry_sessions ORDER BY id")).all()
    engine.dispose()
    assert [p for (p,) in patterns] == ["normal", "not_interpreted"]
