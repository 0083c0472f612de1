"""Screening findings: what the physician assesses for screening that diagnostics do
not hold (infections, TB screening, heart failure, renal and hepatic function,
pregnancy, consent, ...), each answer "yes", "no" or "unknown".

Findings are never edited: a new assessment is a new record that supersedes the
previous one, and the newest (by assessment date, then id) is what a screening
evaluates (``respira.screening.facts``). Who may do what: ``respira.screening.roles``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit import records
from respira.kit.actors import Actor, require_role
from respira.kit.clinic_time import clinic_today
from respira.kit.errors import InvalidInput
from respira.kit.marks import N_
from respira.kit.patient_rows import rows_of_patient
from respira.kit.texts import Msg
from respira.patients import service as patients_service
from respira.screening.models import TRI_FIELDS, ScreeningFindings
from respira.screening.roles import CLINICAL_ROLES, READ_ROLES
from respira.screening.schemas import FindingsIn, FindingsOut


def newest_findings(session: Session, patient_id: int) -> ScreeningFindings | None:
    return session.scalars(
        select(ScreeningFindings)
        .where(ScreeningFindings.patient_id == patient_id)
        .order_by(ScreeningFindings.assessed_on.desc(), ScreeningFindings.id.desc())
        .limit(1)
    ).first()


def _check_findings(patient: patients_service.Patient, data: FindingsIn) -> None:
    errors: dict[str, str] = {}
    if data.assessed_on < patient.date_of_birth:
        errors["assessed_on"] = N_("is before the patient's date of birth")
    pairs = (
        ("tb_screening_result", "tb_screening_on", Msg(N_("the TB screening"))),
        ("egfr_ml_min_1_73m2", "egfr_measured_on", Msg(N_("the eGFR"))),
        ("pregnancy_test_result", "pregnancy_test_on", Msg(N_("the pregnancy test"))),
    )
    for value_field, date_field, what in pairs:
        has_value = getattr(data, value_field) is not None
        has_date = getattr(data, date_field) is not None
        if has_value and not has_date:
            errors[date_field] = Msg(N_("give the date of %(what)s"), what=what)
        elif has_date and not has_value:
            errors[value_field] = Msg(
                N_("a date without a result: give %(what)s's result or clear the date"), what=what
            )
        elif has_date and getattr(data, date_field) > data.assessed_on:
            errors[date_field] = N_("cannot be after the assessment date")
    if data.pregnancy_test_result == "positive" and data.pregnant != "yes":
        errors["pregnant"] = N_("a positive pregnancy test means pregnant: answer yes")
    if patient.sex_at_birth == "male":
        for name in ("pregnant", "lactating"):
            if getattr(data, name) == "yes":
                errors[name] = N_("the patient's sex at birth is male")
        if data.pregnancy_test_result is not None:
            errors["pregnancy_test_result"] = N_("the patient's sex at birth is male")
    if data.smoking_quit_on is not None:
        if data.current_smoker == "yes":
            errors["smoking_quit_on"] = N_(
                "a current smoker has not stopped: clear the date or answer 'current smoker' no"
            )
        elif data.ever_smoked == "no":
            errors["smoking_quit_on"] = N_(
                "the patient never smoked: clear the date or answer 'ever smoked' yes"
            )
        elif data.smoking_quit_on > data.assessed_on:
            errors["smoking_quit_on"] = N_("cannot be after the assessment date")
        elif data.smoking_quit_on < patient.date_of_birth:
            errors["smoking_quit_on"] = N_("is before the patient's date of birth")
    if data.ever_smoked == "no" and data.current_smoker == "yes":
        errors["ever_smoked"] = N_("a current smoker has smoked: answer yes")
    if data.alternative_diagnosis == "yes" and not data.alternative_diagnosis_detail:
        errors["alternative_diagnosis_detail"] = N_("name the alternative diagnosis")
    if data.excipient_allergy == "yes" and not data.excipient_allergy_detail:
        errors["excipient_allergy_detail"] = N_("name the excipient (DMSO, bovine, porcine, ...)")
    if errors:
        raise InvalidInput(errors)


def record_findings(
    session: Session, actor: Actor, patient_id: int, data: FindingsIn
) -> FindingsOut:
    """A new findings record; the newest counts. Records are never edited."""
    require_role(actor, CLINICAL_ROLES)
    # Locks the patient to the end of the transaction: two assessments recorded at the
    # same moment cannot both supersede the same one.
    patient = patients_service.get_for_update(session, actor, patient_id)
    _check_findings(patient, data)
    previous = newest_findings(session, patient_id)
    row = ScreeningFindings(
        patient_id=patient_id,
        supersedes_id=previous.id if previous else None,
        **records.stamp(actor),
        **data.model_dump(),
    )
    return records.store(
        session,
        actor,
        row,
        entity_type="screening_findings",
        out=FindingsOut,
        audit_after=lambda _out: {
            "patient_id": patient_id,
            "supersedes_id": row.supersedes_id,
            **data.model_dump(),
        },
    )


def list_findings(session: Session, actor: Actor, patient_id: int) -> list[FindingsOut]:
    require_role(actor, READ_ROLES)
    patients_service.get_visible(session, actor, patient_id)
    order = (ScreeningFindings.assessed_on.desc(), ScreeningFindings.id.desc())
    rows = rows_of_patient(session, ScreeningFindings, patient_id, *order)
    return [FindingsOut.model_validate(r) for r in rows]


def findings_form_values(session: Session, actor: Actor, patient_id: int) -> dict[str, Any]:
    """The newest findings as form values (a new assessment starts from them)."""
    require_role(actor, CLINICAL_ROLES)
    row = newest_findings(session, patient_id)
    values: dict[str, Any] = {name: "unknown" for name in TRI_FIELDS}
    if row is not None:
        for name in FindingsIn.model_fields:
            value = getattr(row, name)
            values[name] = "" if value is None else value
    values["assessed_on"] = clinic_today().isoformat()
    return values
