"""Fixtures of the diagnostics tests: a physician's API client, a patient with a
height, and an open visit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from respira.diagnostics import models
from respira.kit.db import Database
from tests.diagnostics.helpers import days_ago


@pytest.fixture
def doc(api_as: Callable[..., TestClient]) -> TestClient:
    return api_as("physician")


@pytest.fixture
def patient_id(make_patient: Callable[..., int]) -> int:
    # Born 1979-04-12, female, 168 cm (tests.conftest.patient_data).
    return make_patient()


@pytest.fixture
def visit_id(doc: TestClient, patient_id: int) -> int:
    r = doc.post(f"/api/v1/patients/{patient_id}/visits", json={"visit_date": days_ago(3)})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


@pytest.fixture
def count_rows(db: Database) -> Callable[[], dict[str, int]]:
    """How many rows each diagnostics table holds (to show that nothing was stored)."""

    def count() -> dict[str, int]:
        tables: dict[str, Any] = {
            "visits": models.DiagnosticVisit,
            "spirometry": models.SpirometrySession,
            "results": models.SpirometryResult,
            "markers": models.MarkerPanel,
            "sensitisations": models.Sensitisation,
            "imaging": models.ImagingStudy,
            "questionnaires": models.QuestionnaireResponse,
            "history": models.TreatmentHistory,
        }
        with db.session() as session:
            return {
                name: session.scalar(select(func.count()).select_from(model)) or 0
                for name, model in tables.items()
            }

    return count
