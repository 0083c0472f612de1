"""The application factory: one FastAPI app serving the JSON API under ``/api/v1``
and the server-rendered pages, for one database."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from respira import __version__
from respira.config import Settings, get_settings
from respira.db import Database
from respira.web import errors
from respira.web.middleware import RespiraMiddleware

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    app = FastAPI(
        title="Respira",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.db = db or Database(settings.database_url)

    for router in routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    errors.install(app)
    app.add_middleware(RespiraMiddleware, cookie_secure=settings.cookie_secure)
    return app


def routers() -> list[APIRouter]:
    """Every router of the app, one or two per step of the road (the access-matrix
    test walks these)."""
    from respira.auth import api as auth_api
    from respira.auth import pages as auth_pages
    from respira.diagnostics import api as diagnostics_api
    from respira.diagnostics import pages as diagnostics_pages
    from respira.intake import api as intake_api
    from respira.intake import pages as intake_pages
    from respira.patients import api as patients_api
    from respira.patients import pages as patients_pages
    from respira.screening import api as screening_api
    from respira.screening import pages as screening_pages
    from respira.web import audit_routes, system

    return [
        system.router,
        auth_api.router,
        auth_pages.router,
        patients_api.router,
        patients_pages.router,
        audit_routes.api,
        audit_routes.pages,
        diagnostics_api.router,
        diagnostics_pages.router,
        intake_api.router,
        intake_pages.public_router,
        intake_pages.router,
        screening_api.router,
        screening_pages.router,
    ]


def app_from_env() -> FastAPI:
    """Entry point for ``uvicorn --factory respira.web.app:app_from_env``.

    After start-up, everything the app has built so far (modules, mappers, routes,
    templates) is moved out of the garbage collector's view (``gc.freeze``): a full
    collection then walks only what requests allocate, which keeps the pauses that
    show up as tail latency short."""
    app = create_app()
    gc.collect()
    gc.freeze()
    return app
