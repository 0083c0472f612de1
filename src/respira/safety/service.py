"""Use cases of the safety step, as one public face: adverse events graded with CTCAE
v5.0, seriousness (ICH E2A), causality with its binary mapping, expectedness against the
versioned reference list, serious-event alerts and their reporting clocks, the e-signed
reports, the on-call roster, and the views per patient, per lot and per programme. The
use cases live in

- ``respira.safety.catalogue`` — the shipped CTCAE v5.0 catalogue (``ctcae_v5.toml``);
- ``respira.safety.rules`` — the clinical rules as pure functions, and the clocks and
  the lot flag threshold as data (``safety.toml``);
- ``respira.safety.events`` — record, correct, retract, acknowledge, read;
- ``respira.safety.reports`` — the e-signed initial and follow-up reports;
- ``respira.safety.expected`` — the reference list of expected reactions, versioned;
- ``respira.safety.alerts`` — who an alert goes to and what it says (the outbox);
- ``respira.safety.roster`` — the on-call roster;
- ``respira.safety.views`` — per lot (the flag, the hold) and per programme;
- ``respira.safety.banners`` — the physicians' banner until acknowledgement;

and who may do what in ``respira.safety.roles``. Other steps use ``on_call_physicians``
(messages: assign waiting threads to the physician on call). Sources: clinical.md §4.1
(CTCAE), §4.2 (seriousness, causality, expectedness, reporting clocks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from respira.kit.actors import Actor, require_role
from respira.kit.audit import AuditRecord
from respira.kit.patient_rows import rows_of_patients
from respira.patients import service as patients_service
from respira.safety.alerts import ALERT_KIND, recipients
from respira.safety.catalogue import ctcae
from respira.safety.events import (
    ENTITY,
    acknowledge,
    correct_event,
    get_detail,
    get_event,
    list_events,
    open_serious,
    record_event,
    retract_event,
)
from respira.safety.expected import in_force as expected_list_in_force
from respira.safety.expected import list_versions as expected_list_versions
from respira.safety.expected import publish as publish_expected_list
from respira.safety.models import AdverseEvent
from respira.safety.reports import sign_report
from respira.safety.roles import (
    EXPECTED_READ_ROLES,
    EXPECTED_WRITE_ROLES,
    FOLLOW_UP_MEANING,
    INITIAL_MEANING,
    LOT_HOLD_ROLES,
    LOT_ROLES,
    OVERVIEW_ROLES,
    READ_ROLES,
    RECORD_ROLES,
    ROSTER_ROLES,
    SIGN_ROLES,
)
from respira.safety.roster import (
    add_shift,
    medical_directors,
    on_call_physicians,
    remove_shift,
    roster,
    rosterable,
)
from respira.safety.rules import CAUSALITY, OUTCOMES, SERIOUS_CRITERIA, countdown
from respira.safety.schemas import AdverseEventOut, StaffRef
from respira.safety.views import (
    catalogue_view,
    hold_lot,
    lot_detail,
    lot_flags,
    patients_treated,
    programme,
)

__all__ = [
    "ALERT_KIND",
    "CAUSALITY",
    "EXPECTED_READ_ROLES",
    "EXPECTED_WRITE_ROLES",
    "FOLLOW_UP_MEANING",
    "INITIAL_MEANING",
    "LOT_HOLD_ROLES",
    "LOT_ROLES",
    "OUTCOMES",
    "OVERVIEW_ROLES",
    "READ_ROLES",
    "RECORD_ROLES",
    "ROSTER_ROLES",
    "SERIOUS_CRITERIA",
    "SIGN_ROLES",
    "StaffRef",
    "acknowledge",
    "add_shift",
    "catalogue_view",
    "correct_event",
    "corrected_at",
    "countdown",
    "ctcae",
    "events_of_patients",
    "expected_list_in_force",
    "expected_list_versions",
    "get_detail",
    "get_event",
    "hold_lot",
    "list_events",
    "lot_detail",
    "lot_flags",
    "medical_directors",
    "on_call_physicians",
    "open_serious",
    "patients_treated",
    "programme",
    "publish_expected_list",
    "recipients",
    "record_event",
    "remove_shift",
    "retract_event",
    "roster",
    "rosterable",
    "sign_report",
]


def events_of_patients(
    session: Session, actor: Actor, patient_ids: Sequence[int]
) -> dict[int, list[AdverseEventOut]]:
    """``list_events`` of each patient of a page of the registry (the FHIR export),
    newest onset first, retracted ones too: one query for the page, for the registry's
    readers."""
    require_role(actor, patients_service.REGISTRY_ROLES)
    found = rows_of_patients(
        session, AdverseEvent, patient_ids, AdverseEvent.onset_date.desc(), AdverseEvent.id.desc()
    )
    return {pid: [AdverseEventOut.model_validate(r) for r in rows] for pid, rows in found.items()}


def corrected_at(
    session: Session, actor: Actor, event_ids: Collection[int]
) -> dict[int, dt.datetime]:
    """When each of these events was last corrected (its newest ``correct`` in the audit
    trail; events never corrected are left out): the event keeps no time of change of
    its own, and a correction changes what it says."""
    require_role(actor, READ_ROLES)
    if not event_ids:
        return {}
    rows = session.execute(
        select(AuditRecord.entity_id, AuditRecord.at).where(
            AuditRecord.entity_type == ENTITY,
            AuditRecord.entity_id.in_([str(i) for i in event_ids]),
            AuditRecord.action == "correct",
        )
    )
    found: dict[int, dt.datetime] = {}
    for entity_id, at in rows:
        key = int(entity_id)
        found[key] = max(at, found.get(key, at))
    return found
