"""What other steps' routes share with the patient registry's own: the answer to a
registration of a person who may already be registered (409 with the candidates, on the
API and on a form), for the consultation request's conversion as for a registration.
A step's ``web`` module is part of its public face for routes (docs/building-a-step.md)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from respira.kit.marks import N_
from respira.kit.web.forms import Refused
from respira.kit.web.routes import Post
from respira.kit.web.templating import gettext_for
from respira.patients import service
from respira.patients.schemas import DuplicateConflict

# A registration of a person who may already be registered answers this (409).
DUPLICATE_RESPONSES: dict[int | str, dict[str, object]] = {
    409: {
        "model": DuplicateConflict,
        "description": "The person may already be registered: the candidates, to send "
        "again with `not_a_duplicate_of` (their ids) if they are other people.",
    }
}


def duplicate_answer(exc: service.ProbableDuplicate) -> JSONResponse:
    return JSONResponse(exc.body().model_dump(mode="json"), status_code=409)


def stated_distinct(data: dict[str, str]) -> list[int]:
    """The candidates the user stated to be other people: the ids shown with the form
    (``not_a_duplicate_of``), when the statement's box was ticked."""
    if data.get("confirm_distinct") != "yes":
        return []
    ids = data.get("not_a_duplicate_of", "").split(",")
    return [int(i) for i in ids if i.strip().isdigit()][:50]


DUPLICATE_MESSAGE = N_(
    "This person may already be registered. Check the patients listed; if none of them "
    "is this person, tick the box to confirm and send the form again."
)


def duplicate_refusal(post: Post, exc: service.ProbableDuplicate) -> tuple[Refused, dict[str, Any]]:
    """A probable duplicate on a form: the refusal (409) and what the form shows of
    the candidates (``patients/_duplicates.html``)."""
    post.session.rollback()
    message = gettext_for(post.request)(DUPLICATE_MESSAGE)
    errors = {"__all__": message, "not_a_duplicate_of": message}
    return Refused(errors, 409, False), {"candidates": exc.candidates, "why": service.WHY}
