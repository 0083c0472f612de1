"""Fixtures of the cell-product tests: a laboratory client, donors, lots with QC."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.products.helpers import GOOD_PANEL, PASSING, lot_body, qc_body

# Approved courses for the dose preparations come through the protocol step's real use
# cases, from patients whose signed screening decided eligible (its fixtures).
from tests.protocols.conftest import doc, eligible, screened, snapshots  # noqa: F401


@pytest.fixture
def lab(api_as: Callable[..., TestClient]) -> TestClient:
    return api_as("lab")


@pytest.fixture
def donor(lab: TestClient) -> Callable[..., dict[str, Any]]:
    counter = iter(range(1, 1000))

    def make(**screening: str | None) -> dict[str, Any]:
        panel = {k: v for k, v in {**GOOD_PANEL, **screening}.items() if v is not None}
        r = lab.post(
            "/api/v1/donors",
            json={"code": f"CORD-{next(counter):03d}", "consent": True, "screening": panel},
        )
        assert r.status_code == 201, r.text
        return r.json()

    return make


@pytest.fixture
def lot(lab: TestClient, donor: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A donor lot (of an eligible donor unless one is given), with passing QC for every
    specification except those in ``skip``, and the given results instead of the passing
    ones in ``results``."""
    counter = iter(range(1, 1000))

    def make(
        *,
        donor_id: int | None = None,
        harvest_id: int | None = None,
        results: dict[str, str] | None = None,
        skip: tuple[str, ...] = (),
        **lot: Any,
    ) -> dict[str, Any]:
        if harvest_id is None and donor_id is None:
            donor_id = donor()["id"]
        body = lot_body(f"LOT-{next(counter):03d}", donor_id=donor_id, harvest_id=harvest_id)
        body.update(lot)
        r = lab.post("/api/v1/lots", json=body)
        assert r.status_code == 201, r.text
        out = r.json()
        for attribute in PASSING:
            if attribute in skip:
                continue
            value = (results or {}).get(attribute)
            q = lab.post(f"/api/v1/lots/{out['id']}/qc", json=qc_body(attribute, value))
            assert q.status_code == 201, q.text
        return lab.get(f"/api/v1/lots/{out['id']}").json()

    return make


@pytest.fixture
def release(lab: TestClient) -> Callable[[int], Any]:
    def do(lot_id: int, password: str | None = None) -> Any:
        return lab.post(
            f"/api/v1/lots/{lot_id}/release",
            json={
                "password": password or lab.account.password,  # type: ignore[attr-defined]
                "meaning": "released for clinical use",
            },
        )

    return do
