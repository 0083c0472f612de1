"""The application factory: one FastAPI app serving the JSON API under ``/api/v1``
and the server-rendered pages, for one database."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from respira import __version__
from respira.app import steps, system
from respira.kit.config import Settings, get_settings
from respira.kit.db import Database
from respira.kit.web import api_docs, errors, limits, openapi, templating
from respira.kit.web.middleware import RespiraMiddleware

STATIC_DIR = Path(templating.__file__).parent / "static"
APP_TEMPLATES = Path(__file__).parent / "templates"


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
    loaded = steps.load()
    app.state.identity = loaded.provided("identity")
    app.state.patient_reads = loaded.provided("patient_reads")  # see kit.web.reads
    app.state.patient_sections = loaded.sections()
    templating.configure(
        template_dirs=[APP_TEMPLATES, *loaded.template_dirs()],
        nav=loaded.nav(),
        banners=loaded.banners(),
    )

    # Every route's request passes the guard before the route reads it: body limits, no
    # body read for a protected route without a credential, ids in range, no NUL.
    limits.guard_routes(routers())
    for router in routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    api_docs.mount(app)
    openapi.install(app)
    errors.install(app)
    app.add_middleware(
        RespiraMiddleware,
        cookie_secure=settings.cookie_secure,
        allowed_hosts=settings.allowed_hosts,
        hsts_max_age_s=settings.hsts_max_age_s,
    )
    return app


def routers() -> list[APIRouter]:
    """Every router of the app: the shell's own, then each step's from its manifest
    (the access-matrix test walks these)."""
    return [system.router, api_docs.router, *steps.load().routers()]


def app_from_env() -> FastAPI:
    """Entry point for ``uvicorn --factory respira.app.factory:app_from_env``.

    After start-up, everything the app has built so far (modules, mappers, routes,
    templates) is moved out of the garbage collector's view (``gc.freeze``): a full
    collection then walks only what requests allocate, which keeps the pauses that
    show up as tail latency short."""
    app = create_app()
    gc.collect()
    gc.freeze()
    return app
