"""The ward of the demo clinic: three stays of today (on the clinic's calendar, the day the
ward board opens on), made through the real use cases of the protocol, the cell product
and the stay:

- a patient admitted, with a thawed unit allocated to today's infusion waiting at the
  bedside (the nurse's next scan is a GO);
- a patient admitted whose infusion was given (a GO bedside check, the administration
  with vital signs before, during and after, a witness, a mild reaction);
- a patient whose infusion was given and who was discharged.

Approved courses of today are taken from the protocol step's demo where it seeded them,
and drafted and approved here (with the demo physician's e-signature) otherwise, for
patients worked up and screened eligible here (diagnostics and screening use cases);
the units come from a donor lot released here by the demo laboratory. A scenario that
a rule refuses (the infusion room full, say) is left out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from respira.accounts import service as accounts_service
from respira.diagnostics import service as diagnostics_service
from respira.diagnostics.schemas import HistoryIn, MarkersIn, QuestionnaireIn, VisitIn
from respira.kit.clinic_time import clinic_today
from respira.kit.db import utcnow
from respira.kit.errors import DomainError
from respira.kit.step import DemoContext
from respira.kit.validation import age_years
from respira.patients import service as patients_service
from respira.products import service as products_service
from respira.products.schemas import DonorIn, DosePreparationIn, LotIn, QcIn
from respira.protocols import service as protocols_service
from respira.protocols.schemas import CourseIn
from respira.screening import service as screening_service
from respira.screening.schemas import clear_findings
from respira.treatment import service
from respira.treatment.schemas import (
    AdministrationIn,
    AdmissionIn,
    BedsideCheckIn,
    DischargeIn,
    VitalsIn,
)

SCENARIOS = ("waiting", "given", "discharged")
THAW_VIABILITY_PCT = 92.0
_QC = {
    "cd73": "98.4",
    "cd90": "99.0",
    "cd105": "97.6",
    "cd45": "0.5",
    "cd34": "0.3",
    "cd14_cd11b": "0.4",
    "cd79a_cd19": "0.2",
    "hla_dr": "0.7",
    "viability": "93",
    "sterility": "no growth",
    "mycoplasma": "negative",
    "endotoxin": "<0.5",
    "karyotype": "normal",
}


def _work_up_and_screen(ctx: DemoContext, physician: Any, password: str, pid: int) -> bool:
    """A fresh diagnostic visit (uncontrolled asthma on GINA step 4-5 despite high-dose
    ICS-LABA, stable lately), screening findings and a screening signed "approved
    eligibility" when it decides eligible; whether it did."""
    session = ctx.session
    today = clinic_today()
    patient = patients_service.find(session, pid)
    if patient is None or not 18 <= age_years(patient.date_of_birth, today) <= 65:
        return False
    visit_date = today - dt.timedelta(days=5)
    visit = diagnostics_service.create_visit(
        session, physician, pid, VisitIn(visit_date=visit_date)
    )
    diagnostics_service.record_markers(
        session, physician, visit.id, MarkersIn(blood_eosinophils_per_ul=420.0)
    )
    diagnostics_service.record_questionnaire(
        session, physician, visit.id, QuestionnaireIn(instrument="act", answers=[3, 3, 3, 3, 3])
    )
    last = visit_date - dt.timedelta(days=90)
    diagnostics_service.record_history(
        session,
        physician,
        visit.id,
        HistoryIn(
            ics_dose_level="high",
            laba=True,
            lama=True,
            maintenance_ocs=False,
            biologic="none",
            gina_step=5,
            severe_exacerbations_12m=3,
            hospitalisations_12m=1,
            last_exacerbation_date=last,
            last_systemic_cs_date=last,
            rescue_puffs_per_week=14.0,
            adherence_confirmed="yes",
            inhaler_technique_confirmed="yes",
        ),
    )
    findings = clear_findings(patient.sex_at_birth, today)
    screening_service.record_findings(session, physician, pid, findings)
    out = screening_service.evaluate_screening(session, physician, pid)
    if out.decision != "eligible":
        return False
    screening_service.sign_screening(
        session,
        physician,
        out.id,
        password=password,
        meaning=screening_service.APPROVED,
        expected_version=out.version,
    )
    return True


def _courses_of_today(ctx: DemoContext, physician: Any, password: str) -> list[Any]:
    """Approved allogeneic courses of today, up to three: the protocol demo's, then new
    ones for patients worked up and screened eligible here."""
    session = ctx.session
    today = clinic_today()
    under_way = protocols_service.approved_courses_on(session, today)
    found = [c for c in under_way if c.source == "allogeneic_cord" and c.infusions]
    taken = {c.patient_id for c in under_way}
    for pid in reversed(ctx.patient_ids):
        if len(found) >= len(SCENARIOS):
            break
        if pid in taken or protocols_service.list_courses(session, physician, pid):
            continue
        try:
            eligible = protocols_service.eligibility(session, physician, pid).eligible
            if not eligible and not _work_up_and_screen(ctx, physician, password, pid):
                continue
            patient = patients_service.find(session, pid)
            weight = patient.weight_kg if patient is not None and patient.weight_kg else 70.0
            draft = protocols_service.draft_course(
                session,
                physician,
                pid,
                CourseIn.model_validate(
                    {
                        "source": "allogeneic_cord",
                        "start_date": today.isoformat(),
                        "stay_days": 7,
                        "weight_kg": weight,
                        "infusions": [
                            {"day": 1, "dose_million_cells_per_kg": 1.0},
                            {"day": 4, "dose_million_cells_per_kg": 1.0},
                        ],
                        "nebulisations": [{"day": 2, "amount_million_cells": 10.0}],
                        "supporting": [
                            {"modality": "physiotherapy", "count": 3, "days": [1, 2, 3]}
                        ],
                    }
                ),
            )
            found.append(
                protocols_service.approve_course(
                    session,
                    physician,
                    draft.id,
                    password=password,
                    meaning=protocols_service.APPROVAL_MEANING,
                )
            )
        except DomainError:
            session.rollback()
            continue
    return found[: len(SCENARIOS)]


