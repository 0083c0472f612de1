"""The password of an e-signature is hashed before the signing transaction opens
(issue 7: no slow work inside a write transaction): while the hash runs, the database
holds no open write transaction of the request; the transaction only counts the outcome.
Every API route whose body carries a signer's password declares it, and a signed form
whose route forgets to is refused loudly."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from respira.accounts import service as accounts_service
from respira.accounts.models import User
from respira.kit import audit
from respira.kit.db import Database
from respira.kit.web.openapi import api_routes
from tests.screening.test_screening_api import APPROVE, evaluate, sign


def _sqlite_write_locked(db: Database) -> bool:
    """Whether another connection holds SQLite's write lock now (three tries 5 ms apart,
    so that a background writer's moment does not count)."""
    path = db.engine.url.database
    for _ in range(3):
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            time.sleep(0.005)
        finally:
            probe.close()
    return True


@pytest.fixture
def hashes(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Each password verification of the accounts step, as whether a write transaction
    was open while it ran: on SQLite, whether the write lock is held (checked from
    another connection); on both, whether the request's write session is inside a
    transaction."""
    seen: list[bool] = []
    writers: list[Session] = []
    real_verify, real_session = accounts_service.verify_password, db.session

    def session(*, write: bool = False) -> Session:
        opened = real_session(write=write)
        if write:
            writers.append(opened)
        return opened

    def watched(password_hash: str | None, password: str) -> bool:
        # The newest write session is this request's (a previous request's session may
        # still be closing: FastAPI ends a dependency after the answer is sent).
        in_transaction = bool(writers) and writers[-1].in_transaction()
        seen.append(in_transaction or (db.is_sqlite and _sqlite_write_locked(db)))
        return real_verify(password_hash, password)

    monkeypatch.setattr(db, "session", session)
    monkeypatch.setattr(accounts_service, "verify_password", watched)
    yield seen


def _failed_logins(db: Database, user_id: int) -> int:
    with db.session() as session:
        return int(session.scalar(select(User.failed_logins).where(User.id == user_id)) or 0)


def test_a_signature_hashes_its_password_once_with_no_transaction_open(
    db: Database, doc: Any, candidate: Callable[..., int], hashes: list[bool]
) -> None:
    out = evaluate(doc, candidate())
    hashes.clear()
    r = sign(doc, out["id"], APPROVE)
    assert r.status_code == 200, r.text
    assert r.json()["meaning"] == APPROVE
    assert hashes == [False]  # one hash, before the transaction; none inside it
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(audit.Signature)) == 1


def test_a_wrong_signature_password_is_counted_without_hashing_inside_the_transaction(
    db: Database, doc: Any, candidate: Callable[..., int], hashes: list[bool]
) -> None:
    out = evaluate(doc, candidate())
    hashes.clear()
    r = sign(doc, out["id"], APPROVE, password="not-the-password-1")
    assert r.status_code == 403, r.text
    assert hashes == [False]
    assert _failed_logins(db, doc.account.id) == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(audit.Signature)) == 0
        assert audit.verify_chain(session).ok


def test_five_wrong_signature_passwords_still_lock_the_account(
    db: Database, doc: Any, candidate: Callable[..., int], hashes: list[bool]
) -> None:
    out = evaluate(doc, candidate())
    for n in range(5):
        assert sign(doc, out["id"], APPROVE, password=f"wrong-{n}").status_code == 403
    with db.session() as session:
        locked = session.scalar(select(User.locked_until).where(User.id == doc.account.id))
    assert locked is not None
    # Locked: even the right password no longer signs.
    assert sign(doc, out["id"], APPROVE).status_code in (401, 403)
    assert not any(hashes)


def test_a_proof_checked_against_an_older_password_is_not_used(db: Database, doc: Any) -> None:
    """The password changed between the precheck and the transaction: the check hashes
    again against the stored password instead of trusting the proof."""
    user_id = doc.account.id
    proof = accounts_service.precheck_password(db, user_id, doc.account.password)
    assert proof is not None and proof.right
    stale = accounts_service.PasswordProof(
        user_id, "$argon2id$an-older-hash", proof.digest, right=True
    )
    with db.transaction() as session:
        session.info[audit.PASSWORD_PROOFS] = [stale]
        assert accounts_service.reverify_password(session, user_id, "a-wrong-password") is None
    with db.transaction() as session:
        session.info[audit.PASSWORD_PROOFS] = [proof]
        assert accounts_service.reverify_password(session, user_id, doc.account.password)
        assert session.info[audit.PASSWORD_PROOFS] == []  # used once


def test_changing_ones_password_hashes_before_the_transaction(
    db: Database, page_as: Callable[..., Any], hashes: list[bool]
) -> None:
    client = page_as("nurse")
    hashes.clear()
    new = "a fresh passphrase for the ward 7"
    r = client.post(
        "/account/password",
        data={
            "csrf_token": client.csrf("/account/password"),
            "current": client.account.password,
            "password": new,
            "repeat": new,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert hashes == [False]


def _models(route: Any) -> list[type[BaseModel]]:
    field = route.body_field
    annotation = getattr(getattr(field, "field_info", None), "annotation", None)
    if annotation is None and field is not None:
        annotation = getattr(field, "type_", None)
    return (
        [annotation] if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []
    )


def _password_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    paths = []
    for name, info in model.model_fields.items():
        if name == "password":
            paths.append(prefix + name)
        for arg in (info.annotation, *getattr(info.annotation, "__args__", ())):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                paths += _password_paths(arg, f"{prefix}{name}.")
    return paths


def _declared(dependant: Any) -> set[str]:
    found = set()
    for dep in dependant.dependencies:
        declared = getattr(dep.call, "signature_password", None)
        if declared:
            found.add(declared)
        found |= _declared(dep)
    return found


def test_every_api_route_that_takes_a_signers_password_declares_it(app: FastAPI) -> None:
    signing = 0
    for route in api_routes(app):
        if route.path.startswith("/api/v1/auth"):
            continue
        for model in _models(route):
            for path in _password_paths(model):
                signing += 1
                assert path in _declared(route.dependant), (
                    f"{sorted(route.methods)} {route.path} takes {path} but does not declare "
                    f'it: uses(access, signature="{path}")'
                )
    assert signing >= 9  # screening, summaries, courses (3), lots (2), safety (2)
