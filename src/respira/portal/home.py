"""What the patient's own home page shows, and choosing a password.

Everything comes from the other steps' public services, read as the patient (so their
visibility rules apply: a patient sees their own approved courses, administrations,
visits that stand, threads, check-ins and appointments): the course and stay, the
patient's results with plain words (``respira.portal.texts``), the check-ins due, the
appointments, and the message threads. Results are shown as measured, never compared
into a claim of benefit. Medical summaries join the page when their step exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from respira.accounts import service as accounts_service
from respira.appointments import service as appointments_service
from respira.diagnostics import service as diagnostics_service
from respira.followup import service as followup_service
from respira.kit.actors import Actor, Role, require_role
from respira.kit.db import utcnow
from respira.kit.errors import InvalidInput
from respira.kit.texts import patient_language
from respira.messages import service as messages_service
from respira.patients import service as patients_service
from respira.portal import texts
from respira.protocols import service as protocols_service
from respira.science.spirometry import below_lln
from respira.treatment import service as treatment_service

PATIENT_ONLY = frozenset({Role.PATIENT})


@dataclass(frozen=True)
class CourseView:
    id: int
    number: int
    start_date: dt.date
    end_date: dt.date
    stay_days: int
    infusions_planned: list[dt.date]
    infusions_given: list[dt.datetime]
    inhalations_planned: int
    inhalations_given: int


@dataclass(frozen=True)
class QuestionnaireView:
    name: str  # English; the page translates
    score: str
    scale: str
    band: str | None


@dataclass(frozen=True)
class ResultView:
    visit_date: dt.date
    fev1_l: float | None
    fev1_pct_predicted: float | None
    fev1_words: str | None  # within or below the expected range (English; translated)
    questionnaires: list[QuestionnaireView]


@dataclass(frozen=True)
class HomeView:
    first_name: str
    last_name: str
    courses: list[CourseView]
    results: list[ResultView]
    check_ins: list[Any]
    appointments: list[Any]
    threads: list[Any]
    unread: int
    words: dict[str, str] = field(default_factory=dict)


def _courses(session: Session, actor: Actor, patient_id: int) -> list[CourseView]:
    given = treatment_service.list_administrations(session, actor, patient_id)
    out = []
    for course in protocols_service.list_courses(session, actor, patient_id):
        mine = [a for a in given if a.course_id == course.id]
        out.append(
            CourseView(
                id=course.id,
                number=course.number,
                start_date=course.start_date,
                end_date=course.end_date,
                stay_days=course.stay_days,
                infusions_planned=[i.date for i in course.infusions],
                infusions_given=sorted(a.started_at for a in mine if a.route == "iv"),
                inhalations_planned=len(course.nebulisations),
                inhalations_given=sum(1 for a in mine if a.route == "nebulised"),
            )
        )
    return out


def _score(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def _results(session: Session, actor: Actor, patient_id: int) -> list[ResultView]:
    out = []
    for visit in diagnostics_service.list_visits(session, actor, patient_id).items:
        questionnaires = []
        for c in visit.control:
            name, scale = texts.INSTRUMENTS[c.instrument]
            questionnaires.append(
                QuestionnaireView(
                    name, _score(c.score), scale, texts.band_explained(c.instrument, c.band)
                )
            )
        if visit.fev1_pre_pctpred is None and not questionnaires:
            continue
        words = None
        if visit.fev1_pre_z is not None:
            words = texts.FEV1_BELOW if below_lln(visit.fev1_pre_z) else texts.FEV1_WITHIN
        out.append(
            ResultView(
                visit_date=visit.visit_date,
                fev1_l=visit.fev1_pre_l,
                fev1_pct_predicted=visit.fev1_pre_pctpred,
                fev1_words=words,
                questionnaires=questionnaires,
            )
        )
    return out


def home(session: Session, actor: Actor) -> HomeView:
    """The signed-in patient's own page."""
    require_role(actor, PATIENT_ONLY)
    assert actor.patient_id is not None  # a patient account is linked to its patient
    pid = actor.patient_id
    now = utcnow()
    patient = patients_service.get_visible(session, actor, pid)
    threads = messages_service.threads_for_patient(session, actor, pid)
    return HomeView(
        first_name=patient.first_name,
        last_name=patient.last_name,
        courses=_courses(session, actor, pid),
        results=_results(session, actor, pid),
        check_ins=list(followup_service.upcoming_for_patient(session, pid)),
        appointments=[
            a
            for a in appointments_service.appointments_for_patient(session, actor, pid)
            if a.cancelled_at is None and a.end >= now
        ],
        threads=threads,
        unread=sum(1 for t in threads if t.unread),
        words={"fev1": texts.FEV1_EXPLAINED, "on_that_day": texts.ON_THAT_DAY},
    )


def language(session: Session, actor: Actor) -> str:
    """The portal's language for the signed-in patient (their preferred language)."""
    require_role(actor, PATIENT_ONLY)
    assert actor.patient_id is not None
    patient = patients_service.get_visible(session, actor, actor.patient_id)
    return patient_language(patient.preferred_language)


def choose_password(session: Session, actor: Actor, password: str, repeat: str) -> str:
    """The patient sets their password (after the invitation's link signed them in):
    answers the new session cookie (every other session of the account ends)."""
    require_role(actor, PATIENT_ONLY)
    if password != repeat:
        raise InvalidInput({"repeat": texts.PASSWORDS_DIFFER})
    cookie: str = accounts_service.set_own_password(session, actor, password)
    session.commit()
    return cookie
