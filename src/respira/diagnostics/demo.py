"""Diagnostic visits for the demo clinic: each given patient gets a work-up that looks
like one of a handful of typical asthma pictures (reversible allergic asthma, severe
eosinophilic asthma on oral corticosteroids, mild asthma with normal spirometry,
fixed obstruction, a low FVC), with pre- and post-bronchodilator spirometry, markers
and allergy tests, an ACT, the treatment history and, for some, imaging; some patients
also have an earlier visit.

Everything is invented. The measured volumes are drawn around target z-scores using
the patient's own GLI reference values, and then recorded through the ordinary use
cases, so that every computed figure comes from ``respira.science`` exactly as for a
real patient and every record is in the audit trail (actor ``respira-demo``).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from respira.diagnostics import service
from respira.diagnostics.schemas import (
    HistoryIn,
    ImagingIn,
    MarkersIn,
    QuestionnaireIn,
    SpirometryIn,
    VisitIn,
)
from respira.kit.actors import Actor
from respira.kit.step import DemoContext
from respira.kit.validation import decimal_age, today_utc
from respira.patients import service as patients_service
from respira.patients.service import Patient
from respira.science.spirometry import Z_LIMIT, reference_values, sex_code

DEMO_ACTOR = Actor.system("respira-demo")


@dataclass(frozen=True)
class Picture:
    """A typical presentation: target pre-BD z-scores, the bronchodilator response as
    % of predicted, marker ranges and the treatment it usually comes with."""

    name: str
    ratio_z: tuple[float, float]
    fvc_z: tuple[float, float]
    bdr_fev1_pct: tuple[float, float]
    bdr_fvc_pct: tuple[float, float]
    eosinophils: tuple[int, int]
    feno: tuple[int, int]
    ige: tuple[int, int]
    sensitised: bool
    on_ocs: bool
    act_total: tuple[int, int]
    gina_step: int
    ics: str
    exacerbations: tuple[int, int]


PICTURES: tuple[Picture, ...] = (
    Picture(
        "reversible allergic asthma",
        (-2.6, -1.9),
        (-0.9, 0.2),
        (12, 20),
        (3, 8),
        (320, 650),
        (35, 85),
        (180, 900),
        True,
        False,
        (11, 17),
        4,
        "medium",
        (1, 3),
    ),
    Picture(
        "severe eosinophilic asthma on oral corticosteroids",
        (-3.2, -2.4),
        (-2.4, -1.8),
        (7, 12),
        (5, 11),
        (160, 420),
        (25, 55),
        (40, 250),
        False,
        True,
        (7, 13),
        5,
        "high",
        (3, 5),
    ),
    Picture(
        "mild asthma, normal spirometry, positive bronchodilator test",
        (-1.3, -0.4),
        (-0.5, 0.6),
        (10.5, 15),
        (2, 6),
        (150, 280),
        (18, 32),
        (60, 300),
        True,
        False,
        (17, 22),
        2,
        "low",
        (0, 1),
    ),
    Picture(
        "fixed obstruction, type-2-low",
        (-3.0, -2.2),
        (-1.2, -0.3),
        (1, 5),
        (0, 4),
        (60, 140),
        (8, 18),
        (10, 90),
        False,
        False,
        (13, 19),
        4,
        "high",
        (1, 2),
    ),
    Picture(
        "low FVC with a normal ratio",
        (-0.6, 0.6),
        (-2.6, -1.9),
        (2, 6),
        (3, 7),
        (100, 320),
        (12, 30),
        (30, 200),
        True,
        False,
        (15, 20),
        3,
        "medium",
        (0, 2),
    ),
)
ALLERGENS = ("house dust mite", "grass pollen", "birch pollen", "cat dander", "Alternaria")
FINDINGS = {
    False: ("No focal consolidation, no effusion.", "Normal chest radiograph."),
    True: ("Bronchial wall thickening, mild hyperinflation.", "Mosaic attenuation, air trapping."),
}


def _measured(pred: float, lln: float, z: float) -> float:
    # The LMS curve near the median is close to log-normal: ln x ≈ ln M + z·σ with
    # σ = (ln M − ln LLN)/1.645. Only a target; the science computes the real z.
    sigma = (math.log(pred) - math.log(lln)) / Z_LIMIT
    return pred * math.exp(z * sigma)


def _spirometry(rng: random.Random, patient: Patient, on: dt.date, pic: Picture) -> SpirometryIn:
    assert patient.height_cm is not None
    sex = sex_code(patient.sex_at_birth)
    age = decimal_age(patient.date_of_birth, on)
    kw: dict[str, Any] = {"sex": sex, "age": age, "height_cm": patient.height_cm}
    fvc_ref = reference_values("gli-global", "fvc", **kw)
    ratio_ref = reference_values("gli-global", "fev1fvc", **kw)
    fev1_ref = reference_values("gli-global", "fev1", **kw)
    fvc = _measured(fvc_ref.pred, fvc_ref.lln, rng.uniform(*pic.fvc_z))
    ratio = min(_measured(ratio_ref.pred, ratio_ref.lln, rng.uniform(*pic.ratio_z)), 0.97)
    fev1 = fvc * ratio
    fev1_post = fev1 + rng.uniform(*pic.bdr_fev1_pct) / 100 * fev1_ref.pred
    fvc_post = max(fvc + rng.uniform(*pic.bdr_fvc_pct) / 100 * fvc_ref.pred, fev1_post + 0.05)
    return SpirometryIn(
        equations="gli-global",
        fev1_pre_l=round(min(max(fev1, 0.3), 7.5), 2),
        fvc_pre_l=round(min(max(fvc, 0.4), 9.5), 2),
        fev1_post_l=round(min(max(fev1_post, 0.3), 7.9), 2),
        fvc_post_l=round(min(max(fvc_post, 0.4), 9.9), 2),
        bronchodilator="salbutamol",
        bronchodilator_dose_ug=400,
    )


def _act_answers(rng: random.Random, total: int) -> list[int]:
    answers = [1] * 5
    for _ in range(total - 5):
        i = rng.choice([i for i in range(5) if answers[i] < 5])
        answers[i] += 1
    return answers


def _history(rng: random.Random, on: dt.date, pic: Picture) -> HistoryIn:
    exacerbations = rng.randint(*pic.exacerbations)
    hospitalisations = rng.randint(0, min(exacerbations, 2)) if exacerbations > 1 else 0
    last = on - dt.timedelta(days=rng.randint(35, 330)) if exacerbations else None
    biologic = "none"
    if pic.gina_step == 5 and rng.random() < 0.4:
        biologic = rng.choice(["mepolizumab", "benralizumab", "dupilumab"])
    return HistoryIn(
        ics_dose_level=pic.ics,
        laba=pic.gina_step >= 3,
        lama=pic.gina_step == 5,
        maintenance_ocs=pic.on_ocs,
        ocs_dose_mg_per_day=rng.choice([5.0, 7.5, 10.0]) if pic.on_ocs else None,
        biologic=biologic,
        gina_step=pic.gina_step,
        gina_track=rng.choice([1, 2]),
        severe_exacerbations_12m=exacerbations,
        hospitalisations_12m=hospitalisations,
        last_exacerbation_date=last,
        last_systemic_cs_date=last,
        rescue_puffs_per_week=float(rng.choice([0, 2, 4, 8, 14, 21, 28]) if exacerbations else 2),
        adherence_confirmed=rng.choice(["yes", "yes", "unknown"]),
        inhaler_technique_confirmed=rng.choice(["yes", "no", "unknown"]),
    )


def _markers(rng: random.Random, pic: Picture) -> MarkersIn:
    tested = rng.sample(ALLERGENS, 3)
    positives = {tested[0]} if pic.sensitised else set()
    if pic.sensitised and rng.random() < 0.5:
        positives.add(tested[1])
    return MarkersIn.model_validate(
        {
            "blood_eosinophils_per_ul": rng.randrange(pic.eosinophils[0], pic.eosinophils[1], 10),
            "feno_ppb": rng.randint(*pic.feno),
            "total_ige_iu_ml": rng.randint(*pic.ige),
            "sensitisations": [
                {
                    "allergen": a,
                    "positive": a in positives,
                    "method": rng.choice(["skin_prick", "sige"]),
                }
                for a in tested
            ],
            "on_maintenance_ocs": pic.on_ocs,
        }
    )


def _record_visit(
    session: Session, rng: random.Random, patient: Patient, on: dt.date, pic: Picture
) -> None:
    visit = service.create_visit(session, DEMO_ACTOR, patient.id, VisitIn(visit_date=on))
    if patient.height_cm is not None:
        service.record_spirometry(session, DEMO_ACTOR, visit.id, _spirometry(rng, patient, on, pic))
    service.record_markers(session, DEMO_ACTOR, visit.id, _markers(rng, pic))
    answers = _act_answers(rng, rng.randint(*pic.act_total))
    service.record_questionnaire(
        session,
        DEMO_ACTOR,
        visit.id,
        QuestionnaireIn(instrument="act", answers=answers, respondent="self", mode="paper"),
    )
    service.record_history(session, DEMO_ACTOR, visit.id, _history(rng, on, pic))
    if pic.exacerbations[1] >= 3 and rng.random() < 0.6:
        abnormal = rng.random() < 0.5
        service.record_imaging(
            session,
            DEMO_ACTOR,
            visit.id,
            ImagingIn(
                modality="chest_xray" if not abnormal else "hrct",
                study_date=on,
                findings=rng.choice(FINDINGS[abnormal]),
                abnormal=abnormal,
                clinically_indicated=True,
                indication="Frequent exacerbations: exclude other lung disease",
            ),
        )


def seed_demo(session: Session, rng: random.Random, patient_ids: Sequence[int]) -> int:
    """Record demo visits for the patients; returns the number of visits recorded."""
    today = today_utc()
    visits = 0
    for patient_id in patient_ids:
        patient = patients_service.find(session, patient_id)
        if patient is None:
            continue
        pic = rng.choice(PICTURES)
        on = today - dt.timedelta(days=rng.randint(3, 60))
        if on < patient.date_of_birth:
            continue
        if rng.random() < 0.3:
            earlier = on - dt.timedelta(days=rng.randint(150, 400))
            if earlier > patient.date_of_birth:
                _record_visit(session, rng, patient, earlier, pic)
                visits += 1
        _record_visit(session, rng, patient, on, pic)
        visits += 1
    return visits


def seed(ctx: DemoContext) -> None:
    ctx.counts["diagnostic visits"] = seed_demo(ctx.session, ctx.rng, ctx.worked_up)
