"""Fixtures of the screening tests: a physician's API client, hand-made diagnostics
snapshots fed through the real use case, and a patient who is an eligible candidate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from respira.diagnostics.snapshot import ClinicalSnapshot
from respira.kit.db import Database
from respira.kit.validation import today_utc
from respira.screening import decisions, models
from tests.screening.screening_helpers import good_findings_values, good_snapshot


@pytest.fixture
def doc(api_as: Callable[..., TestClient]) -> TestClient:
    return api_as("physician")


@pytest.fixture
def snapshots(monkeypatch: pytest.MonkeyPatch) -> dict[int, ClinicalSnapshot]:
    """Diagnostics as the screening sees them, by patient id (none: an empty snapshot).
    Replaces only the data source; the use case, facts and engine are the real ones."""
    table: dict[int, ClinicalSnapshot] = {}

    def provider(_session: Any, patient_id: int) -> ClinicalSnapshot:
        return table.get(patient_id, ClinicalSnapshot(patient_id=patient_id))

    monkeypatch.setattr(decisions, "clinical_snapshot", provider)
    return table


@pytest.fixture
def candidate(
    make_patient: Callable[..., int], doc: TestClient, snapshots: dict[int, ClinicalSnapshot]
) -> Callable[..., int]:
    """A patient whose diagnostics and findings make them eligible, with changes."""

    def make(*, findings: dict[str, Any] | None = None, **patient: Any) -> int:
        pid = make_patient(**patient)
        snapshots[pid] = good_snapshot(pid, today_utc())
        body = good_findings_values(today_utc(), **(findings or {}))
        r = doc.post(f"/api/v1/patients/{pid}/screening-findings", json=body)
        assert r.status_code == 201, r.text
        return pid

    return make


@pytest.fixture
def count_rows(db: Database) -> Callable[[], dict[str, int]]:
    def count() -> dict[str, int]:
        with db.session() as session:
            return {
                model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (
                    models.ScreeningCriteriaSet,
                    models.ScreeningFindings,
                    models.Screening,
                )
            }

    return count
