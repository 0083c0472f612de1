"""HTML pages of the protocol step: the "Treatment courses" section of the patient's
page, and the router of every page of the step (``respira.protocols.page_router``), on
which ``respira.protocols.course_pages`` (the course form, the course page with its
approval form, the printable day-by-day schedule) and ``respira.protocols.limits_pages``
(the programme limits) declare their routes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.patients.schemas import PatientOut
from respira.protocols import course_pages, limits_pages, service
from respira.protocols.page_router import router

__all__ = ["PAGE_MODULES", "patient_section", "router"]

# The modules that declare their routes on ``router``: imported here, so that the router
# the app takes from this module has them all.
PAGE_MODULES = (course_pages, limits_pages)


# --- the patient's page -------------------------------------------------------------------


def patient_section(session: Session, actor: Actor, patient: PatientOut) -> dict[str, Any] | None:
    if actor.role not in service.READ_ROLES:
        return None
    can_plan = actor.role in service.WRITE_ROLES
    return {
        **course_pages.common(),
        "patient_id": patient.id,
        "courses": service.list_courses(session, actor, patient.id),
        "can_plan": can_plan,
        "eligibility": service.eligibility(session, actor, patient.id) if can_plan else None,
    }
