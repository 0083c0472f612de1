"""The application's list of steps and the one place that wires them up.

``STEPS`` names the step packages in the order of the road (which is also the order in
which the demo clinic is seeded: patients before the accounts that point at them).
``load()`` imports every step's manifest and models, installs what the steps provide
to the kit (the signature password check), and answers the collected parts; the web
app, the command line, the demo and Alembic all start here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData

from respira.kit import audit, events
from respira.kit.db import Base
from respira.kit.step import Job, Nav, Section, Step

if TYPE_CHECKING:  # the web framework is not loaded for the command line
    from fastapi import APIRouter

STEPS: tuple[str, ...] = (
    "respira.patients",
    "respira.accounts",
    "respira.mail",
    "respira.audit_trail",
    "respira.intake",
    "respira.diagnostics",
    "respira.screening",
    "respira.products",
    "respira.protocols",
    "respira.treatment",
    "respira.safety",
    "respira.followup",
    "respira.appointments",
    "respira.messages",
    "respira.portal",
    "respira.summaries",
    "respira.fhir",
    "respira.outcomes",
    "respira.quotes",
    "respira.logistics",
    "respira.mechanism",
    "respira.batch",
)


@dataclass(frozen=True)
class Loaded:
    steps: tuple[Step, ...]
    metadata: MetaData

    def routers(self) -> list[APIRouter]:
        return [step.resolve(ref) for step in self.steps for ref in step.routers]

    def nav(self) -> list[Nav]:
        return sorted(
            (item for step in self.steps for item in step.nav),
            key=lambda item: (item.order, item.label),
        )

    def sections(self) -> list[tuple[Section, Any]]:
        """Patient-page sections in page order, each with its context function."""
        found = [(s, step.resolve(s.context)) for step in self.steps for s in step.sections]
        return sorted(found, key=lambda pair: pair[0].order)

    def template_dirs(self) -> list[Path]:
        return [d for d in (step.template_dir for step in self.steps) if d is not None]

    def jobs(self) -> list[tuple[Job, Any]]:
        """Every periodic job with its function, in the app's order of steps."""
        return [(job, step.resolve(job.run)) for step in self.steps for job in step.jobs]

    def banners(self) -> list[Any]:
        return [step.resolve(ref) for step in self.steps for ref in step.banners]

    def worklists(self) -> list[Any]:
        """The worklist providers, ``fn(session, actor) -> list[WorkItem]``, in the
        app's order of steps."""
        return [step.resolve(ref) for step in self.steps for ref in step.worklists]

    def listeners(self) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for step in self.steps:
            for name, ref in step.listens.items():
                found.setdefault(name, []).append(step.resolve(ref))
        return found

    def provided(self, what: str) -> Any:
        providers = [step for step in self.steps if what in step.provides]
        if len(providers) != 1:
            raise RuntimeError(f"exactly one step must provide {what!r}, found {len(providers)}")
        return providers[0].resolve(providers[0].provides[what])


def manifests() -> tuple[Step, ...]:
    return tuple(importlib.import_module(name).STEP for name in STEPS)


@cache
def load() -> Loaded:
    steps = manifests()
    for step in steps:
        for ref in step.models:
            step.resolve(ref)
    loaded = Loaded(steps=steps, metadata=Base.metadata)
    audit.install_password_check(loaded.provided("password_check"))
    audit.install_password_precheck(loaded.provided("password_precheck"))
    events.install(loaded.listeners())
    return loaded
