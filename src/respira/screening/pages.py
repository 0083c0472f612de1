"""HTML pages of screening: the section on the patient's page, the findings form and
history, running a screening, the screening page with its sign form, and the criteria
sets (list, view, edited copy, activate)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, see_other, uses
from respira.kit.web.templating import patient_banner
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut
from respira.screening import engine, service
from respira.screening.schemas import CriteriaSetIn, FindingsIn, NoteIn, ScreeningOut, SignIn

router = APIRouter(include_in_schema=False)

READ = uses(PageAccess(*service.READ_ROLES))
CLINICAL = uses(PageAccess(*service.CLINICAL_ROLES))
CLINICAL_POST = posts(PageAccess(*service.CLINICAL_ROLES))
CRITERIA_READ = uses(PageAccess(*service.CRITERIA_READ_ROLES))
CRITERIA_ADMIN = uses(PageAccess(*service.CRITERIA_ADMIN_ROLES))
CRITERIA_ADMIN_POST = posts(PageAccess(*service.CRITERIA_ADMIN_ROLES))


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
    call: Call, patient: PatientOut, form: dict[str, Any], refused: Refused | None = None
) -> Response:
    return call.render_form(
        "screening/findings_form.html",
        {**patient_banner(patient), "form": form, "groups": FINDINGS_GROUPS},
        refused,
    )


@router.get("/patients/{patient_id}/screening/findings")
def findings_history(patient_id: int, call: Call = READ) -> Response:
    patient = patients_service.get_patient(call.session, call.actor, patient_id)
    return call.render(
        "screening/findings_list.html",
        {
            **patient_banner(patient),
            "records": service.list_findings(call.session, call.actor, patient_id),
            "groups": FINDINGS_GROUPS,
            "can_record": call.actor.role in service.CLINICAL_ROLES,
        },
    )


@router.get("/patients/{patient_id}/screening/findings/new")
def findings_form(patient_id: int, call: Call = CLINICAL) -> Response:
    patient = patients_service.get_patient(call.session, call.actor, patient_id)
    return _findings_form(
        call, patient, service.findings_form_values(call.session, call.actor, patient_id)
    )


@router.post("/patients/{patient_id}/screening/findings")
def record_findings(patient_id: int, post: Post = CLINICAL_POST) -> Response:
    patient = patients_service.get_patient(post.session, post.actor, patient_id)
    fields = {k: v for k, v in post.data.items() if k in FindingsIn.model_fields}
    outcome = post.submit(
        FindingsIn, fields, service.record_findings, patient_id, refusals=(InvalidInput,)
    )
    return post.answer(
        outcome,
        lambda refused: _findings_form(post, patient, post.data, refused),
        f"/patients/{patient_id}?findings=1#screening",
    )


# --- screenings ------------------------------------------------------------------------


@router.post("/patients/{patient_id}/screenings")
def run_screening(patient_id: int, post: Post = CLINICAL_POST) -> Response:
    note = post.data.get("note", "").strip()[:500] or None
    out = service.evaluate_screening(post.session, post.actor, patient_id, note=note)
    return see_other(f"/screenings/{out.id}")


def _grouped(screening: ScreeningOut) -> list[tuple[str, str, list[Any]]]:
    return [
        (kind, title, [c for c in screening.criteria if c.kind == kind])
        for kind, title in KIND_TITLES.items()
        if any(c.kind == kind for c in screening.criteria)
    ]


SCREENING_FLASH = {
    "signed": "Signature stored. This decision can no longer change.",
    "noted": "Note saved.",
}


def _screening_page(
    call: Call,
    screening_id: int,
    *,
    sign_errors: dict[str, str] | None = None,
    sign_form: dict[str, str] | None = None,
    note_errors: dict[str, str] | None = None,
    note_form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    screening = service.get_screening(call.session, call.actor, screening_id)
    patient = patients_service.get_patient(call.session, call.actor, screening.patient_id)
    newest = screening.superseded_by_id is None
    is_physician = call.actor.role in service.SIGN_ROLES
    return call.render(
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
            "flash": call.flash(SCREENING_FLASH),
        },
        status_code,
    )


@router.get("/screenings/{screening_id}")
def screening_page(screening_id: int, call: Call = READ) -> Response:
    return _screening_page(call, screening_id)


@router.post("/screenings/{screening_id}/sign")
def sign_screening(
    screening_id: int, post: Post = posts(PageAccess(*service.SIGN_ROLES))
) -> Response:
    kept = {"meaning": post.data.get("meaning", "")}
    outcome = post.sign(SignIn, service.sign_screening, screening_id)
    return post.answer(
        outcome,
        lambda refused: _screening_page(
            post,
            screening_id,
            sign_errors=refused.errors,
            sign_form=None if refused.stale else kept,
            status_code=refused.status_code,
        ),
        f"/screenings/{screening_id}?signed=1",
    )


@router.post("/screenings/{screening_id}/note")
def update_note(screening_id: int, post: Post = CLINICAL_POST) -> Response:
    form = {"physician_note": post.data.get("physician_note", "")}
    version_text = post.data.get("version", "")
    version = int(version_text) if version_text.isdigit() else None
    outcome = post.submit(
        NoteIn,
        form,
        lambda session, actor, body: service.update_note(
            session, actor, screening_id, body, version
        ),
    )
    return post.answer(
        outcome,
        lambda refused: _screening_page(
            post,
            screening_id,
            note_errors=refused.errors,
            note_form=form,
            status_code=refused.status_code,
        ),
        f"/screenings/{screening_id}?noted=1",
    )


# --- criteria sets ------------------------------------------------------------------------


@router.get("/screening/criteria")
def criteria_sets(call: Call = CRITERIA_READ) -> Response:
    sets = service.list_criteria_sets(call.session, call.actor)
    shipped = service.shipped_default_version()
    return call.render(
        "screening/criteria_list.html",
        {
            "sets": sets,
            "shipped": shipped,
            "shipped_installed": any(s.version == shipped for s in sets),
            "can_admin": call.actor.role in service.CRITERIA_ADMIN_ROLES,
            "flash": call.flash({"activated": "Criteria set activated."}),
        },
    )


def _criteria_form(
    call: Call, form: dict[str, Any], based_on: Any | None, refused: Refused | None = None
) -> Response:
    toml_error = refused.errors.get("toml") if refused else None
    return call.render_form(
        "screening/criteria_form.html",
        {
            "form": form,
            "problems": toml_error.split("\n") if toml_error else [],
            "based_on": based_on,
            "facts": engine.FACTS,
            "operators": engine.OPERATORS,
        },
        refused,
    )


@router.get("/screening/criteria/new")
def new_criteria_set(
    from_id: int | None = Query(default=None, alias="from", ge=1), call: Call = CRITERIA_ADMIN
) -> Response:
    text, based_on_id = service.copy_text(call.session, call.actor, from_id)
    based_on = (
        service.get_criteria_set(call.session, call.actor, based_on_id) if based_on_id else None
    )
    form = {"toml": text, "based_on_id": based_on_id or "", "activate": ""}
    return _criteria_form(call, form, based_on)


@router.post("/screening/criteria")
def create_criteria_set(post: Post = CRITERIA_ADMIN_POST) -> Response:
    based_text = post.data.get("based_on_id", "").strip()
    form = {
        "toml": post.data.get("toml", ""),
        "based_on_id": based_text,
        "activate": post.data.get("activate", ""),
    }
    based_on = None
    if based_text.isdigit():
        try:
            based_on = service.get_criteria_set(post.session, post.actor, int(based_text))
        except NotFound:
            based_on = None
    outcome = post.submit(
        CriteriaSetIn,
        {
            "toml": form["toml"],
            "based_on_id": based_text or None,
            "activate": form["activate"] == "yes",
        },
        service.create_criteria_set,
        refusals=(InvalidInput, Conflict),
        message_field={Conflict: "toml"},
    )
    return post.answer(
        outcome,
        lambda refused: _criteria_form(post, form, based_on, refused),
        lambda created: f"/screening/criteria/{created.id}?created=1",
    )


@router.get("/screening/criteria/{set_id}")
def criteria_set_page(set_id: int, call: Call = CRITERIA_READ) -> Response:
    return call.render(
        "screening/criteria_set.html",
        {
            "set": service.get_criteria_set(call.session, call.actor, set_id),
            "kinds": KIND_TITLES,
            "can_admin": call.actor.role in service.CRITERIA_ADMIN_ROLES,
            "flash": call.flash({"created": "Criteria set stored."}),
        },
    )


@router.post("/screening/criteria/{set_id}/activate")
def activate_criteria_set(set_id: int, call: Call = CRITERIA_ADMIN) -> Response:
    service.activate_criteria_set(call.session, call.actor, set_id)
    return see_other("/screening/criteria?activated=1")
