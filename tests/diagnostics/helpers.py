"""Shared helpers of the diagnostics tests (and the access matrix's ids)."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from respira.diagnostics import service
from respira.diagnostics.schemas import SpirometryIn, VisitIn
from respira.kit.actors import Actor
from respira.kit.db import Database
from respira.patients import service as patients_service
from respira.patients.schemas import PatientIn
from tests.conftest import patient_data

SPIRO: dict[str, Any] = {
    "equations": "gli-global",
    "fev1_pre_l": 2.10,
    "fvc_pre_l": 3.20,
    "fev1_post_l": 2.50,
    "fvc_post_l": 3.40,
    "bronchodilator": "salbutamol",
    "bronchodilator_dose_ug": 400,
}
MARKERS: dict[str, Any] = {
    "blood_eosinophils_per_ul": 420,
    "feno_ppb": 38,
    "total_ige_iu_ml": 310,
    "sensitisations": [
        {"allergen": "house dust mite", "positive": True, "method": "skin_prick"},
        {"allergen": "cat dander", "positive": False, "method": "sige"},
    ],
}
HISTORY: dict[str, Any] = {
    "ics_dose_level": "high",
    "laba": True,
    "lama": True,
    "maintenance_ocs": False,
    "biologic": "none",
    "gina_step": 5,
    "gina_track": 1,
    "severe_exacerbations_12m": 3,
    "hospitalisations_12m": 1,
    "last_exacerbation_date": None,
    "last_systemic_cs_date": None,
    "rescue_puffs_per_week": 14,
    "adherence_confirmed": "yes",
    "inhaler_technique_confirmed": "yes",
}
IMAGING: dict[str, Any] = {
    "modality": "chest_xray",
    "findings": "Hyperinflation; no consolidation.",
    "abnormal": False,
    "clinically_indicated": True,
    "indication": "Exclude pneumonia before infusion",
}


def days_ago(n: int) -> str:
    return (dt.date.today() - dt.timedelta(days=n)).isoformat()


def open_visit(api_as: Any, make_patient: Any) -> tuple[Any, int]:
    """A physician's API client and a visit of three days ago of a new patient."""
    doc = api_as("physician")
    pid = make_patient()
    r = doc.post(f"/api/v1/patients/{pid}/visits", json={"visit_date": days_ago(3)})
    assert r.status_code == 201, r.text
    return doc, int(r.json()["id"])


def page_text(page: Any) -> str:
    """A page's HTML with its character references read (``&lt;`` as ``<``)."""
    return html.unescape(page.text)


def diagnostics_access_ids(db: Database) -> dict[str, Any]:
    """Path parameters of the diagnostics routes naming records that exist: a visit
    with one spirometry session (for the access matrix)."""
    system = Actor.system("test")
    with db.transaction() as session:
        patient = patients_service.add_patient(
            session,
            system,
            PatientIn.model_validate(
                patient_data(first_name="Vera", email="vera@mail.example", height_cm=170.0)
            ),
        )
        patient_id = patient.id
    with db.transaction() as session:
        visit = service.create_visit(
            session, system, patient_id, VisitIn(visit_date=dt.date.today())
        )
    with db.transaction() as session:
        spiro = service.record_spirometry(
            session, system, visit.id, SpirometryIn.model_validate(SPIRO)
        )
    return {"visit_id": visit.id, "kind": "spirometry", "record_id": spiro.id}
