"""The outcome registry of the demo clinic.

The steps before this one have treated a few patients (the stay's demo discharges one
today; the follow-up's demo back-dates two schedules and answers their past check-ins).
Here their courses are projected into the registry, one of them leaves follow-up (lost
to follow-up a week ago, recorded by the demo coordinator, so that the report shows an
exit among the missing data), and a synthetic history is added: 60 invented patients
with courses over the last four years (``origin = 'synthetic'``, counted as such in
every report), so that the report and the public page show real figures with their
missing data, and a narrow filter (say, men at GINA step 3) falls below the small-cell
threshold and shows suppression. Everything is invented, from the demo's fixed seed.
"""

from __future__ import annotations

import datetime as dt

from respira.followup import service as followup
from respira.kit.errors import DomainError
from respira.kit.step import DemoContext
from respira.outcomes import service
from respira.outcomes.schemas import ExitIn

SYNTHETIC_PATIENTS = 60
SYNTHETIC_SEED = 20261206
SYNTHETIC_YEARS = 4.0
EXIT_DAYS_AGO = 7


def _one_exit(ctx: DemoContext) -> int:
    """The treated patient with the oldest course leaves follow-up a week ago."""
    coordinator = ctx.accounts["coordinator"][0]
    session = ctx.session
    today = followup.clinic_today()
    on = today - dt.timedelta(days=EXIT_DAYS_AGO)
    for course_id in followup.scheduled_course_ids(session):
        found = followup.course_follow_up(session, course_id)
        if found is None:
            continue
        body = ExitIn(kind="lost", on_date=on, reason="No answer to three calls and a letter.")
        try:  # a course that started after that day has no follow-up to leave then
            service.record_exit(session, coordinator, found[0].patient_id, body)
        except DomainError:
            session.rollback()
            continue
        return 1
    return 0


def seed(ctx: DemoContext) -> None:
    session = ctx.session
    projected = 0
    for course_id in followup.scheduled_course_ids(session):
        if service.project_course(session, course_id) is not None:
            projected += 1
    session.commit()
    exits = _one_exit(ctx)
    made = service.generate(
        session,
        SYNTHETIC_PATIENTS,
        SYNTHETIC_SEED,
        today=followup.clinic_today(),
        years=SYNTHETIC_YEARS,
    )
    session.commit()
    ctx.counts["treated courses in the outcome registry"] = projected
    ctx.counts["registry exits"] = exits
    ctx.counts["synthetic registry courses"] = made.courses
