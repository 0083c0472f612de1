"""Fixtures of the portal's tests: the stay's clinic (tests/treatment) for discharges,
the messages' patient, physician and browser clients, and the events' listeners as the
app installs them."""

from __future__ import annotations

import pytest

from respira.app import steps
from respira.kit import events
from tests.messages.conftest import browser, patient, physician  # noqa: F401 (fixtures)
from tests.treatment.conftest import clinic, ready, snapshots  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def app_listeners() -> None:
    """The listeners the manifests declare (a test elsewhere may have replaced them)."""
    events.install(steps.load().listeners())
