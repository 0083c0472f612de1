"""The browsable API documentation at ``/api/v1/docs``: Swagger UI over the app's own
OpenAPI document, with every asset served by Respira itself (the clinic's machine may be
offline, and the Content-Security-Policy allows scripts from this host only).

Swagger UI's files come from the ``swagger-ui-bundle`` package and are served under
``/api/v1/docs/assets/`` (only the files the page uses); the page's start-up script is
Respira's own static file (``/static/api-docs.js``), since the policy forbids inline
scripts, and a stylesheet of Respira's fits it to a phone's width.

The page is public, like ``/api/v1/openapi.json`` which it shows: the description of the
API holds no data, an integrator reads it before they have an account, and every
operation it describes checks its caller itself.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from respira.kit.actors import Actor
from respira.kit.web.deps import Public

PATH = "/api/v1/docs"
ASSETS = f"{PATH}/assets"
ASSET_FILES = frozenset(
    {"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"}
)
INIT_SCRIPT = "/static/api-docs.js"
STYLESHEET = "/static/api-docs.css"

router = APIRouter(include_in_schema=False)


class _Assets(StaticFiles):
    """Swagger UI's files that the page uses, and nothing else of the package (its
    sample page points at a demo API on another host)."""

    async def get_response(self, path: str, scope: Any) -> Response:
        if path not in ASSET_FILES:
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


def page(openapi_url: str, title: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="stylesheet" href="{STYLESHEET}">
<link rel="icon" type="image/png" sizes="32x32" href="{ASSETS}/favicon-32x32.png">
<link rel="icon" type="image/png" sizes="16x16" href="{ASSETS}/favicon-16x16.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<noscript>The API documentation needs JavaScript; the description itself is at
<a href="{escape(openapi_url)}">{escape(openapi_url)}</a>.</noscript>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{INIT_SCRIPT}"></script>
</body>
</html>
"""


@router.get(PATH)
def api_docs(request: Request, _: Actor = Depends(Public(api=True))) -> HTMLResponse:
    return HTMLResponse(page(request.app.openapi_url, request.app.title))


def mount(app: FastAPI) -> None:
    app.mount(ASSETS, _Assets(directory=swagger_ui_path), name="api-docs-assets")
