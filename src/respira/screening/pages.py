"""HTML pages of screening: the section on the patient's page, the findings form and
history, running a screening, the screening page with its sign form, and the criteria
sets (list, view, edited copy, activate)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from respira.kit.web.deps import PageAccess, get_db
from respira.kit.web.forms import Refused, posted_form, submit
from respira.kit.web.templating import patient_banner, render
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut
from respira.screening import engine, service
from respira.screening.schemas import CriteriaSetIn, FindingsIn, NoteIn, ScreeningOut, SignIn

router = APIRouter(include_in_schema=False)


KIND_TITLES = {
    "exclusion": "Exclusion criteria",
    "inclusion": "Inclusion criteria",
    "suitability": "Suitability",
}
DECISION_TEXT = {
    "eligible": "Eligible",
    "not_eligible": "Not eligible",
    "needs_review": "Needs review",
}

# Labels of the findings form, in its order, grouped as a physician examines.
FINDINGS_GROUPS: list[tuple[str, list[tuple[str, str, str | None]]]] = [
    (
        "Infection",
        [
            ("pneumonia", "Pneumonia", None),
            ("active_tuberculosis", "Active tuberculosis", None),
            ("other_active_infection", "Other active bacterial, viral or fungal infection", None),
            ("respiratory_infection_4w", "Respiratory infection in the last 4 weeks", None),
        ],
    ),
    (
        "Heart, kidneys, liver",
        [
            (
                "unstable_cardiac_disease",
                "Unstable cardiac disease",
                "unstable angina or MI within 6 months, uncontrolled arrhythmia, "
                "significant pulmonary hypertension",
            ),
            ("dialysis", "On dialysis", None),
            (
                "hepatic_impairment",
                "Hepatic impairment",
                "Child-Pugh B–C, or ALT/AST >3× ULN, or bilirubin >2× ULN",
            ),
        ],
    ),
    (
        "Pregnancy",
        [
            ("pregnant", "Pregnant", None),
            ("lactating", "Lactating", None),
        ],
    ),
    (
        "Other conditions and treatments",
        [
            (
                "malignancy_active_or_within_5y",
                "Malignancy, active or within 5 years",
                "except treated non-melanoma skin cancer or cervical carcinoma in situ",
            ),
            (
                "alternative_diagnosis",
                "Alternative or confounding diagnosis",
                "primary COPD, EGPA, ABPA, hypereosinophilic syndrome, vocal cord "
                "dysfunction, bronchiectasis, cystic fibrosis, ILD",
            ),
            (
                "immunosuppressant_30d",
                "Systemic immunosuppressant in the last 30 days",
                "other than corticosteroids; or within 5 half-lives",
            ),
            ("investigational_product_30d", "Investigational product in the last 30 days", None),
            (
                "excipient_allergy",
                "Allergy to a product excipient",
                "DMSO, bovine or porcine proteins, dextran, heparin",
            ),
            (
                "thrombosis_risk",
                "Thrombosis risk factor",
                "prior VTE, thrombophilia, anticoagulation",
            ),
            ("current_smoker", "Current smoker", "pack-years are kept in the patient record"),
        ],
    ),
    (
        "Asthma and general health",
        [
            (
                "airflow_variability_documented",
                "Variable airflow limitation documented otherwise",
                "positive bronchial challenge, or ≥2 documented FEV1/PEF variability "
                "episodes (a bronchodilator response comes from diagnostics)",
            ),
            (
                "stable_general_health",
                "Stable general health apart from asthma",
                "your clinical judgement",
            ),
        ],
    ),
    (
        "Consent",
        [
            ("informed_consent", "Written informed consent given", None),
            ("decision_capacity", "Capacity to consent", None),
        ],
    ),
]
assert sorted(n for _, items in FINDINGS_GROUPS for n, _, _ in items) == sorted(service.TRI_FIELDS)


# --- the patient's page ------------------------------------------------------------------


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    if actor.role not in service.STATUS_ROLES:
        return None
    summary = service.patient_summary(session, actor, patient.id)
    return {
        **summary,
        "patient_id": patient.id,
        "detail": actor.role in service.READ_ROLES,
        "can_record": actor.role in service.CLINICAL_ROLES,
        "decision_text": DECISION_TEXT,
    }


# --- findings ----------------------------------------------------------------------------


def _findings_form(
    request: Request,
    patient: PatientOut,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "screening/findings_form.html",
        {
            **patient_banner(patient),
            "form": form,
            "errors": errors,
            "groups": FINDINGS_GROUPS,
        },
        status_code,
    )


@router.get("/patients/{patient_id}/screening/findings")
def findings_history(
    request: Request,
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.READ_ROLES)),
) -> Response:
    patient = patients_service.get_patient(session, actor, patient_id)
    records = service.list_findings(session, actor, patient_id)
    return render(
        request,
        "screening/findings_list.html",
        {
            **patient_banner(patient),
            "records": records,
            "groups": FINDINGS_GROUPS,
            "can_record": actor.role in service.CLINICAL_ROLES,
        },
    )


@router.get("/patients/{patient_id}/screening/findings/new")
def findings_form(
    request: Request,
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.CLINICAL_ROLES)),
) -> Response:
    patient = patients_service.get_patient(session, actor, patient_id)
    return _findings_form(
        request, patient, service.findings_form_values(session, actor, patient_id), {}
    )


@router.post("/patients/{patient_id}/screening/findings")
def record_findings(
    request: Request,
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.CLINICAL_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    patient = patients_service.get_patient(session, actor, patient_id)
    fields = {k: v for k, v in data.items() if k in FindingsIn.model_fields}
    outcome = submit(
        session,
        FindingsIn,
        fields,
        lambda body: service.record_findings(session, actor, patient_id, body),
        refusals=(InvalidInput,),
    )
    if isinstance(outcome, Refused):
        return _findings_form(request, patient, data, outcome.errors, outcome.status_code)
    return RedirectResponse(f"/patients/{patient_id}?findings=1#screening", status_code=303)


# --- screenings ------------------------------------------------------------------------


@router.post("/patients/{patient_id}/screenings")
def run_screening(
    patient_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.CLINICAL_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    note = data.get("note", "").strip()[:500] or None
    out = service.evaluate_screening(session, actor, patient_id, note=note)
    return RedirectResponse(f"/screenings/{out.id}", status_code=303)


def _grouped(screening: ScreeningOut) -> list[tuple[str, str, list[Any]]]:
    return [
        (kind, title, [c for c in screening.criteria if c.kind == kind])
        for kind, title in KIND_TITLES.items()
        if any(c.kind == kind for c in screening.criteria)
    ]


def _screening_page(
    request: Request,
    session: Session,
    actor: Actor,
    screening_id: int,
    *,
    sign_errors: dict[str, str] | None = None,
    sign_form: dict[str, str] | None = None,
    note_errors: dict[str, str] | None = None,
    note_form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    screening = service.get_screening(session, actor, screening_id)
    patient = patients_service.get_patient(session, actor, screening.patient_id)
    newest = screening.superseded_by_id is None
    is_physician = actor.role in service.SIGN_ROLES
    flash = None
    if request.query_params.get("signed"):
        flash = "Signature stored. This decision can no longer change."
    elif request.query_params.get("noted"):
        flash = "Note saved."
    return render(
        request,
        "screening/screening.html",
        {
            **patient_banner(patient),
            "screening": screening,
            "groups": _grouped(screening),
            "decision_text": DECISION_TEXT,
            "meanings": service.MEANINGS,
            "can_sign": is_physician and not screening.signed and newest,
            "can_note": is_physician and not screening.signed and newest,
            "sign_errors": sign_errors or {},
            "sign_form": sign_form or {},
            "note_errors": note_errors or {},
            "note_form": note_form
            if note_form is not None
            else {"physician_note": screening.physician_note or ""},
            "flash": flash,
        },
        status_code,
    )


@router.get("/screenings/{screening_id}")
def screening_page(
    request: Request,
    screening_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.READ_ROLES)),
) -> Response:
    return _screening_page(request, session, actor, screening_id)


@router.post("/screenings/{screening_id}/sign")
def sign_screening(
    request: Request,
    screening_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.SIGN_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    kept = {"meaning": data.get("meaning", "")}
    outcome = submit(
        session,
        SignIn,
        {"password": data.get("password", ""), "meaning": data.get("meaning", "")},
        lambda body: service.sign_screening(
            session, actor, screening_id, password=body.password, meaning=body.meaning
        ),
        refusals=(InvalidInput, Forbidden, Conflict),
        message_field={Forbidden: "password"},
    )
    if isinstance(outcome, Refused):
        return _screening_page(
            request,
            session,
            actor,
            screening_id,
            sign_errors=outcome.errors,
            sign_form=None if outcome.stale else kept,
            status_code=outcome.status_code,
        )
    return RedirectResponse(f"/screenings/{screening_id}?signed=1", status_code=303)


@router.post("/screenings/{screening_id}/note")
def update_note(
    request: Request,
    screening_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.CLINICAL_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    form = {"physician_note": data.get("physician_note", "")}
    version_text = data.get("version", "")
    version = int(version_text) if version_text.isdigit() else None
    outcome = submit(
        session,
        NoteIn,
        form,
        lambda body: service.update_note(session, actor, screening_id, body, version),
    )
    if isinstance(outcome, Refused):
        return _screening_page(
            request,
            session,
            actor,
            screening_id,
            note_errors=outcome.errors,
            note_form=form,
            status_code=outcome.status_code,
        )
    return RedirectResponse(f"/screenings/{screening_id}?noted=1", status_code=303)


# --- criteria sets ------------------------------------------------------------------------


@router.get("/screening/criteria")
def criteria_sets(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.CRITERIA_READ_ROLES)),
) -> Response:
    sets = service.list_criteria_sets(session, actor)
    shipped = service.shipped_default_version()
    return render(
        request,
        "screening/criteria_list.html",
        {
            "sets": sets,
            "shipped": shipped,
            "shipped_installed": any(s.version == shipped for s in sets),
            "can_admin": actor.role in service.CRITERIA_ADMIN_ROLES,
            "flash": "Criteria set activated." if request.query_params.get("activated") else None,
        },
    )


def _criteria_form(
    request: Request,
    form: dict[str, Any],
    errors: dict[str, str],
    based_on: Any | None,
    status_code: int = 200,
) -> Response:
    problems = errors.get("toml", "").split("\n") if errors.get("toml") else []
    return render(
        request,
        "screening/criteria_form.html",
        {
            "form": form,
            "errors": errors,
            "problems": problems,
            "based_on": based_on,
            "facts": engine.FACTS,
            "operators": engine.OPERATORS,
        },
        status_code,
    )


@router.get("/screening/criteria/new")
def new_criteria_set(
    request: Request,
    from_id: int | None = Query(default=None, alias="from", ge=1),
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.CRITERIA_ADMIN_ROLES)),
) -> Response:
    text, based_on_id = service.copy_text(session, actor, from_id)
    based_on = service.get_criteria_set(session, actor, based_on_id) if based_on_id else None
    form = {"toml": text, "based_on_id": based_on_id or "", "activate": ""}
    return _criteria_form(request, form, {}, based_on)


@router.post("/screening/criteria")
def create_criteria_set(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.CRITERIA_ADMIN_ROLES)),
    data: dict[str, str] = Depends(posted_form),
) -> Response:
    based_text = data.get("based_on_id", "").strip()
    form = {
        "toml": data.get("toml", ""),
        "based_on_id": based_text,
        "activate": data.get("activate", ""),
    }
    based_on = None
    if based_text.isdigit():
        try:
            based_on = service.get_criteria_set(session, actor, int(based_text))
        except NotFound:
            based_on = None
    outcome = submit(
        session,
        CriteriaSetIn,
        {
            "toml": form["toml"],
            "based_on_id": based_text or None,
            "activate": form["activate"] == "yes",
        },
        lambda body: service.create_criteria_set(session, actor, body),
        refusals=(InvalidInput, Conflict),
        message_field={Conflict: "toml"},
    )
    if isinstance(outcome, Refused):
        return _criteria_form(request, form, outcome.errors, based_on, outcome.status_code)
    return RedirectResponse(f"/screening/criteria/{outcome.id}?created=1", status_code=303)


@router.get("/screening/criteria/{set_id}")
def criteria_set_page(
    request: Request,
    set_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.CRITERIA_READ_ROLES)),
) -> Response:
    found = service.get_criteria_set(session, actor, set_id)
    return render(
        request,
        "screening/criteria_set.html",
        {
            "set": found,
            "kinds": KIND_TITLES,
            "can_admin": actor.role in service.CRITERIA_ADMIN_ROLES,
            "flash": "Criteria set stored." if request.query_params.get("created") else None,
        },
    )


@router.post("/screening/criteria/{set_id}/activate")
def activate_criteria_set(
    set_id: int,
    session: Session = Depends(get_db),
    actor: Actor = Depends(PageAccess(*service.CRITERIA_ADMIN_ROLES)),
) -> Response:
    service.activate_criteria_set(session, actor, set_id)
    return RedirectResponse("/screening/criteria?activated=1", status_code=303)
