"""Use cases of the stay, as one public face: admit a patient for an approved course
and discharge them, the ward board of a day, the bedside check of a wristband and a
unit, the record of an administration with its vital signs, and supporting sessions
done or skipped. The use cases live in

- ``respira.treatment.admissions`` — admission and discharge;
- ``respira.treatment.bedside_checks`` — the bedside check, stored and audited either
  way and written into the unit's ledger (its rules: ``respira.treatment.bedside``);
- ``respira.treatment.administrations`` — the administration record, and what the
  patient's page shows;
- ``respira.treatment.ward`` — the ward board and supporting sessions;
- ``respira.treatment.shared`` — the DIN, the course and the listing they share;

and who may do what in ``respira.treatment.roles``: nurses and physicians do the ward
work (admissions, bedside checks, administrations, supporting sessions); admins read;
coordinators read the ward board (they organise the stay) but no administration
detail; the laboratory has no part here; a patient reads their own administrations.
Callers outside the step (its routes, its demo, other steps, tests) write
``service.X``.

The bedside check answers go or no-go with every reason (``respira.treatment.bedside``,
a pure function of the facts) and is stored and audited either way, and written into
the unit's ledger (``respira.products.service.record_event``). An administration needs
a go check of the same unit and patient within the last 30 minutes, reads the unit
``FOR UPDATE`` (``lock_unit_for_administration``) so that two nurses at the same
moment give it once, and answers 409 for a unit already given. Sources: FACT-JACIE
bedside verification and traceability, ISBT 128 DIN (clinical.md §5.5).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session, selectinload

from respira.kit.actors import Actor, require_role
from respira.kit.patient_rows import rows_of_patients
from respira.patients import service as patients_service
from respira.treatment.administrations import (
    get_administration,
    list_administrations,
    patient_chains,
    patient_summary,
    record_administration,
    treated_patient_count,
)
from respira.treatment.admissions import ADMIT_EARLY_DAYS, admit, discharge, list_admissions
from respira.treatment.bedside_checks import check_at_bedside, check_named, checks_named
from respira.treatment.models import Administration
from respira.treatment.roles import (
    ADMINISTRATION_READ_ROLES,
    BOARD_ROLES,
    CHAIN_ROLES,
    READ_ROLES,
    WARD_ROLES,
    WITNESS_ROLES,
)
from respira.treatment.schemas import AdministrationOut
from respira.treatment.shared import MalformedDin, parse_din
from respira.treatment.ward import record_supporting_session, ward_board

__all__ = [
    "ADMINISTRATION_READ_ROLES",
    "ADMIT_EARLY_DAYS",
    "BOARD_ROLES",
    "CHAIN_ROLES",
    "READ_ROLES",
    "WARD_ROLES",
    "WITNESS_ROLES",
    "MalformedDin",
    "administrations_of_patients",
    "admit",
    "check_at_bedside",
    "check_named",
    "checks_named",
    "discharge",
    "get_administration",
    "list_administrations",
    "list_admissions",
    "parse_din",
    "patient_chains",
    "patient_summary",
    "record_administration",
    "record_supporting_session",
    "treated_patient_count",
    "ward_board",
]


def administrations_of_patients(
    session: Session, actor: Actor, patient_ids: Sequence[int]
) -> dict[int, list[AdministrationOut]]:
    """``list_administrations`` of each patient of a page of the registry (the FHIR
    export), newest first, with their vital signs: one query per table for the page,
    for the registry's readers."""
    require_role(actor, patients_service.REGISTRY_ROLES)
    found = rows_of_patients(
        session,
        Administration,
        patient_ids,
        Administration.started_at.desc(),
        Administration.id.desc(),
        options=(selectinload(Administration.vitals),),
    )
    return {pid: [AdministrationOut.model_validate(r) for r in rows] for pid, rows in found.items()}
