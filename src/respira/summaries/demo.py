"""The medical summaries of the demo clinic, written and signed by the demo physician
through the real use cases:

- a discharge summary for the patient the stay's demo discharged (in the patient's
  language, with the English copy);
- a follow-up summary for the first patient who has answered a check-in (the demo
  patient's account first, so that signing in as the demo patient shows it at
  /my/summaries when the follow-up's demo gave them check-ins).
"""

from __future__ import annotations

from typing import Any

from respira.followup import service as followup_service
from respira.kit.errors import DomainError
from respira.kit.step import DemoContext
from respira.summaries import service
from respira.summaries.schemas import SummaryIn
from respira.treatment import service as treatment_service

RECOMMENDATIONS = {
    "discharge": (
        "Continue the regular inhaled treatment as before; no change was made at the clinic.\n\n"
        "Please review asthma control (ACT) and spirometry in 4 to 6 weeks and report any "
        "fever, breathlessness or chest pain in the next weeks to the clinic. The follow-up "
        "check-ins at 1, 3, 6 and 12 months are scheduled in the patient portal."
    ),
    "follow_up": (
        "No change of the regular treatment is recommended at this check-in. Please keep the "
        "written asthma action plan up to date and check the inhaler technique at the next "
        "visit."
    ),
}


def _discharged(ctx: DemoContext, physician: Any) -> int | None:
    for pid in ctx.patient_ids:
        admissions = treatment_service.list_admissions(ctx.session, physician, pid)
        if any(a.discharged_at is not None for a in admissions):
            return pid
    return None


def _answered(ctx: DemoContext, physician: Any) -> int | None:
    demo_patient = ctx.accounts.get("patient", (None, ""))[0]
    first = demo_patient.patient_id if demo_patient else None
    for pid in sorted(ctx.patient_ids, key=lambda p: p != first):
        follow_ups = followup_service.list_for_patient(ctx.session, physician, pid)
        if any(f.check_in_id is not None for f in follow_ups):
            return pid
    return None


def _write_and_sign(ctx: DemoContext, physician: Any, password: str, pid: int, kind: str) -> bool:
    try:
        draft = service.create_summary(
            ctx.session,
            physician,
            pid,
            SummaryIn.model_validate({"kind": kind, "recommendations": RECOMMENDATIONS[kind]}),
        )
        service.sign(
            ctx.session, physician, draft.id, password=password, meaning=service.SIGN_MEANING
        )
    except DomainError:
        ctx.session.rollback()  # a rule refused it: leave it out of the demo
        return False
    return True


def seed(ctx: DemoContext) -> None:
    if "physician" not in ctx.accounts:
        return
    physician, password = ctx.accounts["physician"]
    signed = 0
    for pid, kind in (
        (_discharged(ctx, physician), "discharge"),
        (_answered(ctx, physician), "follow_up"),
    ):
        if pid is not None:
            signed += _write_and_sign(ctx, physician, password, pid, kind)
    ctx.counts["medical summaries signed"] = signed
