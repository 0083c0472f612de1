"""Fixtures of the FHIR tests: a patient with the whole road (``tests/summaries``'
``SummaryClinic.whole_road``: work-up, eligible screening, approved course, infusion with
vital signs, discharge, an adverse event, the month-1 check-in) and a signed discharge
summary, all made through the real use cases; and JSON clients of each role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.followup.conftest import fu  # noqa: F401 (fixtures)
from tests.summaries.conftest import sc  # noqa: F401 (fixtures)
from tests.summaries.summaries_helpers import Road, SummaryClinic
from tests.treatment.conftest import clinic, snapshots  # noqa: F401 (fixtures)


@dataclass
class FhirRoad:
    road: Road
    summary_id: int

    @property
    def pid(self) -> int:
        return self.road.pid


@pytest.fixture
def fhir_road(sc: SummaryClinic) -> FhirRoad:  # noqa: F811
    road = sc.whole_road(preferred_language="de")
    return FhirRoad(road, sc.signed(road.pid, language="de").id)


@pytest.fixture
def doctor(api_as: Any) -> Any:
    return api_as("physician")


@pytest.fixture
def worked_up(sc: SummaryClinic, make_patient: Any) -> int:  # noqa: F811
    """A patient with a diagnostic work-up only (spirometry with a bronchodilator test,
    markers with an allergy test, the ACT, the treatment history)."""
    pid = make_patient(first_name="Worked", email="worked@mail.example")
    sc.work_up(pid)
    return pid
