"""Hand-made facts for the screening tests: a patient, a diagnostics snapshot and
screening findings that together make an eligible candidate, and ways to change them.

``eligible_parts(today)`` gives the three sources; ``facts_for(parts, today)`` runs them
through the same ``respira.screening.facts.collect`` that the service uses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace
from typing import Any

from respira.diagnostics.snapshot import ClinicalSnapshot, Dated
from respira.screening import facts
from respira.screening.models import TRI_FIELDS

TODAY = dt.date(2026, 11, 23)

# The tri-state findings of a good candidate ("yes" where yes is the good answer).
GOOD_YES = {
    "airflow_variability_documented",
    "stable_general_health",
    "informed_consent",
    "decision_capacity",
}


def good_findings_values(today: dt.date, **overrides: Any) -> dict[str, Any]:
    """Findings (as the API takes them) of an eligible candidate assessed today."""
    values: dict[str, Any] = {name: ("yes" if name in GOOD_YES else "no") for name in TRI_FIELDS}
    values.update(
        assessed_on=today.isoformat(),
        tb_screening_result="negative",
        tb_screening_on=(today - dt.timedelta(days=10)).isoformat(),
        heart_failure_nyha="none",
        egfr_ml_min_1_73m2=88.0,
        egfr_measured_on=(today - dt.timedelta(days=10)).isoformat(),
        pregnancy_test_result="negative",
        pregnancy_test_on=(today - dt.timedelta(days=2)).isoformat(),
    )
    values.update(overrides)
    return values


def findings_row(today: dt.date, **overrides: Any) -> SimpleNamespace:
    """A stand-in for a ``ScreeningFindings`` row (the attributes ``facts`` reads)."""
    values = good_findings_values(today)
    for key in ("assessed_on", "tb_screening_on", "egfr_measured_on", "pregnancy_test_on"):
        values[key] = dt.date.fromisoformat(values[key])
    values["smoking_quit_on"] = None
    values.update(overrides)
    return SimpleNamespace(id=7, recorded_by_name="Dr. Test", **values)


def good_snapshot(patient_id: int, today: dt.date, **overrides: Any) -> ClinicalSnapshot:
    """Diagnostics of an uncontrolled asthmatic on step 5, stable for two months."""

    def d(value: Any, days_ago: int = 5, source: str = "visit 1 / test") -> Dated[Any]:
        return Dated(value, today - dt.timedelta(days=days_ago), source)

    snap = ClinicalSnapshot(
        patient_id=patient_id,
        fev1_pre_l=d(2.1, source="visit 1 / spirometry 1"),
        fev1_pre_pctpred=d(68.0, source="visit 1 / spirometry 1"),
        fev1_pre_z=d(-2.3, source="visit 1 / spirometry 1"),
        fev1fvc_pre_z=d(-2.0, source="visit 1 / spirometry 1"),
        spirometry_pattern=d("obstruction", source="visit 1 / spirometry 1"),
        bdr_2022=d(True, source="visit 1 / spirometry 1"),
        bdr_2005=d(True, source="visit 1 / spirometry 1"),
        bdr_positive_ever=d(True, source="visit 1 / spirometry 1"),
        fev1_post_pctpred=d(76.0, source="visit 1 / spirometry 1"),
        fev1fvc_post_z=d(-1.8, source="visit 1 / spirometry 1"),
        act_score=d(14, source="visit 1 / questionnaire 2"),
        blood_eosinophils_per_ul=d(420.0, source="visit 1 / markers 3"),
        feno_ppb=d(38.0, source="visit 1 / markers 3"),
        gina_step=d(5, source="visit 1 / history 4"),
        ics_dose_level=d("high", source="visit 1 / history 4"),
        on_laba=d(True, source="visit 1 / history 4"),
        maintenance_ocs=d(False, source="visit 1 / history 4"),
        biologic=d(None, source="visit 1 / history 4"),
        exacerbations_12m=d(3, source="visit 1 / history 4"),
        hospitalisations_12m=d(1, source="visit 1 / history 4"),
        rescue_puffs_per_week=d(14.0, source="visit 1 / history 4"),
        last_exacerbation=d(today - dt.timedelta(days=60), source="visit 1 / history 4"),
        last_systemic_corticosteroid_course=d(
            today - dt.timedelta(days=60), source="visit 1 / history 4"
        ),
        adherence_confirmed=d(True, source="visit 1 / history 4"),
        inhaler_technique_confirmed=d(True, source="visit 1 / history 4"),
        chest_imaging_abnormal=d(False, source="visit 1 / imaging 5"),
    )
    return dataclasses.replace(snap, **overrides)


def patient_row(**overrides: Any) -> SimpleNamespace:
    values: dict[str, Any] = {
        "medical_record_number": "RSP-1234567-4",
        "date_of_birth": dt.date(1979, 4, 12),
        "sex_at_birth": "female",
        "smoking_pack_years": 0.0,
        "updated_at": dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC),
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def dated(value: Any, days_ago: int, today: dt.date = TODAY, source: str = "visit 9 / x") -> Any:
    return Dated(value, today - dt.timedelta(days=days_ago), source)


def facts_for(
    *,
    patient: dict[str, Any] | None = None,
    snapshot: dict[str, Any] | None = None,
    findings: dict[str, Any] | None = None,
    no_findings: bool = False,
    today: dt.date = TODAY,
) -> dict[str, Any]:
    """The facts of the eligible candidate with the given changes to each source."""
    row = None if no_findings else findings_row(today, **(findings or {}))
    return facts.collect(
        patient_row(**(patient or {})),
        good_snapshot(1, today, **(snapshot or {})),
        row,
        today,
    )


def screening_access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    """Path parameters of the screening routes naming records that exist: the active
    criteria set and one screening of the patient (for the access matrix)."""
    from respira.kit.actors import Actor
    from respira.screening import service

    with db.transaction() as session:
        out = service.evaluate_screening(session, Actor.system("test"), patient_id)
    return {"screening_id": out.id, "set_id": out.criteria_set_id}
