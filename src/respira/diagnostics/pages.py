"""HTML pages of diagnostics: the visits section of the patient's page, the new-visit
form, and the visit page with its results (newest first), the z-score chart and the
forms to add each kind of record.

A form that fails validation re-renders the visit page with status 422, the errors
beside the fields and the values as typed, and that form opened; nothing is stored.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from respira.diagnostics import chart, labels, science_texts, service, web
from respira.diagnostics.schemas import (
    BIOLOGIC_LABELS,
    ETHNICITY_LABELS,
    MODALITY_LABELS,
    QUESTIONNAIRE_BANDS,
    QUESTIONNAIRE_ITEM_LABELS,
    QUESTIONNAIRE_ITEMS,
    RecordKind,
    RetractionIn,
    SpirometryIn,
    VisitIn,
    VisitOut,
)
from respira.kit import i18n, records
from respira.kit.actors import Actor
from respira.kit.errors import InvalidInput
from respira.kit.i18n import SOURCE_LANGUAGE
from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused, parse
from respira.kit.web.routes import Call, Post, posts, see_other, uses
from respira.kit.web.templating import patient_banner, problem_text, request_lang
from respira.patients import service as patients_service
from respira.patients.schemas import PatientOut

router = APIRouter(include_in_schema=False)

READ = uses(PageAccess(*service.READ_ROLES))
WRITE = uses(PageAccess(*service.WRITE_ROLES))
WRITE_POST = posts(PageAccess(*service.WRITE_ROLES))

KINDS: tuple[str, ...] = ("spirometry", "markers", "questionnaires", "history", "imaging")
SENSITISATION_ROWS = 6
# The questionnaires' and the confirmations' words, marked for the catalogues (the
# templates write them with ``_()``).
INSTRUMENT_NAMES = {
    "act": N_("ACT (Asthma Control Test, 12 years and over)"),
    "cact": N_("C-ACT (Childhood ACT, 4–11 years)"),
    "acq5": N_("ACQ-5"),
    "acq6": N_("ACQ-6"),
    "acq7": N_("ACQ-7 (with FEV1 % predicted)"),
    "gina": N_("GINA symptom control"),
}
SHORT_INSTRUMENT = service.SHORT_INSTRUMENT
SAVED = {
    "visit": N_("Visit opened."),
    "spirometry": N_("Spirometry recorded and interpreted."),
    "markers": N_("Markers recorded; phenotype computed."),
    "imaging": N_("Imaging recorded."),
    "questionnaires": N_("Questionnaire scored and recorded."),
    "history": N_("Treatment and exacerbation history recorded."),
    "retracted": N_("Marked as entered in error."),
}
CHART_TITLE = N_("z-scores before and after bronchodilator (%(equations)s)")


def fmt_score(instrument: str, score: float) -> str:
    """ACQ scores are means (two decimals); the others are whole-number totals."""
    return f"{score:.2f}" if instrument.startswith("acq") else f"{score:.0f}"


def words(value: str | None) -> str:
    """``not_well_controlled`` → ``not well controlled`` (labels from the science)."""
    return "—" if value is None else value.replace("_", " ")


# The message ids of the science's codes, for the templates to translate with ``_()``.
LABELS: dict[str, Any] = {
    "pattern_label": labels.pattern_label,
    "phenotype_label": labels.phenotype_label,
    "severity_label": labels.severity_label,
}


def science_text(lang: str) -> Any:
    """How the visit page writes a stored text of the science (a phenotype check, a
    note) in ``lang``: as stored on an English page, translated otherwise
    (``science_texts.read_back``); a value that is not text as it is."""

    def shown(text: Any) -> Any:
        if not isinstance(text, str) or lang == SOURCE_LANGUAGE:
            return text
        return problem_text(science_texts.read_back(text), lang)

    return shown


def science_terms(lang: str) -> Any:
    """How the visit page lists the science's field names ("feno_ppb") in ``lang``: in
    words, "feno ppb" on an English page as before, translated otherwise."""

    def shown(names: list[str]) -> str:
        if lang == SOURCE_LANGUAGE:
            return ", ".join(names).replace("_", " ")
        return ", ".join(problem_text(science_texts.word(name), lang) for name in names)

    return shown


# --- the patient's page section -------------------------------------------------------


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    if actor.role not in service.READ_ROLES:
        return None
    visits = service.list_visits(session, actor, patient.id)
    return {
        "visits": visits.items,
        "can_write": actor.role in service.WRITE_ROLES,
        "patient_id": patient.id,
        "short_instrument": SHORT_INSTRUMENT,
        "words": words,
        "fmt_score": fmt_score,
        **LABELS,
    }


# --- new visit ------------------------------------------------------------------------


def _new_visit_form(
    call: Call, patient_id: int, form: dict[str, Any], refused: Refused | None = None
) -> Response:
    patient = patients_service.get_patient(call.session, call.actor, patient_id)
    return call.render_form(
        "diagnostics/new_visit.html", {**patient_banner(patient), "form": form}, refused
    )


@router.get("/patients/{patient_id}/visits/new")
def new_visit_form(patient_id: int, call: Call = WRITE) -> Response:
    return _new_visit_form(call, patient_id, {})


@router.post("/patients/{patient_id}/visits")
def create_visit(patient_id: int, post: Post = WRITE_POST) -> Response:
    patients_service.get_patient(post.session, post.actor, patient_id)
    outcome = post.submit(VisitIn, post.data, service.create_visit, patient_id)
    return post.answer(
        outcome,
        lambda refused: _new_visit_form(
            post, patient_id, post.data, Refused(refused.errors, 422, False)
        ),
        lambda visit: f"/visits/{visit.id}?saved=visit",
    )


# --- the visit page -------------------------------------------------------------------


def _questionnaire_forms() -> list[dict[str, Any]]:
    forms = []
    for instrument, items in QUESTIONNAIRE_ITEMS.items():
        forms.append(
            {
                "instrument": instrument,
                "name": INSTRUMENT_NAMES[instrument],
                "bands": [words(b) for b in QUESTIONNAIRE_BANDS[instrument]],
                "items": [
                    {
                        "name": f"{instrument}_{n}",
                        "label": item.label,
                        "kind": item.kind,
                        "low": item.low,
                        "high": item.high,
                    }
                    for n, item in enumerate(items, start=1)
                ],
            }
        )
    return forms


def _key_findings(visit: VisitOut) -> dict[str, Any]:
    control = []
    seen: set[str] = set()
    for q in visit.questionnaires:
        if not q.retracted and q.instrument not in seen:
            seen.add(q.instrument)
            control.append(q)
    return {
        "spirometry": records.newest_live(visit.spirometry),
        "markers": records.newest_live(visit.markers),
        "history": records.newest_live(visit.history),
        "imaging": records.newest_live(visit.imaging),
        "control": control,
    }


def _charts(visit: VisitOut, lang: str) -> dict[int, Any]:
    title = problem_text(CHART_TITLE, lang)
    return {
        s.id: chart.zscore_chart(
            chart.rows_from_results(s.results),
            chart_id=f"zchart-{s.id}",
            title=title % {"equations": EQUATION_NAMES[s.equations]},
            lang=lang,
        )
        for s in visit.spirometry
        if s.results  # none without reference values for the age
    }


EQUATION_NAMES = service.EQUATION_NAMES


def _visit_page(
    call: Call,
    visit_id: int,
    *,
    open_form: str | None = None,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    visit = service.get_visit(call.session, call.actor, visit_id)
    patient = patients_service.get_patient(call.session, call.actor, visit.patient_id)
    findings = _key_findings(visit)
    exact_fev1 = _fev1_pctpred(findings)
    height = (
        service.spirometry_height_default(call.session, call.actor, visit.id)
        if call.actor.role in service.WRITE_ROLES and not visit.retracted
        else None
    )
    saved = call.request.query_params.get("saved")
    lang = request_lang(call.request)
    values: dict[str, Any] = {
        "acq7_7": acq7_shown(exact_fev1),
        "equations": "gli-global",
    }
    values.update(form or {})
    return call.render(
        "diagnostics/visit.html",
        {
            **patient_banner(patient),
            "visit": visit,
            "findings": findings,
            "charts": _charts(visit, lang),
            "can_write": call.actor.role in service.WRITE_ROLES and not visit.retracted,
            "open_form": open_form,
            "form": values,
            "errors": errors or {},
            "flash": SAVED.get(saved) if saved else None,
            "questionnaire_forms": _questionnaire_forms(),
            "sensitisation_rows": range(1, SENSITISATION_ROWS + 1),
            "ethnicities": _choices(ETHNICITY_LABELS, lang),
            "modalities": _choices(MODALITY_LABELS, lang),
            "biologics": _choices(BIOLOGIC_LABELS, lang),
            "equation_names": EQUATION_NAMES,
            "modality_names": MODALITY_LABELS,
            "biologic_names": BIOLOGIC_LABELS,
            "instrument_names": SHORT_INSTRUMENT,
            "ethnicity_names": ETHNICITY_LABELS,
            "words": words,
            "fmt_score": fmt_score,
            "fmt_z": lambda z: chart.fmt_z(z, lang),
            **web.numbers(lang),
            "result_rows": RESULT_ROWS,
            "item_labels": QUESTIONNAIRE_ITEM_LABELS,
            "exact_fev1": exact_fev1,
            "height_default": height,
            "height_sources": HEIGHT_SOURCES,
            "sex_names": labels.SEXES,
            "allergy_methods": labels.ALLERGY_METHODS,
            "respondents": labels.RESPONDENTS,
            "modes": labels.MODES,
            "science_text": science_text(lang),
            "science_terms": science_terms(lang),
            **LABELS,
        },
        status_code,
    )


def _choices(labels: dict[str, str], lang: str) -> list[tuple[str, str]]:
    """A select's choices (code, words) with the words in ``lang``."""
    gettext = i18n.translations(lang).gettext
    return [(code, gettext(text)) for code, text in labels.items()]


