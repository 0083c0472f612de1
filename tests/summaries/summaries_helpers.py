"""Patients with the whole road for the summaries' tests, made through the real use cases
of every step before this one: a diagnostic work-up before treatment (spirometry with a
bronchodilator test, markers with an allergy test, the ACT, the treatment history), an
eligible screening and an approved course (``tests/treatment``), the stay with an
infusion and its vital signs, discharge (which schedules the check-ins with the ACT as
baseline; ``tests/followup``), an adverse event after the infusion (safety) and the
month-1 check-in answered by the patient in the portal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from respira.diagnostics import service as diagnostics
from respira.diagnostics.schemas import (
    HistoryIn,
    MarkersIn,
    QuestionnaireIn,
    SpirometryIn,
    VisitIn,
)
from respira.followup import service as followup
from respira.followup.schemas import CheckInIn
from respira.kit.validation import today_utc
from respira.safety import service as safety
from respira.safety.schemas import AdverseEventIn
from respira.summaries import service
from respira.summaries.schemas import SummaryIn
from respira.treatment import service as treatment
from tests.followup.followup_helpers import FollowUpClinic, check_in_body

BASELINE_ACT = [3, 2, 3, 3, 3]  # 14: not well controlled
RECOMMENDATIONS = "Continue budesonide/formoterol twice daily.\n\nReview in 4 weeks."


@dataclass
class Road:
    pid: int
    course: Any
    administration_id: int
    din: str
    patient: Any  # the patient's portal account (tests/conftest.Account)


class SummaryClinic:
    def __init__(self, fu: FollowUpClinic, make_account: Any) -> None:
        self.fu = fu
        self.clinic = fu.clinic
        self.db = fu.db
        self.make_account = make_account
        self.physician = self.clinic.physician

    # --- the road -----------------------------------------------------------------------

    def work_up(self, pid: int, days_ago: int = 20) -> None:
        doc = self.physician.actor
        with self.db.transaction() as s:
            visit = diagnostics.create_visit(
                s, doc, pid, VisitIn(visit_date=today_utc() - dt.timedelta(days=days_ago))
            )
        records = (
            (
                diagnostics.record_spirometry,
                SpirometryIn(
                    fev1_pre_l=1.85,
                    fvc_pre_l=3.3,
                    fev1_post_l=2.2,
                    fvc_post_l=3.45,
                    bronchodilator="salbutamol",
                    bronchodilator_dose_ug=400,
                ),
            ),
            (
                diagnostics.record_markers,
                MarkersIn.model_validate(
                    {
                        "blood_eosinophils_per_ul": 420,
                        "feno_ppb": 38,
                        "total_ige_iu_ml": 250,
                        "sensitisations": [
                            {
                                "allergen": "house dust mite",
                                "positive": True,
                                "method": "skin_prick",
                            }
                        ],
                    }
                ),
            ),
            (
                diagnostics.record_questionnaire,
                QuestionnaireIn(instrument="act", answers=BASELINE_ACT),
            ),
            (
                diagnostics.record_history,
                HistoryIn(
                    ics_dose_level="high",
                    laba=True,
                    lama=False,
                    maintenance_ocs=True,
                    ocs_dose_mg_per_day=10,
                    biologic="none",
                    gina_step=5,
                    severe_exacerbations_12m=3,
                    hospitalisations_12m=1,
                    rescue_puffs_per_week=21,
                ),
            ),
        )
        for use_case, body in records:
            with self.db.transaction() as s:
                use_case(s, doc, visit.id, body)

    def adverse_event(
        self, pid: int, administration_id: int | None = None, **overrides: Any
    ) -> Any:
        body = {
            "term": "Fever",
            "grade": 1,
            "onset_date": today_utc().isoformat(),
            "causality": "possible",
            "administration_id": administration_id,
            "outcome": "recovered",
            "resolution_date": today_utc().isoformat(),
            **overrides,
        }
        with self.db.transaction() as s:
            return safety.record_event(
                s, self.clinic.nurse.actor, pid, AdverseEventIn.model_validate(body)
            )

    def whole_road(self, **patient: Any) -> Road:
        pid = self.clinic.eligible_patient(**patient)
        self.work_up(pid)
        stay = self.fu.stay(pid)
        with self.db.session() as s:
            (given,) = treatment.list_administrations(s, self.physician.actor, pid)
        self.adverse_event(pid, given.id)
        account = self.make_account("patient", patient_id=pid)
        follow_up_id = self.fu.open_window(pid, 1, closes_in_days=10)
        with self.db.transaction() as s:
            followup.record_check_in(
                s,
                account.actor,
                follow_up_id,
                CheckInIn.model_validate(
                    check_in_body(
                        answers=[4, 4, 4, 4, 4],
                        rescue_puffs_per_week=7,
                        maintenance_ocs_mg_per_day=5,
                        fev1_l=2.1,
                        fvc_l=3.4,
                    )
                ),
                language="en",
            )
        return Road(pid, stay.course, given.id, given.din, account)

    # --- summaries ----------------------------------------------------------------------

    def draft(
        self,
        pid: int,
        kind: str = "discharge",
        language: str | None = None,
        recommendations: str | None = RECOMMENDATIONS,
    ) -> Any:
        body = SummaryIn.model_validate(
            {"kind": kind, "language": language, "recommendations": recommendations}
        )
        with self.db.transaction() as s:
            return service.create_summary(s, self.physician.actor, pid, body)

    def sign(self, summary_id: int) -> Any:
        with self.db.transaction() as s:
            return service.sign(
                s,
                self.physician.actor,
                summary_id,
                password=self.physician.password,
                meaning=service.SIGN_MEANING,
            )

    def signed(self, pid: int, **kw: Any) -> Any:
        return self.sign(self.draft(pid, **kw).id)

    def preview(self, summary_id: int, lang: str | None = None) -> Any:
        with self.db.session() as s:
            return service.preview(s, self.physician.actor, summary_id, lang)

    def pdf(self, summary_id: int, actor: Any = None, lang: str | None = None) -> Any:
        with self.db.session() as s:
            return service.pdf_file(s, actor or self.physician.actor, summary_id, lang)


def pdf_text(data: bytes) -> str:
    """The PDF's text, page by page (pypdf), white space folded."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
