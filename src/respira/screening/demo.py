"""Screenings for the demo clinic: findings and screenings for some of the synthetic
patients, so that a newcomer sees eligible candidates signed "approved eligibility",
excluded ones signed "declined", and screenings that still need review.

Everything goes through the real use cases: the physician's findings, the evaluation
of the active criteria set, and e-signatures with the physician's password (a
signature without password re-entry would not be a signature). A patient with no
diagnostic work-up gets a compact one first (a visit with blood eosinophils, an ACT and
a treatment history, through ``respira.diagnostics.service``), since a screening
decides on diagnostics as well.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from respira.diagnostics import service as diagnostics_service
from respira.diagnostics.schemas import HistoryIn, MarkersIn, QuestionnaireIn, VisitIn
from respira.kit.actors import Actor
from respira.kit.clinic_time import clinic_today
from respira.kit.step import DemoContext
from respira.kit.validation import age_years
from respira.patients.service import Patient
from respira.screening import service
from respira.screening.schemas import clear_findings

DEMO_SCREENINGS = 12
# One exclusion each, as the physician would record it.
_EXCLUSIONS: list[dict[str, Any]] = [
    {"pneumonia": "yes"},
    {"heart_failure_nyha": "III"},
    {"malignancy_active_or_within_5y": "yes"},
    {"current_smoker": "yes", "ever_smoked": "yes"},
    {"vaping": "yes"},
    {"immunosuppressant_30d": "yes"},
    {"dialysis": "yes"},
]
# Questions left open, so that the screening needs review.
_OPEN: list[dict[str, Any]] = [
    {"stable_general_health": "unknown"},
    {"tb_screening_result": None, "tb_screening_on": None},
    {"hepatic_impairment": "unknown", "decision_capacity": "unknown"},
]


def _work_up(
    session: Session, actor: Actor, rng: random.Random, patient_id: int, today: dt.date
) -> None:
    """A compact diagnostic visit: uncontrolled asthma on step 4–5, stable lately."""
    visit_date = today - dt.timedelta(days=rng.randint(3, 20))
    visit = diagnostics_service.create_visit(
        session, actor, patient_id, VisitIn(visit_date=visit_date)
    )
    diagnostics_service.record_markers(
        session,
        actor,
        visit.id,
        MarkersIn(blood_eosinophils_per_ul=float(rng.randrange(150, 700, 10))),
    )
    # ACT: five items scored 1–5; a total of 10–18 is "not well controlled".
    answers = [rng.randint(2, 4) for _ in range(5)]
    diagnostics_service.record_questionnaire(
        session, actor, visit.id, QuestionnaireIn(instrument="act", answers=list(answers))
    )
    last = visit_date - dt.timedelta(days=rng.randint(45, 200))
    exacerbations = rng.randint(2, 4)
    diagnostics_service.record_history(
        session,
        actor,
        visit.id,
        HistoryIn(
            ics_dose_level="high",
            laba=True,
            lama=rng.random() < 0.5,
            maintenance_ocs=False,
            biologic="none",
            gina_step=rng.choice([4, 5]),
            severe_exacerbations_12m=exacerbations,
            hospitalisations_12m=rng.randint(0, 1),
            last_exacerbation_date=last,
            last_systemic_cs_date=last,
            rescue_puffs_per_week=float(rng.randint(6, 30)),
            adherence_confirmed="yes",
            inhaler_technique_confirmed="yes",
        ),
    )


def seed_demo(
    session: Session,
    rng: random.Random,
    patient_ids: Sequence[int],
    physician_actor: Actor,
    *,
    password: str,
) -> int:
    """Findings and screenings for up to 12 of the patients; returns how many
    screenings were stored. ``physician_actor`` must be a physician's account and
    ``password`` its password: the approvals and declines are real e-signatures."""
    today = clinic_today()
    patients = [p for p in (session.get(Patient, i) for i in patient_ids) if p is not None]
    in_age = [p for p in patients if 18 <= age_years(p.date_of_birth, today) <= 65]
    # Approvals and open reviews among patients within the age bounds, so that what
    # decides them is what the scenario is about; declines among everyone else.
    third = DEMO_SCREENINGS // 3
    approve = rng.sample(in_age, min(third, len(in_age)))
    left = [p for p in in_age if p not in approve]
    review = rng.sample(left, min(third, len(left)))
    rest = [p for p in patients if p not in approve and p not in review]
    decline = rng.sample(rest, min(DEMO_SCREENINGS - len(approve) - len(review), len(rest)))
    plan = [(p, "approve") for p in approve] + [(p, "review") for p in review]
    plan += [(p, "decline") for p in decline]
    stored = 0
    for patient, scenario in plan:
        patient_id = patient.id
        if diagnostics_service.clinical_snapshot(session, patient_id).gina_step is None:
            _work_up(session, physician_actor, rng, patient_id, today)
        if scenario == "approve":
            changes: dict[str, Any] = {}
        elif scenario == "decline":
            changes = rng.choice(_EXCLUSIONS)
        else:
            changes = rng.choice(_OPEN)
        service.record_findings(
            session,
            physician_actor,
            patient_id,
            clear_findings(patient.sex_at_birth, today, **changes),
        )
        out = service.evaluate_screening(session, physician_actor, patient_id, note="demo clinic")
        stored += 1
        if scenario == "review" and out.decision == "needs_review":
            continue
        # Whatever was planned, "approved eligibility" is signed only for an eligible one.
        meaning = service.APPROVED if out.decision == "eligible" else service.DECLINED
        service.sign_screening(
            session,
            physician_actor,
            out.id,
            password=password,
            meaning=meaning,
            expected_version=out.version,
        )
    return stored


def seed(ctx: DemoContext) -> None:
    physician, password = ctx.accounts["physician"]
    ctx.counts["screenings"] = seed_demo(
        ctx.session, ctx.rng, ctx.worked_up, physician, password=password
    )