def _lot(ctx: DemoContext, lab: Any, password: str) -> int:
    """A donor lot of the demo laboratory, QC passing, released: its id."""
    session = ctx.session
    today = clinic_today()
    donor = products_service.create_donor(
        session,
        lab,
        DonorIn.model_validate(
            {
                "code": "WARD-DEMO-D1",
                "consent": True,
                "screening": {
                    m: "non-reactive" for m in ("hiv", "hbv", "hcv", "htlv", "syphilis", "cmv")
                },
            }
        ),
    )
    lot = products_service.create_lot(
        session,
        lab,
        LotIn.model_validate(
            {
                "code": "WARD-DEMO-L1",
                "origin": "donor",
                "donor_id": donor.id,
                "passage": 3,
                "viable_cells_million": 2000,
                "expiry": (today + dt.timedelta(days=365)).isoformat(),
            }
        ),
    )
    for attribute, value in _QC.items():
        products_service.record_qc(
            session, lab, lot.id, QcIn(attribute=attribute, value=value, method="demo")
        )
    products_service.release_lot(
        session, lab, lot.id, password=password, meaning=products_service.RELEASE_MEANING
    )
    return lot.id


def _unit_for(ctx: DemoContext, lab: Any, lot_id: int, course: Any) -> str:
    """A unit cut from the lot for the course's first infusion: the prescribed cells at
    the post-thaw viability the demo records (the dose is met within ±10 %)."""
    cells_million = round(course.infusions[0].cells_total / 1e6 / (THAW_VIABILITY_PCT / 100), 1)
    (unit,) = products_service.create_units(
        ctx.session, lab, lot_id, 1, cells_million=cells_million
    )
    return unit.din


def _vitals(phase: str, temperature_c: float) -> VitalsIn:
    return VitalsIn(
        phase=phase,
        temperature_c=temperature_c,
        heart_rate_bpm=76,
        systolic_mmhg=124,
        diastolic_mmhg=78,
        spo2_pct=97,
        respiratory_rate_per_min=15,
    )


def seed(ctx: DemoContext) -> None:
    if not {"physician", "lab", "nurse"} <= set(ctx.accounts):
        return
    session = ctx.session
    physician, physician_password = ctx.accounts["physician"]
    lab, lab_password = ctx.accounts["lab"]
    nurse, _ = ctx.accounts["nurse"]
    courses = _courses_of_today(ctx, physician, physician_password)
    if not courses:
        return
    try:
        lot_id = _lot(ctx, lab, lab_password)
    except DomainError:
        session.rollback()
        return
    witness_email = next(
        (u.email for u in accounts_service.list_users(session) if u.id == physician.user_id),
        None,
    )
    now = utcnow()
    stays = 0
    given = 0
    for scenario, course in zip(SCENARIOS, courses, strict=False):
        try:
            din = _unit_for(ctx, lab, lot_id, course)
            products_service.prepare_dose(
                session,
                lab,
                course.id,
                DosePreparationIn(
                    infusion_day=course.infusions[0].day,
                    dins=[din],
                    thawed_at=now,
                    post_thaw_viability_pct=THAW_VIABILITY_PCT,
                ),
            )
            admission = service.admit(
                session,
                nurse,
                course.patient_id,
                AdmissionIn(course_id=course.id, admitted_at=now - dt.timedelta(hours=2)),
            )
            stays += 1
            if scenario == "waiting" or witness_email is None:
                continue
            patient = patients_service.find(session, course.patient_id)
            assert patient is not None
            service.check_at_bedside(
                session, nurse, BedsideCheckIn(patient_code=patient.medical_record_number, din=din)
            )
            service.record_administration(
                session,
                nurse,
                AdministrationIn(
                    din=din,
                    patient_id=course.patient_id,
                    course_id=course.id,
                    route="iv",
                    started_at=now - dt.timedelta(minutes=25),
                    ended_at=now - dt.timedelta(minutes=5),
                    volume_ml=50,
                    rate_ml_per_h=150,
                    vitals=[
                        _vitals("before", 36.7),
                        _vitals("during", 37.0),
                        _vitals("after", 37.6),
                    ],
                    witness_email=witness_email,
                    reactions=["chills"] if scenario == "given" else [],
                    reaction_notes="mild chills at 15 minutes, settled without treatment"
                    if scenario == "given"
                    else None,
                ),
            )
            given += 1
            if scenario == "discharged":
                service.discharge(
                    session, nurse, admission.id, DischargeIn(note="well, home with the plan")
                )
        except DomainError:
            session.rollback()
            continue
    ctx.counts["admissions"] = stays
    ctx.counts["administrations"] = given
