"""Fixtures of the protocol tests: a physician's API client and patients whose latest
signed screening decided eligible, reached through screening's real use cases (only the
diagnostics snapshot that screening reads is made by hand)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from respira.diagnostics.snapshot import ClinicalSnapshot
from respira.kit.validation import today_utc
from respira.screening import decisions
from tests.screening.screening_helpers import good_findings_values, good_snapshot

APPROVED_ELIGIBILITY = "approved eligibility"


@pytest.fixture
def doc(api_as: Callable[..., TestClient]) -> TestClient:
    return api_as("physician")


@pytest.fixture
def snapshots(monkeypatch: pytest.MonkeyPatch) -> dict[int, ClinicalSnapshot]:
    """Diagnostics as the screening sees them, by patient id."""
    table: dict[int, ClinicalSnapshot] = {}

    def provider(_session: Any, patient_id: int) -> ClinicalSnapshot:
        return table.get(patient_id, ClinicalSnapshot(patient_id=patient_id))

    monkeypatch.setattr(decisions, "clinical_snapshot", provider)
    return table


@pytest.fixture
def screened(
    make_patient: Callable[..., int], doc: TestClient, snapshots: dict[int, ClinicalSnapshot]
) -> Callable[..., int]:
    """A patient with a screening: an eligible candidate (unless ``findings`` change
    that), signed with ``meaning`` (None: not signed)."""
    counter = iter(range(1, 10_000))

    def make(
        *,
        meaning: str | None = APPROVED_ELIGIBILITY,
        findings: dict[str, Any] | None = None,
        **patient: Any,
    ) -> int:
        n = next(counter)
        patient.setdefault("first_name", f"Cand{n}")
        patient.setdefault("email", f"cand{n}@mail.example")
        pid = make_patient(**patient)
        snapshots[pid] = good_snapshot(pid, today_utc())
        body = good_findings_values(today_utc(), **(findings or {}))
        r = doc.post(f"/api/v1/patients/{pid}/screening-findings", json=body)
        assert r.status_code == 201, r.text
        r = doc.post(f"/api/v1/patients/{pid}/screenings")
        assert r.status_code == 201, r.text
        if meaning is not None:
            s = doc.post(
                f"/api/v1/screenings/{r.json()['id']}/sign",
                json={"password": doc.account.password, "meaning": meaning},  # type: ignore[attr-defined]
                headers={"If-Match": r.headers["etag"]},
            )
            assert s.status_code == 200, s.text
        return pid

    return make


@pytest.fixture
def eligible(screened: Callable[..., int]) -> Callable[..., int]:
    def make(**patient: Any) -> int:
        return screened(**patient)

    return make
