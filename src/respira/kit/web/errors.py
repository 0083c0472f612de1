"""Domain errors and framework errors as HTTP answers: JSON under ``/api/``, a page
everywhere else (a sign-in form for 401)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from respira.kit.errors import DomainError, InvalidInput, NotAuthenticated, RateLimited
from respira.kit.marks import N_
from respira.kit.web.forms import error_message, human_message
from respira.kit.web.templating import problem_text, render, request_lang

# The titles of the error pages, in the reader's language (``DomainError.title``).
TITLES = (
    N_("Bad request"),
    N_("Sign-in required"),
    N_("Not allowed"),
    N_("Not found"),
    N_("Conflict"),
    N_("Precondition required"),
    N_("Too many requests"),
    N_("Invalid input"),
    N_("Invalid request"),
    N_("Method not allowed"),
    N_("Error"),
)

# Machine interfaces answer JSON, never a page: the JSON API and FHIR.
API_PREFIXES = ("/api/", "/fhir/", "/fhir")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES)


def _page(
    request: Request, status: int, title: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    if status == 401:
        nxt = request.url.path if request.method == "GET" else "/"
        template = "accounts/login.html"
        context: dict[str, Any] = {"next": nxt, "error": None, "notice": message}
    else:
        # A service's message (``N_`` or ``Msg``, see ``kit.texts``) in the reader's
        # language; the JSON API answers the same message in English.
        template = "error.html"
        lang = request_lang(request)
        context = {
            "status": status,
            "title": problem_text(title, lang),
            "message": problem_text(message, lang),
        }
    return render(request, template, context, status, headers)


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers: dict[str, str] = {}
    if isinstance(exc, NotAuthenticated) and _is_api(request):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after_s)
    if _is_api(request):
        body: dict[str, Any] = {"detail": exc.message}
        if isinstance(exc, InvalidInput):
            body["detail"] = [
                {"loc": ["body", f], "field": f, "msg": m, "type": "value_error"}
                for f, m in exc.errors.items()
            ]
        return JSONResponse(body, status_code=exc.status_code, headers=headers)
    message = exc.message
    if isinstance(exc, InvalidInput):  # each field's message in the reader's language
        lang = request_lang(request)
        message = "; ".join(f"{f}: {problem_text(m, lang)}" for f, m in exc.errors.items())
    return _page(request, exc.status_code, exc.title, message, headers)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        field = ".".join(str(x) for x in loc[1:]) if len(loc) > 1 else ".".join(map(str, loc))
        details.append(
            {"loc": loc, "field": field, "msg": error_message(dict(err)), "type": err.get("type")}
        )
    if _is_api(request):
        return JSONResponse({"detail": details}, status_code=422)
    # A page's bad query or path parameter, said for people: "page: enter a whole number".
    lang = request_lang(request)
    message = "; ".join(
        f"{d['field']}: {problem_text(human_message(err, d['field']), lang)}"
        for d, err in zip(details, exc.errors(), strict=True)
    )
    return _page(request, 422, "Invalid request", message)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _is_api(request):
        return JSONResponse(
            {"detail": exc.detail},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
    titles = {404: "Not found", 405: "Method not allowed"}
    return _page(
        request,
        exc.status_code,
        titles.get(exc.status_code, "Error"),
        str(exc.detail),
        getattr(exc, "headers", None),
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