# How the visit page says where a session's height came from.
HEIGHT_SOURCES = labels.HEIGHT_SOURCES


def _fev1_pctpred(findings: dict[str, Any]) -> float | None:
    """The visit's FEV1 % predicted (newest session that stands), unrounded."""
    spiro = findings["spirometry"]
    if spiro is None or "fev1_pre" not in spiro.results:
        return None
    value: float = spiro.results["fev1_pre"].pctpred
    return value


def acq7_shown(exact: float | None) -> str:
    """ACQ-7's item 7 as the form shows it, pre-filled from the visit's spirometry: one
    decimal. A form sent back with this text unchanged is scored from the exact value
    (``_questionnaire_body``), as the API scores it."""
    return "" if exact is None else f"{exact:.1f}"


RESULT_ROWS: tuple[tuple[str, str, str], ...] = (
    ("fev1", "FEV1", "L"),
    ("fvc", "FVC", "L"),
    ("fev1fvc", "FEV1/FVC", ""),
    ("fef2575", "FEF25-75", "L/s"),
)


@router.get("/visits/{visit_id}")
def visit_page(visit_id: int, call: Call = READ) -> Response:
    return _visit_page(call, visit_id)


# --- recording forms ------------------------------------------------------------------


def _spirometry_body(data: dict[str, str]) -> dict[str, Any]:
    return {k: data.get(k, "") for k in SpirometryIn.model_fields}


