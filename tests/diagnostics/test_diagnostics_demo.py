"""The demo clinic's diagnostic visits: recorded through the ordinary use cases, with
varied patterns and bronchodilator responses, by the demo actor."""

from __future__ import annotations

import random

from sqlalchemy import select

from respira.diagnostics import models
from respira.diagnostics.demo import seed_demo
from respira.diagnostics.snapshot import clinical_snapshot
from respira.kit.actors import Actor
from respira.kit.audit import AuditRecord
from respira.patients import service as patients_service
from respira.patients.demo import synthetic_patients


def test_seed_demo_records_varied_realistic_visits(db):
    rng = random.Random(7)
    with db.transaction() as session:
        ids = [
            patients_service.add_patient(session, Actor.system("test"), p).id
            for p in synthetic_patients(30, rng)
        ]
    with db.transaction() as session:
        count = seed_demo(session, random.Random(11), ids)
    assert count >= 30
    with db.session() as session:
        visits = session.scalars(select(models.DiagnosticVisit)).all()
        sessions = session.scalars(select(models.SpirometrySession)).all()
        assert len(visits) == count
        assert {s.pattern for s in sessions} >= {"normal", "obstruction"}
        assert len({s.pattern for s in sessions}) >= 3
        assert {s.bdr for s in sessions} == {True, False}
        assert all(s.fev1_post_l is not None for s in sessions)
        assert len(session.scalars(select(models.MarkerPanel)).all()) == count
        acts = session.scalars(select(models.QuestionnaireResponse)).all()
        assert len(acts) == count and {q.instrument for q in acts} == {"act"}
        assert len({q.band for q in acts}) >= 2
        assert len(session.scalars(select(models.TreatmentHistory)).all()) == count
        phenotypes = {m.phenotype for m in session.scalars(select(models.MarkerPanel))}
        assert len(phenotypes) >= 3
        actors = {
            r.actor_name
            for r in session.scalars(
                select(AuditRecord).where(AuditRecord.entity_type == "spirometry_session")
            )
        }
        assert actors == {"respira-demo"}
        snap = clinical_snapshot(session, ids[0])
        assert snap.spirometry_pattern is not None and snap.act_score is not None
