"""The outcome report for other programs: ``GET /api/v1/outcomes/report?<filters>``
answers ``report.build_report``'s object (the contract of issue 8: ``n_treated``,
``windows``, ``responders``, ``exacerbations`` and the fields beside them), for the
medical director (admin) and the physicians.

The filters are the report page's, as query parameters: ``course_number``,
``cell_source``, ``dose_min``, ``dose_max``, ``phenotype``, ``gina_step``,
``baseline_control``, ``age_min``, ``age_max``, ``sex``, ``treated_from``,
``treated_to``, ``include_synthetic``. A bad value, or a parameter that is no filter,
answers 422 naming it, and nothing is computed."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from respira.kit.web.deps import ApiAccess
from respira.kit.web.routes import Call, uses
from respira.outcomes import report

router = APIRouter(prefix="/api/v1", tags=["outcomes"])


@router.get("/outcomes/report")
def outcome_report(call: Call = uses(ApiAccess(*report.REPORT_ROLES))) -> JSONResponse:
    filters = report.parse_filters(dict(call.request.query_params))
    return JSONResponse(report.outcome_report(call.session, filters))
