"""The hook that notes every member of staff's read of a patient's record, once for all
routes.

A ``GET`` answered 2xx to a signed-in actor is handed, after the route has answered, to
the recorder the app installs (``app.state.patient_reads``; the audit trail provides it,
``respira.audit_trail.access``), with the matched route and its path parameters. The
recorder decides from the route's path parameters whether it read a patient's record
and whose (``patient_id``, or a record of a patient such as ``screening_id``); a route
whose path does not say (a FHIR resource read) names the patient itself with
``reads_patient``. A refused read (401, 403, 404, 409, ...) answers no 2xx and is never
noted. The recorder only queues: the read never waits for the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from fastapi import Request

from respira.kit.actors import Actor
from respira.kit.db import Database

# Where a route that resolved its patient itself leaves it for the recorder.
PATIENT_READ = "respira_patient_read"


class PatientReads(Protocol):
    """What the app calls after a 2xx ``GET`` of a signed-in actor."""

    def __call__(
        self,
        db: Database,
        actor: Actor,
        route: Any,
        path_params: Mapping[str, Any],
        declared: tuple[int, str] | None,
    ) -> None: ...


def reads_patient(request: Request, patient_id: int, what: str) -> None:
    """Declare that this route read the record of ``patient_id`` (``what``: a short
    description such as ``"Observation 12-fev1"``), for a route whose path does not name
    the patient or one of their records. Noted only if the route answers 2xx."""
    setattr(request.state, PATIENT_READ, (patient_id, what))


def note_read(scope: dict[str, Any], status: int) -> None:
    """Called by the middleware once a request is answered: hand a staff member's
    successful read to the app's recorder."""
    if not 200 <= status < 300 or scope.get("method") != "GET":
        return
    state = scope.get("state")
    if not state:
        return
    actor = state.get("actor")
    route = scope.get("route")
    if actor is None or route is None or actor.user_id is None:
        return
    app = scope.get("app")
    recorder: PatientReads | None = getattr(getattr(app, "state", None), "patient_reads", None)
    if recorder is None:
        return
    path_params = scope.get("path_params") or {}
    recorder(app.state.db, actor, route, path_params, state.get(PATIENT_READ))  # type: ignore[union-attr]
