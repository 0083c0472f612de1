"""The demo clinic's summaries: the demo physician signed a discharge summary for the
patient the stay's demo discharged (in the patient's language, with the English copy),
through the real use cases, and the audit chain holds."""

from __future__ import annotations

from sqlalchemy import select

from respira.app import demo
from respira.kit import audit
from respira.summaries.models import MedicalSummary
from respira.treatment.models import Admission


def test_the_demo_signs_a_discharge_summary_for_the_discharged_patient(db):
    result = demo.seed(db, patients=30)
    assert result is not None and result.counts["medical summaries signed"] >= 1
    with db.session() as s:
        discharged = s.scalars(
            select(Admission.patient_id).where(Admission.discharged_at.is_not(None))
        ).all()
        rows = s.scalars(select(MedicalSummary).where(MedicalSummary.kind == "discharge")).all()
        assert audit.verify_chain(s).ok
        (summary,) = rows
        assert summary.patient_id in discharged and summary.status == "signed"
        assert summary.pdf is not None and summary.pdf.startswith(b"%PDF-")
        assert summary.recommendations and summary.signature_id is not None
        assert (summary.pdf_english is None) == (summary.language == "en")