def _markers_body(data: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    body: dict[str, Any] = {
        k: data.get(k, "") for k in ("blood_eosinophils_per_ul", "feno_ppb", "total_ige_iu_ml")
    }
    body["on_maintenance_ocs"] = data.get("on_maintenance_ocs") or "no"
    body["on_biologic"] = data.get("on_biologic") or "no"
    body["confirm_low_eosinophils"] = data.get("confirm_low_eosinophils") or "no"
    errors: dict[str, str] = {}
    sensitisations = []
    for i in range(1, SENSITISATION_ROWS + 1):
        allergen = data.get(f"allergen_{i}", "").strip()
        result = data.get(f"allergen_result_{i}", "")
        method = data.get(f"allergen_method_{i}", "")
        if not allergen and not result and not method:
            continue
        if not allergen:
            errors[f"allergen_{i}"] = N_("name the allergen tested")
        elif result not in ("positive", "negative"):
            errors[f"allergen_result_{i}"] = Msg(
                N_("choose positive or negative for %(allergen)s"), allergen=allergen
            )
        else:
            sensitisations.append(
                {"allergen": allergen, "positive": result == "positive", "method": method}
            )
    body["sensitisations"] = sensitisations
    return body, errors


def _questionnaire_body(
    data: dict[str, str], exact_fev1: float | None
) -> tuple[dict[str, Any], dict[str, str]]:
    instrument = data.get("instrument", "")
    items = QUESTIONNAIRE_ITEMS.get(instrument)
    if items is None:
        return {}, {"instrument": N_("choose a questionnaire")}
    answers: list[Any] = []
    errors: dict[str, str] = {}
    for n, item in enumerate(items, start=1):
        name = f"{instrument}_{n}"
        text = data.get(name, "").strip()
        if instrument == "acq7" and item.kind == "percent" and text == acq7_shown(exact_fev1):
            # The pre-filled FEV1 % predicted, unchanged: left out, so that the use case
            # scores item 7 from the spirometry's exact value (95.4 % scores 0, 95 % 1).
            continue
        if not text:
            errors[name] = Msg(N_("answer item %(n)s (%(item)s)"), n=n, item=Msg(item.label))
            continue
        if item.kind == "boolean":
            if text not in ("yes", "no"):
                errors[name] = N_("choose yes or no")
                continue
            answers.append(text == "yes")
            continue
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            errors[name] = Msg(
                N_("enter a number from %(low)s to %(high)s"),
                low=f"{item.low:g}",
                high=f"{item.high:g}",
            )
            continue
        answers.append(int(number) if number.is_integer() else number)
    body = {
        "instrument": instrument,
        "answers": answers,
        "respondent": data.get(f"{instrument}_respondent", ""),
        "mode": data.get(f"{instrument}_mode", ""),
    }
    return body, errors


def _field_errors(kind: str, data: dict[str, str], errors: dict[str, str]) -> dict[str, str]:
    """Move errors onto the form's own field names (questionnaire items, allergy rows)."""
    if kind == "questionnaires":
        instrument = data.get("instrument", "")
        out: dict[str, str] = {}
        for key, msg in errors.items():
            if key.startswith("answers."):
                index = key.split(".", 1)[1].split(".")[0]
                if index.isdigit():
                    out[f"{instrument}_{int(index) + 1}"] = msg
                    continue
            if key in ("respondent", "mode"):
                out[f"{instrument}_{key}"] = msg
                continue
            out[key] = msg
        return out
    if kind == "markers":
        out = {}
        for key, msg in errors.items():
            if key.startswith("sensitisations."):
                parts = key.split(".")
                if len(parts) > 1 and parts[1].isdigit():
                    out[f"allergen_{int(parts[1]) + 1}"] = msg
                    continue
            out[key] = msg
        return out
    return errors


def _record(post: Post, visit_id: int, kind: str) -> Response:
    data = post.data
    # Visibility and "retracted visit" first: a 404 or 409 is not a form error.
    visit = service.get_visit(post.session, post.actor, visit_id)
    use_case = service.RECORD_USE_CASES[kind]
    pre_errors: dict[str, str] = {}
    if kind == "spirometry":
        raw: dict[str, Any] = _spirometry_body(data)
    elif kind == "markers":
        raw, pre_errors = _markers_body(data)
    elif kind == "questionnaires":
        raw, pre_errors = _questionnaire_body(data, _fev1_pctpred(_key_findings(visit)))
        if not raw:
            return _visit_page(
                post, visit_id, open_form=kind, form=data, errors=pre_errors, status_code=422
            )
    else:
        raw = {k: data.get(k, "") for k in use_case.body.model_fields}
    body, errors = parse(use_case.body, raw)
    errors = {**errors, **pre_errors}
    if body is not None and not errors:
        outcome = post.attempt(
            lambda: use_case.record(post.session, post.actor, visit_id, body),
            refusals=(InvalidInput,),
        )
        if not isinstance(outcome, Refused):
            return see_other(f"/visits/{visit_id}?saved={kind}#{kind}")
        errors = outcome.errors
    form_key = f"{data.get('instrument', '')}" if kind == "questionnaires" else kind
    return _visit_page(
        post,
        visit_id,
        open_form=form_key,
        form=data,
        errors=_field_errors(kind, data, errors),
        status_code=422,
    )


def _add_record_route(kind: str) -> None:
    def record_page(visit_id: int, post: Post = WRITE_POST) -> Response:
        return _record(post, visit_id, kind)

    record_page.__name__ = f"record_{kind}_page"
    router.add_api_route(f"/visits/{{visit_id}}/{kind}", record_page, methods=["POST"])


for _kind in KINDS:
    _add_record_route(_kind)


# --- retraction -----------------------------------------------------------------------


def _retraction(post: Post, visit_id: int, *, form: str, field: str) -> RetractionIn | Response:
    """The posted reason of a retraction, or the visit page again with the reason's
    error as ``field`` of the retraction form ``form``, opened."""
    body, errors = parse(RetractionIn, {"reason": post.data.get("reason", "")})
    if body is not None:
        return body
    return _visit_page(
        post,
        visit_id,
        open_form=form,
        errors={field: errors.get("reason", N_("give a reason"))},
        status_code=422,
    )


@router.post("/visits/{visit_id}/retract")
def retract_visit(visit_id: int, post: Post = WRITE_POST) -> Response:
    body = _retraction(post, visit_id, form="retract-visit", field="retract_visit_reason")
    if isinstance(body, Response):
        return body
    service.retract_visit(post.session, post.actor, visit_id, body)
    return see_other(f"/visits/{visit_id}?saved=retracted")


@router.post("/visits/{visit_id}/{kind}/{record_id}/retract")
def retract_record(
    visit_id: int, kind: RecordKind, record_id: int, post: Post = WRITE_POST
) -> Response:
    body = _retraction(
        post, visit_id, form=f"retract-{kind}-{record_id}", field=f"retract_{kind}_{record_id}"
    )
    if isinstance(body, Response):
        return body
    service.retract_record(post.session, post.actor, visit_id, kind, record_id, body)
    return see_other(f"/visits/{visit_id}?saved=retracted#{kind}")
