"""The administration form's own rules (no database): plausible vital-sign ranges at
their cut-offs, systolic above diastolic, times in order, the reactions list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from respira.treatment.schemas import AdministrationIn, SupportingSessionIn, VitalsIn
from tests.treatment.treatment_helpers import vitals


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("temperature_c", 30, 43),
        ("heart_rate_bpm", 20, 250),
        ("systolic_mmhg", 50, 260),
        ("diastolic_mmhg", 20, 160),
        ("spo2_pct", 50, 100),
        ("respiratory_rate_per_min", 4, 60),
    ],
)
def test_vital_sign_accepted_at_its_limits_and_refused_just_beyond(name, low, high):
    # the other pressure at its own limit, so that systolic stays above diastolic
    extra = {"systolic_mmhg": {"diastolic_mmhg": 20}, "diastolic_mmhg": {"systolic_mmhg": 260}}
    for value in (low, high):
        VitalsIn.model_validate(vitals(**{name: value, **extra.get(name, {})}))
    for value in (low - 0.1, high + 0.1):
        with pytest.raises(ValidationError) as err:
            VitalsIn.model_validate(vitals(**{name: value}))
        assert "not plausible" in str(err.value)


def test_systolic_must_be_above_diastolic():
    assert (
        "systolic_mmhg"
        in VitalsIn.model_validate(vitals(systolic_mmhg=90, diastolic_mmhg=90)).problems()
    )
    assert VitalsIn.model_validate(vitals(systolic_mmhg=91, diastolic_mmhg=90)).problems() == {}


def test_a_measurement_needs_at_least_one_vital_sign():
    empty = {k: None for k in vitals() if k != "phase"}
    assert "phase" in VitalsIn.model_validate({"phase": "during", **empty}).problems()


def _administration(**overrides: Any) -> AdministrationIn:
    now = dt.datetime.now(dt.UTC)
    data: dict[str, Any] = {
        "din": "G123498654321",
        "patient_id": 1,
        "course_id": 1,
        "route": "iv",
        "started_at": (now - dt.timedelta(hours=1)).isoformat(),
        "ended_at": (now - dt.timedelta(minutes=30)).isoformat(),
        "volume_ml": 100,
        "rate_ml_per_h": 200,
        "vitals": [vitals(), vitals(phase="after")],
        "witness_email": "witness@clinic.example.org",
    }
    data.update(overrides)
    return AdministrationIn.model_validate(data)


def test_administration_ending_before_it_starts_is_refused():
    now = dt.datetime.now(dt.UTC)
    a = _administration(
        started_at=(now - dt.timedelta(minutes=10)).isoformat(),
        ended_at=(now - dt.timedelta(minutes=11)).isoformat(),
    )
    assert "ended_at" in a.problems()


def test_administration_needs_vitals_before():
    assert "vitals" in _administration(vitals=[vitals(phase="after")]).problems()


def test_reactions_come_from_the_list():
    assert _administration(reactions=["fever", "chills"]).reactions == ["fever", "chills"]
    with pytest.raises(ValidationError):
        _administration(reactions=["rash"])


def test_route_is_iv_or_nebulised():
    with pytest.raises(ValidationError):
        _administration(route="oral")


def test_skipped_supporting_session_needs_a_reason():
    s = SupportingSessionIn(
        course_id=1, modality="breathing exercises", day=dt.date.today(), done=False
    )
    assert "reason" in s.problems()
