"""The cell laboratory of the demo clinic: two cord donors (one with a reactive CMV
result, so not eligible), two released cord lots with their units, a lot whose QC is
still running, a lot on quarantine hold after a positive mycoplasma test, and one
demo patient's bone-marrow harvest with its lot in culture.

Everything goes through the real use cases; the releases are real e-signatures with the
demo laboratory account's password.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from respira.kit.actors import Actor
from respira.kit.clinic_time import clinic_today
from respira.kit.step import DemoContext
from respira.products import service
from respira.products.schemas import DonorIn, HarvestIn, LotIn, QcIn

_PANEL = dict.fromkeys(("hiv", "hbv", "hcv", "htlv", "syphilis", "cmv"), "non-reactive")
_RESULTS: dict[str, tuple[str, str, str]] = {
    "cd73": ("98.6", "%", "flow cytometry"),
    "cd90": ("99.1", "%", "flow cytometry"),
    "cd105": ("97.2", "%", "flow cytometry"),
    "cd45": ("0.4", "%", "flow cytometry"),
    "cd34": ("0.3", "%", "flow cytometry"),
    "cd14_cd11b": ("0.8", "%", "flow cytometry"),
    "cd79a_cd19": ("0.2", "%", "flow cytometry"),
    "hla_dr": ("0.9", "%", "flow cytometry"),
    "viability": ("93.5", "%", "7-AAD flow cytometry"),
    "sterility": ("no growth", "", "BacT/ALERT 7 days (Ph. Eur. 2.6.27)"),
    "mycoplasma": ("negative", "", "PCR (Ph. Eur. 2.6.7)"),
    "endotoxin": ("<0.25", "EU/mL", "LAL kinetic chromogenic"),
    "karyotype": ("normal", "", "G-banding"),
}


def _qc(
    session: Session, lab: Actor, lot_id: int, *, skip: tuple[str, ...] = (), **changed: str
) -> None:
    for attribute, (value, unit, method) in _RESULTS.items():
        if attribute in skip:
            continue
        service.record_qc(
            session,
            lab,
            lot_id,
            QcIn(
                attribute=attribute,
                value=changed.get(attribute, value),
                unit=unit,
                method=method,
            ),
        )


def _cord_lot(session: Session, lab: Actor, code: str, donor_id: int, cells: float) -> int:
    today = clinic_today()
    lot = service.create_lot(
        session,
        lab,
        LotIn(
            code=code,
            origin="donor",
            donor_id=donor_id,
            passage=3,
            passaged_on=today - dt.timedelta(days=40),
            viable_cells_million=cells,
            population_doublings=11.5,
            expiry=today + dt.timedelta(days=540),
            medium="αMEM + 5 % human platelet lysate",
            cryopreserved_on=today - dt.timedelta(days=38),
            freezer="LN2-1",
            rack="A",
            box="3",
            position=code[-2:],
        ),
    )
    return lot.id


def seed_demo(
    session: Session, lab: Actor, password: str, patient_id: int | None
) -> dict[str, int]:
    eligible = service.create_donor(
        session,
        lab,
        DonorIn.model_validate({"code": "UC-2026-014", "consent": True, "screening": _PANEL}),
    )
    service.create_donor(
        session,
        lab,
        DonorIn.model_validate(
            {"code": "UC-2026-015", "consent": True, "screening": {**_PANEL, "cmv": "reactive"}}
        ),
    )
    units = 0
    for code, cells, count, per_unit in (
        ("UC14-L01", 1000.0, 20, 25.0),
        ("UC14-L02", 800.0, 8, 50.0),
    ):
        lot_id = _cord_lot(session, lab, code, eligible.id, cells)
        _qc(session, lab, lot_id)
        units += len(service.create_units(session, lab, lot_id, count, cells_million=per_unit))
        service.release_lot(
            session, lab, lot_id, password=password, meaning=service.RELEASE_MEANING
        )
    in_qc = _cord_lot(session, lab, "UC14-L03", eligible.id, 900.0)
    _qc(session, lab, in_qc, skip=("sterility", "mycoplasma", "karyotype"))
    held = _cord_lot(session, lab, "UC14-L04", eligible.id, 700.0)
    _qc(session, lab, held, mycoplasma="positive")
    service.quarantine_lot(
        session, lab, held, "out of specification: mycoplasma PCR positive (deviation DV-031)"
    )
    if patient_id is not None:
        today = clinic_today()
        harvest = service.create_harvest(
            session,
            lab,
            HarvestIn(
                patient_id=patient_id,
                tissue="bone_marrow",
                harvested_on=today - dt.timedelta(days=9),
                volume_ml=80.0,
                operator="Dr. Ana Ilíaca",
            ),
        )
        service.create_lot(
            session,
            lab,
            LotIn(
                code=f"BM-{harvest.id:04d}-L01",
                origin="harvest",
                harvest_id=harvest.id,
                passage=1,
                passaged_on=today - dt.timedelta(days=2),
                viable_cells_million=24.0,
                population_doublings=4.2,
                expiry=today + dt.timedelta(days=365),
                medium="αMEM + 5 % human platelet lysate",
            ),
        )
    return {"lots": 5 if patient_id is not None else 4, "units": units}


def seed(ctx: DemoContext) -> None:
    found = ctx.accounts.get("lab")
    if found is None:
        return
    lab, password = found
    patient = ctx.patient_ids[-1] if ctx.patient_ids else None
    counts = seed_demo(ctx.session, lab, password, patient)
    ctx.counts["cell lots"] = counts["lots"]
    ctx.counts["cell units"] = counts["units"]
