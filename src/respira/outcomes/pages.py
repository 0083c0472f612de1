"""The outcome report's pages, for the medical director (admin) and the physicians:
``/outcomes/report`` with the cohort filter (a GET form: the address is the report, so
it can be bookmarked and shared), and the same report as a PDF
(``/outcomes/report.pdf``) and as JSON (``/outcomes/report.json``, the API's object for
a signed-in browser; programs use ``GET /api/v1/outcomes/report`` with a token).

A filter value that cannot be read is named next to its field (422) and nothing is
computed. Reading the report is not audited (see ``report``'s docstring)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from respira.kit.errors import InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import translate
from respira.kit.web.deps import PageAccess
from respira.kit.web.routes import Call, uses
from respira.kit.web.templating import gettext_for, request_lang
from respira.outcomes import registry, report, report_pdf, report_view
from respira.outcomes.report_view import (
    CONTROL_LABELS,
    PHENOTYPE_LABELS,
    SEX_LABELS,
    SOURCE_LABELS,
)

router = APIRouter(include_in_schema=False)

STAFF = uses(PageAccess(*report.REPORT_ROLES))
# Parameters of a report address that are not filters: the site's language switch.
NOT_FILTERS = ("lang",)


def filter_choices(call: Call) -> dict[str, list[Any]]:
    """The cohort filter's choices (``outcomes/_cohort_fields.html``): the values the
    registry holds, in words; ``treated_on``: the first and last day of treatment."""
    gettext = gettext_for(call.request)
    found = registry.filter_options(call.session)

    def named(key: str, labels: Mapping[str, str]) -> list[tuple[Any, str]]:
        return [(v, gettext(labels[v]) if v in labels else str(v)) for v in found.get(key, [])]

    return {
        "course_number": [
            (n, gettext(N_("First course")) if n == 1 else gettext(N_("Course %(n)s")) % {"n": n})
            for n in found.get("course_number", [])
        ],
        "cell_source": named("cell_source", SOURCE_LABELS),
        "phenotype": named("phenotype", PHENOTYPE_LABELS),
        "gina_step": [
            (n, gettext(N_("GINA step %(n)s")) % {"n": n}) for n in found.get("gina_step", [])
        ],
        "baseline_control": named("baseline_control", CONTROL_LABELS),
        "sex": named("sex", SEX_LABELS),
        "include_synthetic": [
            ("true", gettext(N_("Included"))),
            ("false", gettext(N_("Left out"))),
        ],
        "treated_on": found.get("treated_on", []),
    }


_options = filter_choices  # the name the export's page imports


def _params(call: Call) -> dict[str, str]:
    return {k: v for k, v in call.request.query_params.items() if k not in NOT_FILTERS}


def _read(call: Call) -> tuple[dict[str, str], registry.CohortFilter | None, dict[str, str]]:
    """The form as asked, its filter (None when refused) and the errors by field, in
    the reader's language."""
    params = _params(call)
    try:
        return params, report.parse_filters(params), {}
    except InvalidInput as exc:
        gettext = gettext_for(call.request)
        return params, None, {k: translate(v, gettext) for k, v in exc.errors.items()}


def _report_page(
    call: Call,
    params: dict[str, str],
    filters: registry.CohortFilter | None,
    errors: dict[str, str],
) -> Response:
    options = filter_choices(call)
    gettext = gettext_for(call.request)
    bounds = options.pop("treated_on")
    treated_hint = (
        gettext(N_("treatments in the registry: %(first)s to %(last)s"))
        % {"first": bounds[0].isoformat(), "last": bounds[-1].isoformat()}
        if bounds
        else gettext(N_("inclusive"))
    )
    context: dict[str, Any] = {
        "form": params,
        "errors": errors,
        "options": options,
        "treated_hint": treated_hint,
        "filtered": bool(filters and filters.as_params()),
        "min_cell": report.settings_min_cell(),
        "view": None,
    }
    if filters is not None:
        data = report.outcome_report(call.session, filters)
        query = urlencode(filters.as_params())
        suffix = f"?{query}" if query else ""
        context.update(
            view=report_view.staff_view(data, request_lang(call.request)),
            pdf_url=f"/outcomes/report.pdf{suffix}",
            json_url=f"/outcomes/report.json{suffix}",
            api_url=f"/api/v1/outcomes/report{suffix}",
        )
    return call.render("outcomes/report.html", context, 422 if errors else 200)


@router.get("/outcomes/report")
def report_page(call: Call = STAFF) -> Response:
    params, filters, errors = _read(call)
    return _report_page(call, params, filters, errors)


def _download(call: Call, extension: str, answer: Callable[[dict[str, Any]], Response]) -> Response:
    """The report as a file (``answer`` makes the response from the report), or the page
    with the filter's errors."""
    params, filters, errors = _read(call)
    if filters is None:
        return _report_page(call, params, filters, errors)
    data = report.outcome_report(call.session, filters)
    response = answer(data)
    name = report.file_name(data, extension)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/outcomes/report.pdf")
def report_pdf_download(call: Call = STAFF) -> Response:
    lang = request_lang(call.request)
    return _download(
        call,
        "pdf",
        lambda data: Response(report_pdf.render(data, lang), media_type="application/pdf"),
    )


@router.get("/outcomes/report.json")
def report_json_download(call: Call = STAFF) -> Response:
    return _download(call, "json", JSONResponse)
