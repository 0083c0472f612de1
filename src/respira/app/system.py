"""Routes of the shell itself: the home page, the language switcher and the health
check."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from respira.accounts.pages import safe_next
from respira.kit import i18n
from respira.kit.actors import Actor
from respira.kit.db import Database
from respira.kit.web.deps import Public
from respira.kit.web.http import remember_language
from respira.kit.web.templating import nav_for, render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, actor: Actor = Depends(Public())) -> Response:
    return render(request, "home.html", {"links": nav_for(actor)})


@router.get("/language")
def switch_language(
    lang: str = Query(max_length=16),
    next: str = Query(default="/", max_length=500),
    _: Actor = Depends(Public(api=True)),
) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in i18n.available_languages():
        remember_language(response, lang)
    return response


@router.get("/healthz")
def healthz(request: Request, _: Actor = Depends(Public(api=True))) -> Response:
    db: Database = request.app.state.db
    try:
        db.ping()
    except (SQLAlchemyError, OSError):
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
