"""Fixtures of the intake tests: a public visitor's client from a chosen address."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient


@pytest.fixture
def visitor(app: FastAPI) -> Iterator[Callable[..., TestClient]]:
    """A browser-like client of the public from an address (default 198.51.100.7)."""
    clients: list[TestClient] = []

    def make(address: str = "198.51.100.7", **headers: str) -> TestClient:
        c = TestClient(app, client=(address, 50000), headers=headers or None)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()
