"""The demo clinic's requests, and the consent wording pinned to its version."""

from __future__ import annotations

import hashlib
import random
from collections import Counter

from sqlalchemy import select

from respira.intake.demo import seed_demo
from respira.intake.messages import CONSENT_TEXT, CONSENT_TEXT_VERSION
from respira.intake.models import ConsultationRequest
from respira.kit import audit
from respira.patients.models import Patient

# The SHA-256 of the English consent wording of each version. Changing the wording
# (or the meaning of a translation) needs a new CONSENT_TEXT_VERSION: the stored
# version must always say which words a person agreed to.
CONSENT_WORDING_SHA256 = {
    "2026-11-23": "d360b0155383c64808f5bbd6a583831de433d3f8b0635adda97d6efd52f64f0d",
}


def test_the_consent_wording_belongs_to_its_version():
    digest = hashlib.sha256(CONSENT_TEXT.encode()).hexdigest()
    assert CONSENT_WORDING_SHA256.get(CONSENT_TEXT_VERSION) == digest, (
        "the consent wording changed: give it a new CONSENT_TEXT_VERSION and record its hash"
    )


def test_the_demo_clinic_has_requests_in_several_languages_and_statuses(db):
    with db.transaction() as session:
        added = seed_demo(session, random.Random(20261123))
    assert added == 12
    with db.session() as s:
        reqs = s.scalars(select(ConsultationRequest)).all()
        statuses = Counter(r.status for r in reqs)
        assert len(reqs) == 12
        assert set(statuses) == {"new", "contacted", "scheduled", "declined", "converted"}
        assert statuses["new"] >= 3
        assert {r.preferred_language for r in reqs} >= {"en", "de", "ru"}
        assert len({r.country for r in reqs}) >= 6
        assert {r.kind for r in reqs} == {"consultation", "callback"}
        assert all(r.decline_reason for r in reqs if r.status == "declined")
        [converted] = [r for r in reqs if r.status == "converted"]
        patient = s.get(Patient, converted.patient_id)
        assert patient is not None and patient.last_name == "Schneider"
        history = audit.history(s, "consultation_request", converted.id)
        assert [h.actor_name for h in history] == ["respira-demo"] * len(history)
        assert audit.verify_chain(s).ok
