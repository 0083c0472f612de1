"""Fixtures of the safety tests: the stay's clinic (staff accounts, eligible patients,
approved courses, released lots; tests/treatment/conftest.py) and a patient treated
today through the real use cases (``safety_helpers.treated_patient``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.safety.safety_helpers import Treated, treated_patient
from tests.treatment.conftest import clinic, snapshots  # noqa: F401 (fixtures)
from tests.treatment.treatment_helpers import Clinic


@pytest.fixture
def treated(clinic: Clinic) -> Treated:  # noqa: F811
    return treated_patient(clinic, units=2)


@pytest.fixture
def nurse_api(api_as: Any) -> Any:
    return api_as("nurse")


@pytest.fixture
def doctor_api(api_as: Any) -> Any:
    return api_as("physician")
