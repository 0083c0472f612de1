"""Shared helpers of the intake tests (and the access matrix's ids)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from respira.intake import service
from respira.intake.messages import CONSENT_TEXT_VERSION
from respira.intake.schemas import ConsultationRequestIn
from respira.kit.actors import Actor
from respira.kit.db import Database, utcnow

# The shortest way from new to each status that a PATCH can reach.
PATH_TO: dict[str, tuple[str, ...]] = {
    "new": (),
    "contacted": ("contacted",),
    "scheduled": ("contacted", "scheduled"),
    "declined": ("declined",),
}

CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def request_data(**overrides: Any) -> dict[str, Any]:
    """A valid consultation request as the API takes it."""
    data: dict[str, Any] = {
        "kind": "consultation",
        "name": "Katharina Vogel",
        "email": "k.vogel@mail.example",
        "phone": "+49 30 1234567",
        "country": "DE",
        "preferred_language": "de",
        "preferred_contact_time": "werktags ab 18 Uhr",
        "description": "Asthma seit der Kindheit,\nseit zwei Jahren schlecht kontrolliert.",
        "consent": True,
        "consent_text_version": CONSENT_TEXT_VERSION,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not ...}


def form_data(**overrides: Any) -> dict[str, Any]:
    """A valid submission of the public form (the consent box ticked)."""
    data = request_data(**overrides)
    if "consent" in data:
        data["consent"] = "yes" if data["consent"] is True else data["consent"]
    return {k: v for k, v in data.items() if v is not None and v is not False}


def make_request(db: Database, **overrides: Any) -> int:
    """Store a request directly (bypassing the rate limit); returns its id."""
    channel = overrides.pop("channel", "web")
    language = overrides.pop("language", "en")
    created_at = overrides.pop("created_at", None)
    data = ConsultationRequestIn.model_validate(request_data(**overrides))
    with db.transaction() as session:
        req = service.add_request(
            session,
            Actor.system("test"),
            data,
            channel=channel,
            language=language,
            now=created_at or utcnow(),
        )
        return req.id


def intake_access_ids(db: Database) -> dict[str, Any]:
    return {"consultation_request_id": make_request(db, name="Matrix Walker")}


def csrf(client: TestClient, path: str = "/consultation", **kw: Any) -> str:
    r = client.get(path, **kw)
    m = CSRF_RE.search(r.text)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def post_consultation(client: TestClient, data: dict[str, Any], **kw: Any) -> Any:
    kw.setdefault("follow_redirects", False)
    headers = kw.get("headers")
    token = csrf(client, headers=headers) if headers else csrf(client)
    return client.post("/consultation", data={"csrf_token": token, **data}, **kw)
