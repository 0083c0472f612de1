"""A small clinic for the stay's tests, made through the real use cases of the other
steps: staff accounts, an eligible patient (screening signed "approved eligibility"),
an approved course, released lots cut into units with their DINs, and dose preparations
that allocate and thaw units for an infusion of a course."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import text, update

from respira.kit.clinic_time import clinic_today, clinic_wall_clock
from respira.kit.db import Base, Database, utcnow
from respira.kit.validation import today_utc
from respira.products import service as products
from respira.products.schemas import DonorIn, DosePreparationIn, HarvestIn, LotIn, QcIn
from respira.protocols import service as protocols
from respira.protocols.schemas import CourseIn
from respira.screening import service as screening
from respira.screening.schemas import FindingsIn
from tests.screening.screening_helpers import good_findings_values, good_snapshot

GOOD_QC: dict[str, str] = {
    "cd73": "98.5",
    "cd90": "99.1",
    "cd105": "97.2",
    "cd45": "0.4",
    "cd34": "0.3",
    "cd14_cd11b": "0.5",
    "cd79a_cd19": "0.2",
    "hla_dr": "0.6",
    "viability": "92",
    "sterility": "no growth",
    "mycoplasma": "negative",
    "endotoxin": "<0.5",
    "karyotype": "normal",
}
COURSE_STAY_DAYS = 7


def clinic_input(at: dt.datetime) -> str:
    """A moment as staff type it into a page's ``datetime-local`` field: on the clinic's
    wall clock (``RESPIRA_CLINIC_TIMEZONE``), to the minute."""
    return clinic_wall_clock(at)


def vitals(phase: str = "before", **overrides: Any) -> dict[str, Any]:
    """A row of vital signs, all within range, as the API takes it."""
    data: dict[str, Any] = {
        "phase": phase,
        "temperature_c": 36.8,
        "heart_rate_bpm": 72,
        "systolic_mmhg": 122,
        "diastolic_mmhg": 78,
        "spo2_pct": 97,
        "respiratory_rate_per_min": 14,
    }
    data.update(overrides)
    return data


class Clinic:
    def __init__(
        self,
        db: Database,
        make_patient: Callable[..., int],
        make_account: Callable[..., Any],
        snapshots: dict[int, Any],
        monkeypatch: Any = None,
    ) -> None:
        self.monkeypatch = monkeypatch
        self.db = db
        self.make_patient = make_patient
        self.snapshots = snapshots
        self.physician = make_account("physician")
        self.lab = make_account("lab")
        self.nurse = make_account("nurse")
        self.witness = make_account("nurse")
        self.make_account = make_account
        self._n = 0

    def next(self) -> int:
        self._n += 1
        return self._n

    # --- patients and courses -----------------------------------------------------------

    def eligible_patient(self, **overrides: Any) -> int:
        n = self.next()
        overrides.setdefault("first_name", f"Ward{n}")
        overrides.setdefault("email", f"ward{n}@mail.example")
        pid = self.make_patient(**overrides)
        today = today_utc()
        self.snapshots[pid] = good_snapshot(pid, today)
        doc = self.physician
        with self.db.transaction() as s:
            screening.record_findings(
                s, doc.actor, pid, FindingsIn.model_validate(good_findings_values(today))
            )
        with self.db.transaction() as s:
            out = screening.evaluate_screening(s, doc.actor, pid)
        with self.db.transaction() as s:
            screening.sign_screening(
                s,
                doc.actor,
                out.id,
                password=doc.password,
                meaning=screening.APPROVED,
                expected_version=out.version,
            )
        return pid

    def course(
        self,
        patient_id: int,
        *,
        start: dt.date | None = None,
        source: str = "allogeneic_cord",
        harvest_id: int | None = None,
        infusion_days: tuple[int, ...] = (1, 3),
        nebulisation_days: tuple[int, ...] = (2,),
        supporting: dict[str, list[int]] | None = None,
        approve: bool = True,
    ) -> Any:
        body = CourseIn.model_validate(
            {
                "source": source,
                "harvest_id": harvest_id,
                "start_date": (start or clinic_today()).isoformat(),
                "stay_days": COURSE_STAY_DAYS,
                "weight_kg": 70.0,
                "infusions": [{"day": d, "dose_million_cells_per_kg": 1.0} for d in infusion_days],
                "nebulisations": [
                    {"day": d, "amount_million_cells": 10.0} for d in nebulisation_days
                ],
                "supporting": [
                    {"modality": m, "count": len(days), "days": days}
                    for m, days in (supporting or {"physiotherapy": [1, 2, 3]}).items()
                ],
            }
        )
        doc = self.physician
        with self.db.transaction() as s:
            draft = protocols.draft_course(s, doc.actor, patient_id, body)
        if not approve:
            return draft
        with self.db.transaction() as s:
            return protocols.approve_course(
                s, doc.actor, draft.id, password=doc.password, meaning=protocols.APPROVAL_MEANING
            )

    # --- the product --------------------------------------------------------------------

    def harvest(self, patient_id: int, *, days_ago: int = 45) -> int:
        with self.db.transaction() as s:
            out = products.create_harvest(
                s,
                self.lab.actor,
                HarvestIn(
                    patient_id=patient_id,
                    tissue="bone_marrow",
                    harvested_on=today_utc() - dt.timedelta(days=days_ago),
                    volume_ml=60,
                    operator="Dr Harvest",
                ),
            )
        return out.id

    def lot(
        self,
        *,
        units: int = 2,
        release: bool = True,
        harvest_id: int | None = None,
        cells_million: float = 70.0,
        skip_qc: tuple[str, ...] = (),
    ) -> list[str]:
        """A lot (of a donor, or of a harvest), QC passing, released (or left in
        quarantine), cut into units: their DINs."""
        n = self.next()
        lab = self.lab
        with self.db.transaction() as s:
            if harvest_id is None:
                donor = products.create_donor(
                    s,
                    lab.actor,
                    DonorIn.model_validate(
                        {
                            "code": f"D-{n}",
                            "consent": True,
                            "screening": {
                                m: "non-reactive"
                                for m in ("hiv", "hbv", "hcv", "htlv", "syphilis", "cmv")
                            },
                        }
                    ),
                )
                origin = {"origin": "donor", "donor_id": donor.id}
            else:
                origin = {"origin": "harvest", "harvest_id": harvest_id}
            lot = products.create_lot(
                s,
                lab.actor,
                LotIn.model_validate(
                    {
                        "code": f"LOT-{n}",
                        **origin,
                        "passage": 3,
                        "viable_cells_million": 500,
                        "expiry": (today_utc() + dt.timedelta(days=180)).isoformat(),
                    }
                ),
            )
        for attribute, value in GOOD_QC.items():
            if attribute in skip_qc:
                continue
            with self.db.transaction() as s:
                products.record_qc(
                    s, lab.actor, lot.id, QcIn(attribute=attribute, value=value, method="test")
                )
        if release:
            with self.db.transaction() as s:
                products.release_lot(
                    s, lab.actor, lot.id, password=lab.password, meaning=products.RELEASE_MEANING
                )
        with self.db.transaction() as s:
            made = products.create_units(s, lab.actor, lot.id, units, cells_million=cells_million)
        self.lot_ids = getattr(self, "lot_ids", {})
        for u in made:
            self.lot_ids[u.din] = lot.id
        return [u.din for u in made]

    def prepare(
        self,
        course: Any,
        dins: list[str],
        *,
        infusion_day: int = 1,
        thawed_at: dt.datetime | None = None,
    ) -> Any:
        """Allocate the units to the course's infusion and thaw them (the lab's dose
        preparation)."""
        with self.db.transaction() as s:
            return products.prepare_dose(
                s,
                self.lab.actor,
                course.id,
                DosePreparationIn(
                    infusion_day=infusion_day,
                    dins=dins,
                    thawed_at=thawed_at or utcnow(),
                    post_thaw_viability_pct=91.0,
                ),
            )

    def recall(self, din: str) -> None:
        with self.db.transaction() as s:
            products.recall_lot(
                s,
                self.lab.actor,
                self.lot_ids[din],
                password=self.lab.password,
                reason="sterility failure found on retest",
            )

    # --- time passing (the clock is not the use cases' to set) ---------------------------

    # Typed Core updates (through the columns' types, UTCDateTime included).

    def expire_lot(self, din: str) -> None:
        lots = Base.metadata.tables["lots"]
        with self.db.transaction() as s:
            s.execute(
                update(lots)
                .where(lots.c.id == self.lot_ids[din])
                .values(expiry=clinic_today() - dt.timedelta(days=1))
            )

    def thaw_expired(self, din: str) -> None:
        units = Base.metadata.tables["units"]
        with self.db.transaction() as s:
            s.execute(
                update(units)
                .where(units.c.din == din)
                .values(thaw_expires_at=utcnow() - dt.timedelta(minutes=1))
            )

    def age_checks(self, minutes: int) -> None:
        checks = Base.metadata.tables["bedside_checks"]
        with self.db.transaction() as s:
            s.execute(update(checks).values(checked_at=utcnow() - dt.timedelta(minutes=minutes)))

    def mrn(self, patient_id: int) -> str:
        with self.db.session() as s:
            return str(
                s.execute(
                    text("SELECT medical_record_number FROM patients WHERE id = :id"),
                    {"id": patient_id},
                ).scalar_one()
            )
