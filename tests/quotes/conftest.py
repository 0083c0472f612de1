"""Fixtures of the quotes' tests: the billing office (``quotes_helpers.Billing``) with
its price list saved, on the stay's test clinic (tests/treatment) for the tests that
price an approved course."""

from __future__ import annotations

from typing import Any

import pytest

from tests.quotes.quotes_helpers import Billing
from tests.treatment.conftest import clinic, snapshots  # noqa: F401 (fixtures)


@pytest.fixture
def office(db: Any, make_patient: Any, make_account: Any) -> Billing:
    """The office without the clinic: quotes from lines and provisional plans."""
    billing = Billing(db, make_patient, make_account)
    billing.prices = billing.price_list()
    return billing


@pytest.fixture
def course_office(db: Any, make_patient: Any, make_account: Any, clinic: Any) -> Billing:  # noqa: F811
    """The office on the stay's clinic: quotes from approved courses."""
    billing = Billing(db, make_patient, make_account, clinic)
    billing.prices = billing.price_list()
    return billing
