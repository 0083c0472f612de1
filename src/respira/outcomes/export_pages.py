"""The admins' page of the de-identified export: a cohort filter and a format, and the
download of a zip with the data files and the data dictionary; below it, the exports
made so far, from the audit trail.

The download is a form post, not a link: every export is written to the audit trail
(who, when, which filter, how many rows), and a write needs the post's transaction and
its CSRF token. A refused export (no key configured, a wrong filter value, parquet
without pyarrow) shows the form again with the reason next to the field."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from respira.kit.db import Database
from respira.kit.texts import translate
from respira.kit.web.deps import PageAccess
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Call, Post, posts, uses
from respira.kit.web.templating import gettext_for, request_lang
from respira.outcomes import export
from respira.outcomes.pages import filter_choices
from respira.outcomes.report_view import Texts

router = APIRouter(include_in_schema=False)
ADMIN = PageAccess(*export.ROLES)
PATH = "/admin/outcomes/export"


def _page(call: Call, form: dict[str, str], refused: Refused | None = None) -> Response:
    gettext = gettext_for(call.request)
    errors = {k: translate(v, gettext) for k, v in (refused.errors if refused else {}).items()}
    context: dict[str, Any] = {
        "form": form,
        "errors": errors,
        "options": filter_choices(call),
        "key_configured": export.configured_key() is not None,
        "no_key": export.E_NO_KEY,
        "parquet": export.parquet_available(),
        "formats": export.FORMATS,
        "past": export.past_exports(call.session, call.actor),
        # When each export was made, in the clinic's time zone (the report's wording).
        "moment": Texts(request_lang(call.request), min_cell=1).moment,
    }
    return call.render("outcomes/export.html", context, refused.status_code if refused else 200)


@router.get(PATH)
def export_page(call: Call = uses(ADMIN)) -> Response:
    return _page(call, {"format": "csv", **dict(call.request.query_params)})


@router.post(PATH)
def export_download(post: Post = posts(ADMIN)) -> Response:
    """The zip (sent, then removed from the server's temporary folder), or the form
    again with the reason it was refused."""

    def run() -> export.ExportZip:
        fmt, filters = export.parse_request(post.data)
        database: Database = post.request.app.state.db
        post.session.commit()  # hold no write lock while the rows are read and written
        with database.session() as read:
            return export.export_zip(post.session, post.actor, fmt, filters, read=read)

    outcome = post.attempt(run)
    if isinstance(outcome, Refused):
        return _page(post, post.data, outcome)
    return FileResponse(
        outcome.path,
        media_type="application/zip",
        filename=outcome.filename,
        headers={"X-Export-Id": outcome.result.export_id},  # no-store: the middleware
        background=BackgroundTask(outcome.path.unlink, missing_ok=True),
    )
