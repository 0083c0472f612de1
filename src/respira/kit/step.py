"""What a step of the road declares about itself: its manifest.

Every step package (``respira/patients``, ``respira/diagnostics``, ...) exports one
``STEP = Step(...)`` from its ``__init__``. The application (``respira.app.steps``)
collects the manifests of the steps it lists and wires them up in one place: the
routers into the web app, the models into the metadata Alembic and the tests read, the
patient-page sections and navigation entries into the page shell, the demo seeding into
the demo clinic, command-line groups into ``respira``, and the services a step provides
to the kit (the accounts step provides sign-in and the signature password check).

A manifest names code by ``"module:attribute"`` relative to its package, so importing a
step's package stays cheap and free of cycles; the app resolves the names when it
builds. Adding a step is one new package and one line in ``respira.app.steps.STEPS``.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from respira.kit.actors import Actor, Role


@dataclass(frozen=True, slots=True)
class Nav:
    """A navigation entry shown to the listed roles (lower ``order`` first)."""

    label: str
    href: str
    roles: frozenset[Role]
    order: int = 50


@dataclass(frozen=True, slots=True)
class Section:
    """A section of the patient's page: ``template`` rendered with what ``context``
    (``"module:function"``, called as ``fn(session, actor, patient)``) returns, or
    hidden when it returns None."""

    order: int
    template: str
    context: str


@dataclass(frozen=True, slots=True)
class WorkRow:
    """One piece of work in a worklist item: ``text`` (a patient's name, a request's
    sender: data, shown as it is), where it is done (``href``), and an optional ``note``
    in English marked with ``N_`` (shown in the reader's language, ``note % params``;
    dates and numbers among the params are shown in the reader's locale)."""

    text: str
    href: str
    note: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    urgency: str = "normal"  # "overdue" | "attention" | "normal"


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One line of a user's worklist on the home page, from a step's worklist provider
    (``Step.worklists``): ``label`` in English marked with ``N_`` (``label % params``
    in the reader's language), how many things wait (``count``), where they are worked
    on (``href``, or None when only the rows link), ``urgency`` ("overdue" first, then
    "attention", then "normal"), and the first of the things themselves (``rows``)."""

    label: str
    count: int
    href: str | None
    urgency: str = "normal"
    params: Mapping[str, Any] = field(default_factory=dict)
    rows: tuple[WorkRow, ...] = ()


@dataclass(frozen=True, slots=True)
class Job:
    """A periodic job the app runs in its jobs process (``respira jobs run``, started by
    ``respira serve``): ``run`` (``"module:function"``) is called as ``fn(db, now)``
    with the app's ``Database`` and the time, manages its own transactions, and answers
    how many things it did. It must be safe to run twice at once (claim rows before work
    that leaves the database, such as sending mail)."""

    name: str
    run: str
    every_s: float = 60.0


@dataclass
class DemoContext:
    """What the demo clinic's seeding passes from step to step, in the app's order of
    steps: the patients seeded so far, the accounts (role → actor and password, so that
    a step can e-sign as the demo physician), and what each step seeded, for the
    operator's summary."""

    session: Session
    rng: random.Random
    patient_count: int = 50
    patient_ids: list[int] = field(default_factory=list)
    accounts: dict[str, tuple[Actor, str]] = field(default_factory=dict)
    printed_accounts: list[tuple[str, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def worked_up(self) -> list[int]:
        """The patients with a diagnostic work-up: three in five of them."""
        return self.patient_ids[: int(len(self.patient_ids) * 0.6)]


@dataclass(frozen=True)
class Step:
    """One step's manifest. ``package`` is the step's package name (``__name__`` of
    its ``__init__``); every ``"module:attribute"`` is resolved inside it."""

    name: str
    package: str
    # A step with the usual rooms (models.py, api.py and pages.py with a ``router``
    # each, demo.py with ``seed``) declares none of them; a step without one says so
    # (``models=()``, ``demo=None``, ``routers=("pages:router",)``).
    models: tuple[str, ...] = ("models",)
    routers: tuple[str, ...] = ("api:router", "pages:router")
    sections: tuple[Section, ...] = ()
    nav: tuple[Nav, ...] = ()
    demo: str | None = "demo:seed"
    cli: Mapping[str, str] = field(default_factory=dict)
    provides: Mapping[str, str] = field(default_factory=dict)
    # Events of other steps this step acts on: event name → ``"module:function"``,
    # called inside the emitting transaction (see ``respira.kit.events``).
    listens: Mapping[str, str] = field(default_factory=dict)
    jobs: tuple[Job, ...] = ()
    # ``"module:function"`` called as ``fn(db, actor)`` for every page a signed-in user
    # sees; answers ``kit.web.templating.Banner``s shown at the top until dealt with.
    banners: tuple[str, ...] = ()
    # ``"module:function"`` called as ``fn(session, actor)`` for a signed-in user's home
    # page, all in one read transaction; answers the ``WorkItem``s of the actor's role
    # (an empty list for the roles the step has no work for).
    worklists: tuple[str, ...] = ()
    has_templates: bool = True

    def resolve(self, ref: str) -> Any:
        module, _, attribute = ref.partition(":")
        loaded = importlib.import_module(f"{self.package}.{module}")
        return getattr(loaded, attribute) if attribute else loaded

    @property
    def template_dir(self) -> Path | None:
        if not self.has_templates:
            return None
        spec = importlib.util.find_spec(self.package)
        assert spec is not None and spec.origin is not None
        return Path(spec.origin).parent / "templates"

    def demo_seeder(self) -> Callable[[DemoContext], None] | None:
        return self.resolve(self.demo) if self.demo else None
