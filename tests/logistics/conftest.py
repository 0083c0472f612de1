"""Fixtures of the logistics tests: the clinic in Europe/Berlin with its letterhead, and
a coordination desk (``logistics_helpers.Desk``) that books stays and works through
their checklists through the real use cases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from respira.kit.config import get_settings
from tests.logistics.logistics_helpers import Desk
from tests.treatment.conftest import clinic, snapshots  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def clinic_in_berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RESPIRA_CLINIC_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("RESPIRA_PUBLIC_BASE_URL", "https://respira.clinic.example.org")
    # a clinic served over HTTPS (its links in mail): Secure cookies, no plain HTTP
    monkeypatch.setenv("RESPIRA_INSECURE_HTTP_LOCALHOST", "false")
    monkeypatch.setenv("RESPIRA_CLINIC_NAME", "Klinik Lindenhof")
    monkeypatch.setenv("RESPIRA_CLINIC_ADDRESS", "Lindenstraße 4\n10115 Berlin")
    monkeypatch.setenv("RESPIRA_CLINIC_PHONE", "+49 30 1234567")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def desk(db: Any, make_patient: Callable[..., int], make_account: Callable[..., Any]) -> Desk:
    return Desk(db, make_patient, make_account)
