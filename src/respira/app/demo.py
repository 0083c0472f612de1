"""The demo clinic: one account per role and about fifty synthetic patients, with
something at every step of the road, so that a newcomer sees a living clinic.
Everything is invented; each step seeds its own part (its manifest's ``demo``), in
the app's order of steps, with one fixed random seed so that the demo is the same on
every machine (the passwords are not: they are random and printed once)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from respira.accounts import service as accounts_service
from respira.accounts.demo import DEMO_DOMAIN
from respira.app import steps
from respira.kit.db import Database
from respira.kit.step import DemoContext
from respira.patients.demo import PATIENT_COUNT


@dataclass
class DemoResult:
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def seed(
    database: Database, *, patients: int = PATIENT_COUNT, seed_value: int = 20261123
) -> DemoResult | None:
    """Seed the demo clinic once. Returns None when it is already there.

    The clinic has something at every step of the road: consultation requests in
    several languages and triage states (one converted into a patient), registered
    patients without a work-up yet, diagnostic visits (spirometry with bronchodilator
    test, markers, questionnaires, history), and screenings — approved and declined
    with real e-signatures of the demo physician, and some waiting for review.
    """
    loaded = steps.load()
    with database.transaction() as session:
        if accounts_service.email_taken(session, f"admin@{DEMO_DOMAIN}"):
            return None
        rng = random.Random(seed_value)  # noqa: S311 (synthetic data, not security)
        ctx = DemoContext(session=session, rng=rng, patient_count=patients)
        for step in loaded.steps:
            seeder = step.demo_seeder()
            if seeder is not None:
                seeder(ctx)
                session.commit()
    return DemoResult(accounts=ctx.printed_accounts, counts=ctx.counts)
