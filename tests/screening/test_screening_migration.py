"""Migration 0023 lists the evidence of the screenings stored before it, from the
sources their stored results cite, so that their changed evidence shows too."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import create_engine, text

from respira.app import migrate as db
from tests.conftest import BACKENDS


@pytest.fixture(params=BACKENDS)
def fresh_url(request, make_database_url):
    return make_database_url(request.param)


def test_existing_screenings_get_the_records_their_results_cite(fresh_url):
    db.upgrade(fresh_url, "0022")
    engine = create_engine(fresh_url)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    stamp = now.replace(tzinfo=None) if fresh_url.startswith("sqlite") else now
    results = [
        {
            "id": "uncontrolled_asthma",
            "facts": [
                {"fact": "act_score", "source": "visit 3 / questionnaire 5"},
                {"fact": "fev1_post_pctpred", "source": "visit 3 / spirometry 4"},
                {"fact": "acq_score", "source": None},
            ],
        },
        {"id": "age", "facts": [{"fact": "age_years", "source": "patient record RSP-1"}]},
    ]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO patients (medical_record_number, first_name, last_name, "
                "date_of_birth, sex_at_birth, country, preferred_language, created_at, "
                "updated_at, version, search_key) VALUES ('RSP-1234567-4', 'Ann', 'Lee', "
                "'1970-01-01', 'female', 'DK', 'da', :now, :now, 1, 'ann lee')"
            ),
            {"now": stamp},
        )
        conn.execute(
            text(
                "INSERT INTO screening_criteria_sets (version, title, toml_text, text_sha256, "
                "created_at, created_by_name, is_active) VALUES ('v-1', 't', 'x', 'h', :now, "
                "'Respira', true)"
            ),
            {"now": stamp},
        )
        conn.execute(
            text(
                "INSERT INTO screenings (patient_id, criteria_set_id, criteria_version, "
                "screening_date, decision, reasons_json, results_json, evaluated_at, "
                "evaluated_by_name, version) SELECT p.id, c.id, 'v-1', '2026-11-01', "
                "'eligible', '[]', :results, :now, 'Dr. A', 1 "
                "FROM patients p, screening_criteria_sets c"
            ),
            {"now": stamp, "results": json.dumps(results)},
        )
    engine.dispose()
    db.upgrade(fresh_url, "0023")
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT record_type, record_id FROM screening_evidence ORDER BY record_type")
        ).all()
        findings = conn.execute(
            text("SELECT ever_smoked, vaping, exacerbation_or_scs_4w FROM screening_findings")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("questionnaire_response", 5), ("spirometry_session", 4)]
    assert findings == []
    db.downgrade(fresh_url, "0022")
