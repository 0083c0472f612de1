"""The mechanism step's public face: the model's page, the staff's link from a patient's
page, and the command line's runs, cohorts and sensitivity analyses.

The routes and the command line ask this module; it asks ``respira.science.model``
(the layering rule: pages never import science). What it re-exports:

- ``explain(form)`` (the page), ``run_patient(...)`` (``respira model run``),
- ``CohortSpec`` / ``write_cohort`` (``respira model simulate``),
- ``SensitivitySpec`` / ``analyse`` (``respira model sensitivity``),
- ``phenotype_for_patient`` (the patient-page section's preselected phenotype).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from respira.kit.actors import CARE_TEAM_ROLES, Actor
from respira.kit.errors import NotFound
from respira.kit.marks import N_
from respira.mechanism.cohorts import ClusterUnavailable, CohortSpec, CohortSummary, write_cohort
from respira.mechanism.runs import RunResult, ScenarioView, explain, run_patient
from respira.mechanism.schemas import ModelInputError, Problem
from respira.mechanism.sensitivity import SensitivityResult, SensitivitySpec, analyse
from respira.science import model

if TYPE_CHECKING:
    from respira.diagnostics.service import ClinicalSnapshot

__all__ = [
    "HEURISTIC_LABEL",
    "SECTION_ROLES",
    "BackendUnavailable",
    "ClusterUnavailable",
    "CohortSpec",
    "CohortSummary",
    "ModelInputError",
    "PatientPhenotype",
    "RunResult",
    "ScenarioError",
    "ScenarioView",
    "SensitivityResult",
    "SensitivitySpec",
    "analyse",
    "explain",
    "patient_reference",
    "phenotype_for_patient",
    "run_patient",
    "write_cohort",
]

HEURISTIC_LABEL = model.HEURISTIC_LABEL
BackendUnavailable = model.BackendUnavailable
ScenarioError = model.ScenarioError

#: Staff who open the panel from a patient's page (the patient themself reads the
#: public page; it is never about them).
SECTION_ROLES = CARE_TEAM_ROLES

DEFAULT_PHENOTYPE = "t2-high"
#: The clinical phenotype labels of respira.science.phenotype that mean type 2 is present.
TYPE2_LABELS = frozenset(
    {"allergic-eosinophilic", "allergic", "eosinophilic", "type-2-high-unclassified"}
)

NOT_READABLE = N_(
    "Your role does not read diagnostic results, so the panel starts with type-2-high asthma."
)
NO_PANEL = N_(
    "No biomarker panel is recorded for this patient, so the panel starts with type-2-high asthma."
)
UNDECIDED = N_(
    "The newest biomarker panel (%(date)s) does not decide the phenotype, so the panel "
    "starts with type-2-high asthma."
)
TYPE2_LOW = N_(
    "The newest biomarker panel (%(date)s) says type-2-low. The model describes type-2 "
    "inflammation, so the panel starts with low type-2 susceptibility, and it explains "
    "little of this patient's asthma."
)
TYPE2 = N_("The newest biomarker panel (%(date)s) shows type-2 inflammation (%(label)s).")
SEVERE = N_(
    "The newest biomarker panel (%(date)s) shows type-2 inflammation (%(label)s), and the "
    "treatment record meets the ERS/ATS treatment criterion of severe asthma."
)


@dataclass(frozen=True)
class PatientPhenotype:
    """The phenotype the panel starts with for a patient, and why (a message id with
    its parameters, for the page to translate); ``derived`` when the patient's own
    markers chose it."""

    phenotype: str
    reason: Problem
    derived: bool = False
    medical_record_number: str = ""
    patient_id: int = 0


def _severe_treatment(snapshot: ClinicalSnapshot) -> bool:
    """ERS/ATS severe asthma's treatment criterion (Chung 2014; reference/clinical.md
    §2.4): high-dose ICS with a second controller, or maintenance systemic
    corticosteroids; a biologic or GINA step 5 (add-on therapy for severe asthma) count
    as well. Whether the asthma stays uncontrolled is not asked here: the model's
    severe phenotype is a stronger type-2 drive, and this only picks where to start."""

    def value(item: object) -> Any:
        return getattr(item, "value", None)

    high_dose = value(snapshot.ics_dose_level) == "high" and bool(
        value(snapshot.on_laba) or value(snapshot.on_lama)
    )
    return bool(
        high_dose
        or value(snapshot.maintenance_ocs)
        or value(snapshot.biologic)
        or (value(snapshot.gina_step) or 0) >= 5
    )


def phenotype_for_patient(session: Session, actor: Actor, patient_id: int) -> PatientPhenotype:
    """The model phenotype a patient's markers suggest (staff only): type-2-high asthma
    for a type-2 phenotype (reference/clinical.md §3.2), severe when the treatment
    record also meets the severe-asthma criterion (§2.4), the low-susceptibility
    setting for type-2-low asthma, and type-2-high by default, saying why."""
    # Imported here: the command line uses this module too and needs none of the clinic.
    from respira.patients import service as patients_service

    patient = patients_service.get_patient(session, actor, patient_id)
    phenotype, reason, derived = _phenotype_of(session, actor, patient.id)
    return PatientPhenotype(
        phenotype=phenotype,
        reason=reason,
        derived=derived,
        medical_record_number=patient.medical_record_number,
        patient_id=patient.id,
    )


def _phenotype_of(session: Session, actor: Actor, patient_id: int) -> tuple[str, Problem, bool]:
    from respira.diagnostics import service as diagnostics_service

    if actor.role not in diagnostics_service.READ_ROLES:
        return DEFAULT_PHENOTYPE, Problem(NOT_READABLE), False
    snapshot = diagnostics_service.snapshot_for(session, actor, patient_id)
    panel = snapshot.phenotype
    if panel is None:
        return DEFAULT_PHENOTYPE, Problem(NO_PANEL), False
    when = {"date": panel.on.isoformat()}
    if panel.value == "type-2-low":
        return "healthy", Problem(TYPE2_LOW, when), True
    if panel.value not in TYPE2_LABELS:
        return DEFAULT_PHENOTYPE, Problem(UNDECIDED, when), False
    params = {**when, "label": panel.value}
    if _severe_treatment(snapshot):
        return "severe", Problem(SEVERE, params), True
    return "t2-high", Problem(TYPE2, params), True


def patient_reference(session: Session, actor: Actor, patient_id: int) -> PatientPhenotype | None:
    """For the page opened from a patient's page: the patient's phenotype and record
    number for staff, None for anyone else (the public page never says whether a
    patient exists) or for a patient who is not there."""
    if actor.role not in SECTION_ROLES:
        return None
    try:
        return phenotype_for_patient(session, actor, patient_id)
    except NotFound:
        return None
