"""A patient's own pages in the patient's language.

A page reached from an email (a reminder, an invitation, a message notice) opens in the
language the email was written in, the patient's preferred language, unless the reader
chose one: the ``lang`` query parameter or the language switcher's cookie win, as on
every other page (``respira.kit.i18n``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from respira.kit import tokens
from respira.kit.actors import Actor
from respira.kit.texts import patient_language
from respira.kit.web.routes import Call

# Reads the signed-in patient's record (``patients.service.get_visible``): anything
# with a ``preferred_language``.
PatientReader = Callable[[Session, Actor, int], Any]


def chose_language(request: Request) -> bool:
    """Whether the reader chose the page's language (``?lang=`` or the switcher)."""
    return bool(request.query_params.get("lang") or request.cookies.get(tokens.LANG_COOKIE))


def in_patient_language(call: Call, read_patient: PatientReader) -> None:
    """Show the page of a signed-in patient in their preferred language (read with
    ``read_patient`` only when needed) unless they chose one."""
    if chose_language(call.request):
        return
    patient_id = call.actor.patient_id
    assert patient_id is not None  # a patient account names its patient
    preferred = read_patient(call.session, call.actor, patient_id).preferred_language
    call.request.state.lang = patient_language(preferred)
