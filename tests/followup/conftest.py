"""Fixtures of the follow-up's tests: the stay's clinic (``tests/treatment``) with a way
to discharge patients through the real use cases and to let time pass."""

from __future__ import annotations

from typing import Any

import pytest

from tests.followup.followup_helpers import FollowUpClinic
from tests.treatment.conftest import clinic, snapshots  # noqa: F401 (fixtures)


@pytest.fixture
def fu(clinic: Any) -> FollowUpClinic:  # noqa: F811
    return FollowUpClinic(clinic)
