"""The demo clinic's messages: threads of the demo patient account (one answered and
closed, one answered, one waiting) and of a few other demo patients (given portal
accounts here, as the portal's invitation would), waiting from minutes to more than a
day, one assigned to the demo physician. Everything is invented."""

from __future__ import annotations

import datetime as dt
import secrets

from respira.accounts import service as accounts_service
from respira.kit.actors import Actor, Role
from respira.kit.db import utcnow
from respira.kit.step import DemoContext
from respira.messages import service
from respira.messages.schemas import AssignIn, MessageIn, ThreadIn
from respira.patients import service as patients_service

H = dt.timedelta(hours=1)

# (subject, the patient's message, the care team's answer or None, hours ago, closed)
OWN = (
    (
        "Mild fever the evening after the infusion",
        "I had 37.9 °C in the evening after the second infusion and felt tired. This "
        "morning it is 37.2 °C. Is this to be expected?",
        "Thank you for telling us. A slightly raised temperature and tiredness on the day "
        "after an infusion are known reactions and usually settle within a day or two. "
        "Please measure your temperature twice a day. If it rises above 38.5 °C or you "
        "feel short of breath, call the clinic's 24-hour number at once.",
        150.0,
        True,
    ),
    (
        "My regular inhaler",
        "Should I go on with my regular inhaler now that the course is over?",
        "Yes, please continue your regular asthma medication exactly as before. Your "
        "physician reviews it with you at the check-ins.",
        52.0,
        False,
    ),
    (
        "3-month check-in online?",
        "Can the 3-month check-in be done online? I cannot travel in March.",
        None,
        3.2,
        False,
    ),
)
OTHERS = (
    (
        "Spirometry at home",
        "My home spirometer shows lower values in the morning. Should I send them to you?",
        0.4,
    ),
    (
        "Rescue inhaler more often",
        "Since the weekend I need my rescue inhaler three or four times a day. What should I do?",
        5.5,
    ),
    (
        "Certificate for my employer",
        "Could I get a certificate of my stay at the clinic for my employer?",
        26.0,
    ),
)


def _patient_actor(ctx: DemoContext, patient_id: int) -> Actor | None:
    """A portal account for a demo patient with an email address (None without one)."""
    patient = patients_service.find(ctx.session, patient_id)
    if (
        patient is None
        or not patient.email
        or accounts_service.email_taken(ctx.session, patient.email)
    ):
        return None
    view = accounts_service.create_user(
        ctx.session,
        Actor.system("respira-demo"),
        email=patient.email,
        name=f"{patient.first_name} {patient.last_name}",
        role=Role.PATIENT,
        password=secrets.token_urlsafe(24),  # nobody signs in as these demo patients
        patient_id=patient_id,
    )
    return Actor(view.id, view.role, view.name, patient_id=patient_id)


def seed(ctx: DemoContext) -> None:
    if "patient" not in ctx.accounts or "physician" not in ctx.accounts:
        return
    now = utcnow()
    me = ctx.accounts["patient"][0]
    physician = ctx.accounts["physician"][0]
    nurse = ctx.accounts.get("nurse", (physician, ""))[0]
    threads = 0
    assert me.patient_id is not None
    for n, (subject, text, answer, hours, closed) in enumerate(OWN):
        at = now - dt.timedelta(hours=hours)
        thread = service.start_thread(
            ctx.session, me, me.patient_id, ThreadIn(subject=subject, body=text), now=at
        )
        threads += 1
        if answer is not None:
            staff = physician if n == 0 else nurse
            thread = service.reply(
                ctx.session, staff, thread.id, MessageIn(body=answer), now=at + 2 * H
            )
        if closed:
            service.set_status(ctx.session, physician, thread.id, "closed", thread.version)
    candidates = [pid for pid in ctx.worked_up if pid != me.patient_id]
    for (subject, text, hours), pid in zip(OTHERS, candidates, strict=False):
        patient = _patient_actor(ctx, pid)
        if patient is None:
            continue
        thread = service.start_thread(
            ctx.session, patient, pid, ThreadIn(subject=subject, body=text), now=now - hours * H
        )
        threads += 1
        if hours > 24:
            service.assign(
                ctx.session,
                physician,
                thread.id,
                AssignIn(assignee_id=physician.user_id),
                thread.version,
            )
    ctx.counts["message threads"] = threads
