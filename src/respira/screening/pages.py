"""HTML pages of screening: the section on the patient's page, the findings form and
history, running a screening, the screening page with its sign form, and the criteria
sets (list, view, edited copy, activate)."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.clinic_time import clinic_today
from respira.kit.errors import Conflict, InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, see_other, uses
from respira.kit.web.templating import gettext_for, patient_banner, request_lang
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut
from respira.screening import criteria_editor as editor
from respira.screening import engine, service, wording
from respira.screening.catalogue import KIND_WORDS
from respira.screening.schemas import CriteriaSetIn, FindingsIn, NoteIn, ScreeningOut, SignIn

router = APIRouter(include_in_schema=False)

READ = uses(PageAccess(*service.READ_ROLES))
CLINICAL = uses(PageAccess(*service.CLINICAL_ROLES))
CLINICAL_POST = posts(PageAccess(*service.CLINICAL_ROLES))
CRITERIA_READ = uses(PageAccess(*service.CRITERIA_READ_ROLES))
CRITERIA_ADMIN = uses(PageAccess(*service.CRITERIA_ADMIN_ROLES))
CRITERIA_ADMIN_POST = posts(PageAccess(*service.CRITERIA_ADMIN_ROLES))


KIND_TITLES = {
    "exclusion": N_("Exclusion criteria"),
    "inclusion": N_("Inclusion criteria"),
    "suitability": N_("Suitability"),
}
DECISION_TEXT = {
    "eligible": N_("Eligible"),
    "not_eligible": N_("Not eligible"),
    "needs_review": N_("Needs review"),
}

# Labels of the findings form, in its order, grouped as a physician examines.
FINDINGS_GROUPS: list[tuple[str, list[tuple[str, str, str | None]]]] = [
    (
        N_("Infection"),
        [
            ("pneumonia", N_("Pneumonia"), None),
            ("active_tuberculosis", N_("Active tuberculosis"), None),
            (
                "other_active_infection",
                N_("Other active bacterial, viral or fungal infection"),
                None,
            ),
            ("respiratory_infection_4w", N_("Respiratory infection in the last 4 weeks"), None),
        ],
    ),
    (
        N_("Asthma in the last 4 weeks"),
        [
            (
                "exacerbation_or_scs_4w",
                N_("Severe exacerbation or systemic corticosteroid course in the last 4 weeks"),
                N_(
                    "any course of oral or injected corticosteroids, for asthma or another reason; "
                    "asked on the screening date, and again on the infusion day"
                ),
            ),
        ],
    ),
    (
        N_("Heart, kidneys, liver"),
        [
            (
                "unstable_cardiac_disease",
                N_("Unstable cardiac disease"),
                N_(
                    "unstable angina or MI within 6 months, uncontrolled arrhythmia, "
                    "significant pulmonary hypertension"
                ),
            ),
            ("dialysis", N_("On dialysis"), None),
            (
                "hepatic_impairment",
                N_("Hepatic impairment"),
                N_("Child-Pugh B–C, or ALT/AST >3× ULN, or bilirubin >2× ULN"),
            ),
        ],
    ),
    (
        N_("Pregnancy"),
        [
            ("pregnant", N_("Pregnant"), None),
            ("lactating", N_("Lactating"), None),
        ],
    ),
    (
        N_("Other conditions and treatments"),
        [
            (
                "malignancy_active_or_within_5y",
                N_("Malignancy, active or within 5 years"),
                N_("except treated non-melanoma skin cancer or cervical carcinoma in situ"),
            ),
            (
                "alternative_diagnosis",
                N_("Alternative or confounding diagnosis"),
                N_(
                    "primary COPD, EGPA, ABPA, hypereosinophilic syndrome, vocal cord "
                    "dysfunction, bronchiectasis, cystic fibrosis, ILD"
                ),
            ),
            (
                "immunosuppressant_30d",
                N_("Systemic immunosuppressant in the last 30 days"),
                N_("other than corticosteroids; or within 5 half-lives"),
            ),
            (
                "investigational_product_30d",
                N_("Investigational product in the last 30 days"),
                None,
            ),
            (
                "excipient_allergy",
                N_("Allergy to a product excipient"),
                N_("DMSO, bovine or porcine proteins, dextran, heparin"),
            ),
            (
                "thrombosis_risk",
                N_("Thrombosis risk factor"),
                N_("prior VTE, thrombophilia, anticoagulation"),
            ),
        ],
    ),
    (
        N_("Smoking"),
        [
            (
                "current_smoker",
                N_("Current smoker"),
                N_("pack-years are kept in the patient record"),
            ),
            ("ever_smoked", N_("Ever smoked"), N_("“no” means never smoked (no quit date)")),
            ("vaping", N_("Currently vaping (e-cigarettes)"), None),
        ],
    ),
    (
        N_("Asthma and general health"),
        [
            (
                "airflow_variability_documented",
                N_("Variable airflow limitation documented otherwise"),
                N_(
                    "positive bronchial challenge, or ≥2 documented FEV1/PEF variability "
                    "episodes (a bronchodilator response comes from diagnostics)"
                ),
            ),
            (
                "stable_general_health",
                N_("Stable general health apart from asthma"),
                N_("your clinical judgement"),
            ),
        ],
    ),
    (
        N_("Consent"),
        [
            ("informed_consent", N_("Written informed consent given"), None),
            ("decision_capacity", N_("Capacity to consent"), None),
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
    "signed": N_("Signature stored. This decision can no longer change."),
    "noted": N_("Note saved."),
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
    gettext = gettext_for(call.request)
    return call.render(
        "screening/screening.html",
        {
            **patient_banner(patient),
            "screening": screening,
            "lines": wording.evidence_lines(call.session, screening, gettext),
            "reasons": wording.reasons(screening, gettext),
            "state_words": wording.STATE_WORDS,
            "groups": _grouped(screening),
            "decision_text": DECISION_TEXT,
            "meanings": service.MEANINGS,
            "can_sign": is_physician and not screening.signed and newest,
            "can_note": is_physician and not screening.signed and newest,
            "can_rescreen": call.actor.role in service.CLINICAL_ROLES and newest,
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
    screening_id: int, post: Post = posts(PageAccess(*service.SIGN_ROLES), signature="password")
) -> Response:
    kept = {"meaning": post.data.get("meaning", "")}
    shown = post.data.get("version", "")
    # The signature binds to the version the page showed (a stale page is refused, 409).
    sign_as_shown = partial(
        service.sign_screening, expected_version=int(shown) if shown.isdigit() else None
    )
    outcome = post.sign(SignIn, sign_as_shown, screening_id)
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


CRITERIA_FLASH = {
    "activated": N_("Criteria set activated."),
    "created": N_("Criteria set stored."),
}


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
            "flash": call.flash(CRITERIA_FLASH),
        },
    )


def _criteria_form(
    call: Call,
    form: dict[str, Any],
    based_on: Any | None,
    refused: Refused | None = None,
    preview: editor.Preview | None = None,
) -> Response:
    toml_error = refused.errors.get("toml") if refused else None
    # A problem of the form (a Msg: "This is required") is translated where it is shown;
    # the loader's problems of the text come one a line.
    problems = [toml_error] if isinstance(toml_error, Msg) else (toml_error or "").splitlines()
    return call.render_form(
        "screening/criteria_form.html",
        {
            "form": form,
            "problems": problems,
            "kind_words": KIND_WORDS,
            "based_on": based_on,
            "facts": engine.FACTS,
            "operators": engine.OPERATORS,
            "preview": preview,
            "decision_words": editor.DECISION_WORDS,
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


def _based_on(call: Call, based_text: str) -> Any | None:
    if not based_text.isdigit():
        return None
    try:
        return service.get_criteria_set(call.session, call.actor, int(based_text))
    except NotFound:
        return None


@router.post("/screening/criteria")
def create_criteria_set(post: Post = CRITERIA_ADMIN_POST) -> Response:
    based_text = post.data.get("based_on_id", "").strip()
    form = {
        "toml": post.data.get("toml", ""),
        "based_on_id": based_text,
        "activate": post.data.get("activate", ""),
    }
    based_on = _based_on(post, based_text)
    if post.data.get("action") == "preview":
        # The effect of the text on the current patients; nothing is stored.
        checked = post.attempt(lambda: service.parse_criteria(form["toml"].replace("\r\n", "\n")))
        if isinstance(checked, Refused):
            return _criteria_form(post, form, based_on, checked)
        return _criteria_form(
            post, form, based_on, preview=editor.preview(post.session, checked, clinic_today())
        )
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


# --- the structured editor of a criteria set (criteria_editor.html) ---------------------


@router.get("/screening/criteria/edit")
def edit_criteria_set(
    from_id: int | None = Query(default=None, alias="from", ge=1), call: Call = CRITERIA_ADMIN
) -> Response:
    text, based_on_id = service.copy_text(call.session, call.actor, from_id)
    draft = service.parse_criteria(text)
    state = {
        "version": draft.version,
        "title": draft.title,
        "description": draft.description,
        "based_on_id": str(based_on_id or ""),
        "activate": "",
    }
    return _editor(call, draft, state)


@router.post("/screening/criteria/edit")
def criteria_editor_step(post: Post = CRITERIA_ADMIN_POST) -> Response:
    """One step of the structured editor: open, apply or remove a criterion, add a
    condition row, preview the effect, open the draft as TOML, or store it. The draft
    travels in the form (``draft``: its TOML text, checked again at every step)."""
    state = {k: post.data.get(k, "").strip() for k in editor.STATE_FIELDS}
    try:
        draft = service.parse_criteria(post.data.get("draft", "").replace("\r\n", "\n"))
    except InvalidInput:
        return post.render("screening/criteria_editor.html", {"lost": True}, 422)
    action, _, arg = post.data.get("action", "").partition(":")
    index = int(arg) if arg.isdigit() else None
    if action == "edit" and index is not None and index < len(draft.criteria):
        return _criterion_page(
            post, draft, state, index, editor.criterion_form(draft.criteria[index])
        )
    if action == "add":
        return _criterion_page(post, draft, state, len(draft.criteria), editor.criterion_form(None))
    editing = post.data.get("editing", "")
    if action in ("add_row", "apply") and editing.isdigit():
        return _apply(post, draft, state, int(editing), add_row=action == "add_row")
    if action == "remove" and index is not None and index < len(draft.criteria):
        if len(draft.criteria) == 1:
            one = editor.problem("__all__", N_("A set needs at least one criterion."))
            return _editor(post, draft, state, errors={"__all__": one}, status_code=422)
        return _editor(
            post,
            editor.with_criterion(draft, index, None),
            state,
            notice=N_("Criterion removed from the draft."),
        )
    if action == "preview":
        return _editor(
            post, draft, state, preview=editor.preview(post.session, draft, clinic_today())
        )
    if action in ("expert", "save"):
        header = editor.header_problems(state["version"], state["title"], state["description"])
        if header:
            return _editor(post, draft, state, errors=header, status_code=422)
        text = editor.to_toml(editor.with_header(draft, state))
        if action == "expert":
            form = {
                "toml": text,
                "based_on_id": state["based_on_id"],
                "activate": state["activate"],
            }
            return _criteria_form(post, form, _based_on(post, state["based_on_id"]))
        return _save(post, draft, state, text)
    return _editor(post, draft, state)


def _save(post: Post, draft: engine.CriteriaSet, state: dict[str, str], text: str) -> Response:
    outcome = post.submit(
        CriteriaSetIn,
        {
            "toml": text,
            "based_on_id": state["based_on_id"] or None,
            "activate": state["activate"] == "yes",
        },
        service.create_criteria_set,
        refusals=(InvalidInput, Conflict),
        message_field={Conflict: "version"},
    )
    return post.answer(
        outcome,
        lambda refused: _editor(
            post, draft, state, errors=refused.errors, status_code=refused.status_code
        ),
        lambda created: f"/screening/criteria/{created.id}?created=1",
    )


def _apply(
    post: Post, draft: engine.CriteriaSet, state: dict[str, str], index: int, *, add_row: bool
) -> Response:
    form = {k: v for k, v in post.data.items() if k.startswith(("c_", "r"))}
    if add_row:
        form["c_rows"] = str(min(editor.MAX_ROWS, editor.row_count(form) + 1))
        return _criterion_page(post, draft, state, index, form)
    existing = draft.criteria[index] if index < len(draft.criteria) else None
    criterion, errors = editor.criterion_from_form(
        form,
        taken_ids=[c.id for i, c in enumerate(draft.criteria) if i != index],
        kept_rule=existing.rule if existing else None,
        gettext=editor.gettext_of(request_lang(post.request)),
    )
    if criterion is None:
        return _criterion_page(post, draft, state, index, form, errors=errors, status_code=422)
    return _editor(
        post,
        editor.with_criterion(draft, index, criterion),
        state,
        notice=N_("The criterion is changed in the draft; store the set to keep it."),
    )


def _editor(
    call: Call,
    draft: engine.CriteriaSet,
    state: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    preview: editor.Preview | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    return call.render(
        "screening/criteria_editor.html",
        {
            "state": state,
            "draft": editor.to_toml(draft),
            "rules": editor.readable_set(draft, request_lang(call.request)),
            "errors": errors or {},
            "preview": preview,
            "decision_words": editor.DECISION_WORDS,
            "notice": notice,
            "editing": None,
        },
        status_code,
    )


def _criterion_page(
    call: Call,
    draft: engine.CriteriaSet,
    state: dict[str, str],
    index: int,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    existing = draft.criteria[index] if index < len(draft.criteria) else None
    lang = request_lang(call.request)
    return call.render(
        "screening/criteria_editor.html",
        {
            "state": state,
            "draft": editor.to_toml(draft),
            "editing": index,
            "is_new": existing is None,
            "kept": editor.readable(existing, lang) if existing and form.get("c_fixed") else None,
            "form": form,
            "rows": editor.row_count(form),
            "errors": errors or {},
            "choices": editor.form_choices(lang),
        },
        status_code,
    )


@router.get("/screening/criteria/{set_id}")
def criteria_set_page(set_id: int, call: Call = CRITERIA_READ) -> Response:
    found = service.get_criteria_set(call.session, call.actor, set_id)
    return call.render(
        "screening/criteria_set.html",
        {
            "set": found,
            "kinds": KIND_TITLES,
            "rules": editor.readable_set(
                service.parse_criteria(found.toml), request_lang(call.request)
            ),
            "can_admin": call.actor.role in service.CRITERIA_ADMIN_ROLES,
            "flash": call.flash(CRITERIA_FLASH),
        },
    )


@router.post("/screening/criteria/{set_id}/activate")
def activate_criteria_set(set_id: int, call: Call = CRITERIA_ADMIN) -> Response:
    service.activate_criteria_set(call.session, call.actor, set_id)
    return see_other("/screening/criteria?activated=1")
