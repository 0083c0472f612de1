"""The one router of the protocol step's HTML pages: ``course_pages`` and
``limits_pages`` declare their routes on it, and ``pages`` (the manifest's
``pages:router``) hands it to the app. One router rather than routers included into
another, so that the app and the access matrix see each page route as it is declared."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
