"""Fixtures of the messages' tests (the portal's tests use them too): a patient with a
portal account (German-speaking), a physician of the care team, and clients signed in
as an existing account."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import PageClient, sign_in


@pytest.fixture
def patient(make_patient: Callable[..., int], make_account: Callable[..., Any]) -> Any:
    pid = make_patient(
        first_name="Hanna", last_name="Brandt", email="hanna@mail.example", preferred_language="de"
    )
    return make_account("patient", patient_id=pid, email="hanna@mail.example")


@pytest.fixture
def physician(make_account: Callable[..., Any]) -> Any:
    return make_account("physician")


@pytest.fixture
def browser(app: Any) -> Iterator[Callable[..., PageClient]]:
    """Clients as a browser: ``browser()`` signed in as nobody, ``browser(account)`` as
    an existing account (a patient's own)."""
    clients: list[PageClient] = []

    def make(account: Any = None) -> PageClient:
        client = PageClient(app)
        if account is not None:
            sign_in(client, account)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
