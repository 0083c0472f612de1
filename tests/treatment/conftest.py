"""Fixtures of the stay's tests: a clinic with staff accounts, eligible patients with
approved courses, released lots whose units are allocated and thawed for a course's
infusion, all made through the other steps' real use cases (``tests/treatment/
treatment_helpers.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from respira.diagnostics.snapshot import ClinicalSnapshot
from respira.screening import decisions
from tests.treatment.treatment_helpers import Clinic


@pytest.fixture
def snapshots(monkeypatch: pytest.MonkeyPatch) -> dict[int, ClinicalSnapshot]:
    """Diagnostics as the screening sees them (as in the screening tests): only the data
    source is replaced; the screening, its signature and the course are the real ones."""
    table: dict[int, ClinicalSnapshot] = {}

    def provider(_session: Any, patient_id: int) -> ClinicalSnapshot:
        return table.get(patient_id, ClinicalSnapshot(patient_id=patient_id))

    monkeypatch.setattr(decisions, "clinical_snapshot", provider)
    return table


@pytest.fixture
def clinic(
    db: Any,
    make_patient: Callable[..., int],
    make_account: Callable[..., Any],
    snapshots: dict[int, ClinicalSnapshot],
    monkeypatch: pytest.MonkeyPatch,
) -> Clinic:
    return Clinic(db, make_patient, make_account, snapshots, monkeypatch)


@pytest.fixture
def ready(clinic: Clinic) -> Any:
    """An eligible patient with an approved course starting today and one released,
    allocated and thawed unit for its first infusion (day 1)."""
    pid = clinic.eligible_patient()
    course = clinic.course(pid)
    dins = clinic.lot(units=2)
    clinic.prepare(course, dins[:1], infusion_day=1)
    return Ready(pid, clinic.mrn(pid), course, dins[0], dins[1])


@pytest.fixture
def nurse_api(api_as: Callable[..., Any], clinic: Clinic) -> Any:
    """A nurse's JSON client (the clinic's own nurse and witness are other accounts)."""
    return api_as("nurse")


class Ready:
    def __init__(self, pid: int, mrn: str, course: Any, din: str, spare_din: str) -> None:
        self.pid = pid
        self.mrn = mrn
        self.course = course
        self.din = din
        self.spare_din = spare_din
