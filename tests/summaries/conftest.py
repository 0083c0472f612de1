"""Fixtures of the summaries' tests: the stay's clinic and the follow-up's discharged
patients (tests/treatment, tests/followup), and ``road``: a patient with the whole road
(``summaries_helpers.SummaryClinic.whole_road``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.followup.conftest import fu  # noqa: F401 (fixtures)
from tests.summaries.summaries_helpers import Road, SummaryClinic
from tests.treatment.conftest import clinic, snapshots  # noqa: F401 (fixtures)


@pytest.fixture
def sc(fu: Any, make_account: Any) -> SummaryClinic:  # noqa: F811
    return SummaryClinic(fu, make_account)


@pytest.fixture
def road(sc: SummaryClinic) -> Road:
    return sc.whole_road(preferred_language="de")
