"""Safety in the demo clinic, made through the real use cases: the demo physician on
call for the coming week with the demo admin as medical director, and adverse events of
the patients the ward treated today —

- expected, mild reactions (a grade-1 fever, a grade-2 headache), possibly related;
- a serious grade-3 bronchospasm (an important medical event, possibly related,
  unexpected: the 15-day clock) whose initial report the demo physician has signed,
  which acknowledges its alert;
- an open serious grade-3 infusion related reaction that prolonged the stay: its alert
  is in the outbox and its banner waits on every physician's page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from respira.kit.actors import Actor
from respira.kit.clinic_time import clinic_today
from respira.kit.db import utcnow
from respira.kit.step import DemoContext
from respira.safety import service
from respira.safety.schemas import AdverseEventIn, OnCallIn, ReportIn
from respira.treatment import service as treatment_service

SYSTEM = Actor.system("respira-demo")


def _event(administration_id: int, **fields: Any) -> AdverseEventIn:
    return AdverseEventIn.model_validate(
        {
            "onset_date": clinic_today().isoformat(),
            "serious_criteria": [],
            "causality": "possible",
            "administration_id": administration_id,
            **fields,
        }
    )


def _roster(ctx: DemoContext) -> None:
    now = utcnow()
    shifts = (("physician", "physician"), ("admin", "medical_director"))
    for account, role in shifts:
        if account not in ctx.accounts:
            continue
        actor, _password = ctx.accounts[account]
        assert actor.user_id is not None
        service.add_shift(
            ctx.session,
            SYSTEM,
            OnCallIn(
                user_id=actor.user_id,
                role=role,
                starts_at=now - dt.timedelta(hours=1),
                ends_at=now + dt.timedelta(days=7),
            ),
        )


def _treated(ctx: DemoContext) -> list[tuple[int, int]]:
    """(patient, administration) of every demo patient given an infusion."""
    found = []
    for pid in ctx.patient_ids:
        given = treatment_service.list_administrations(ctx.session, SYSTEM, pid)
        if given:
            found.append((pid, given[-1].id))
    return found


def seed(ctx: DemoContext) -> None:
    if "nurse" not in ctx.accounts or "physician" not in ctx.accounts:
        return
    _roster(ctx)
    nurse, _ = ctx.accounts["nurse"]
    physician, password = ctx.accounts["physician"]
    treated = _treated(ctx)
    recorded = 0
    if treated:
        pid, adm = treated[0]
        plan = [
            _event(adm, term="Headache", grade=2, outcome="recovering", action="paracetamol"),
            _event(
                adm,
                term="Infusion related reaction",
                grade=3,
                serious_criteria=["hospitalisation"],
                causality="probable",
                action="infusion stopped; IV antihistamine and corticosteroid",
                narrative="Rigors and hypotension 20 minutes into the infusion; the stay "
                "was prolonged by two days for observation.",
                outcome="recovering",
            ),
        ]
        for body in plan:
            service.record_event(ctx.session, nurse, pid, body)
            recorded += 1
    if len(treated) > 1:
        pid, adm = treated[1]
        service.record_event(
            ctx.session,
            nurse,
            pid,
            _event(
                adm,
                term="Fever",
                grade=1,
                outcome="recovered",
                resolution_date=clinic_today().isoformat(),
            ),
        )
        serious = service.record_event(
            ctx.session,
            physician,
            pid,
            _event(
                adm,
                term="Bronchospasm",
                grade=3,
                serious_criteria=["important_medical_event"],
                action="nebulised salbutamol and ipratropium, oxygen",
                narrative="Wheeze and SpO2 89% two hours after the infusion; settled "
                "within four hours.",
                outcome="recovered",
                resolution_date=clinic_today().isoformat(),
            ),
        )
        service.sign_report(
            ctx.session,
            physician,
            serious.id,
            ReportIn(
                kind="initial",
                text="Bronchospasm grade 3 after the first IV infusion, treated on the ward "
                "and resolved the same day; possibly related; not on the reference list "
                "(unexpected). Reported on the 15-day clock.",
                password=password,
            ),
        )
        recorded += 2
    ctx.counts["adverse events"] = recorded
