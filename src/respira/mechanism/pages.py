"""The model's public page, "How asthma develops and how MSCs are thought to act": the
cascade as a diagram whose boxes are the model's states, a scenario panel (a GET form:
the page is a pure function of its address, so a result can be bookmarked and the
browser's back button works), the results as server-made SVG charts against the
untreated same patient with the numbers in a table, and the model's limits in plain
words. In English, German and Russian.

Staff open it from a patient's page (``/model?phenotype=...&patient=ID``): it then names
the patient's record number and why that phenotype was preselected, and says that it is
not a prediction for that patient. Anyone else's ``patient`` parameter is ignored, so
the public page never tells whether a patient exists.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.web.deps import Public, get_db
from respira.kit.web.templating import gettext_for, render, request_lang
from respira.mechanism import charts, labels, service
from respira.mechanism.schemas import FORM_FIELDS, PAGE_DAYS, ScenarioForm, read_scenario
from respira.patients.schemas import PatientOut

router = APIRouter(include_in_schema=False)

PATH = "/model"


def _number(lang: str) -> Any:
    def fmt(value: float, decimals: int = 0) -> str:
        if not math.isfinite(value):
            return "—"
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
        return str(format_decimal(round(value, decimals), format=pattern, locale=lang))

    return fmt


def _decimals(ticks: tuple[charts.Tick, ...]) -> int:
    """Decimals that tell the ticks apart (a step of 0.05 needs 2)."""
    if len(ticks) < 2:
        return 2
    step = abs(ticks[1].value - ticks[0].value)
    return max(0, -math.floor(math.log10(step))) if step > 0 else 2


def _charts(view: service.ScenarioView) -> list[dict[str, Any]]:
    form = view.form
    markers = [day for day, _amount in form.doses]
    out = []
    for series in view.series:
        lines = [("untreated", series.untreated)]
        if form.treated:
            lines.append(("treated", series.treated))
        chart = charts.line_chart(view.days, lines, markers=markers)
        out.append(
            {
                "name": series.name,
                "text": labels.OBSERVABLE_TEXT[series.name],
                "chart": chart,
                "y_decimals": _decimals(chart.y_ticks),
                "rows": series.at(view.table_days),
            }
        )
    return out


@router.get(PATH)
def model_page(
    request: Request,
    session: Session = Depends(get_db),
    actor: Actor = Depends(Public()),
) -> Response:
    gettext = gettext_for(request)
    data = {k: v for k, v in request.query_params.items() if k in FORM_FIELDS}
    patient = None
    patient_id = request.query_params.get("patient", "")
    if patient_id.isdigit() and len(patient_id) < 12:
        patient = service.patient_reference(session, actor, int(patient_id))
        if patient is not None:
            data.setdefault("phenotype", patient.phenotype)
    form, problems = read_scenario(data)
    view = service.explain(form) if form is not None else None
    shown = form or ScenarioForm()
    return render(
        request,
        "mechanism/model.html",
        {
            "form": {**shown.as_query(), **data} if form is None else form.as_query(),
            "errors": {name: p.text(gettext) for name, p in problems.items()},
            "view": view,
            "charts": _charts(view) if view is not None else [],
            "patient": patient,
            "labels": labels,
            "fmt": _number(request_lang(request)),
            "page_days": PAGE_DAYS,
            "action": PATH,
        },
        422 if problems else 200,
    )


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    """The patient page's link to the panel with the patient's phenotype preselected
    (staff only)."""
    if actor.role not in service.SECTION_ROLES:
        return None
    chosen = service.phenotype_for_patient(session, actor, patient.id)
    query = urlencode({"phenotype": chosen.phenotype, "patient": patient.id})
    return {"chosen": chosen, "href": f"{PATH}?{query}", "labels": labels}
