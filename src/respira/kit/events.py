"""Events between steps: a step announces what happened; later steps act on it.

A step of the road must not call into the steps that come after it (the treatment step
does not know that follow-up exists), yet discharge must start the follow-up schedule.
The earlier step *emits* a named event inside its own transaction; every step that
declares ``listens={"treatment.discharged": "service:on_discharge"}`` in its manifest
is called with the same session and actor, so its work commits or rolls back with the
emitter's. Listeners run in the app's order of steps; an error in one refuses the
whole change, as any other error in the transaction would.

Event names are ``"<step>.<what happened>"``; the payload is keyword arguments of plain
values (ids, dates), documented where the event is emitted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from respira.kit.actors import Actor

Listener = Callable[..., None]

_LISTENERS: dict[str, list[Listener]] = {}


def install(listeners: dict[str, list[Listener]]) -> None:
    """Replace the registry (called by the app when it loads the steps)."""
    _LISTENERS.clear()
    for name, fns in listeners.items():
        _LISTENERS[name] = list(fns)


def listeners(name: str) -> list[Listener]:
    return list(_LISTENERS.get(name, ()))


def emit(session: Session, actor: Actor, name: str, **payload: Any) -> None:
    """Call every listener of ``name`` as ``fn(session, actor, **payload)``."""
    for fn in _LISTENERS.get(name, ()):
        fn(session, actor, **payload)
