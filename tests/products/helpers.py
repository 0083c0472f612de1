"""Helpers of the cell-product tests: passing QC results, a released lot, access ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from respira.kit.actors import Actor
from respira.kit.validation import today_utc
from respira.products import service
from respira.products.schemas import DonorIn, HarvestIn, LotIn, QcIn

GOOD_PANEL = {
    "hiv": "non-reactive",
    "hbv": "non-reactive",
    "hcv": "non-reactive",
    "htlv": "non-reactive",
    "syphilis": "non-reactive",
    "cmv": "non-reactive",
}

# A result that passes every default specification (clinical.md §5.1-5.2).
PASSING: dict[str, tuple[str, str]] = {
    "cd73": ("98.1", "%"),
    "cd90": ("99.0", "%"),
    "cd105": ("97.4", "%"),
    "cd45": ("0.6", "%"),
    "cd34": ("0.4", "%"),
    "cd14_cd11b": ("0.9", "%"),
    "cd79a_cd19": ("0.3", "%"),
    "hla_dr": ("1.1", "%"),
    "viability": ("92", "%"),
    "sterility": ("no growth", ""),
    "mycoplasma": ("negative", ""),
    "endotoxin": ("<0.25", "EU/mL"),
    "karyotype": ("normal", ""),
}
METHOD = {
    "sterility": "BacT/ALERT 7 d (Ph. Eur. 2.6.27)",
    "mycoplasma": "PCR (Ph. Eur. 2.6.7)",
    "endotoxin": "LAL kinetic chromogenic",
    "karyotype": "G-banding",
    "viability": "7-AAD flow cytometry",
}


def qc_body(attribute: str, value: str | None = None) -> dict[str, Any]:
    default, unit = PASSING[attribute]
    return {
        "attribute": attribute,
        "value": default if value is None else value,
        "unit": unit,
        "method": METHOD.get(attribute, "flow cytometry"),
    }


def lot_body(
    code: str,
    *,
    donor_id: int | None = None,
    harvest_id: int | None = None,
    passage: int = 3,
    expiry: dt.date | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "origin": "donor" if donor_id is not None else "harvest",
        "passage": passage,
        "viable_cells_million": 400.0,
        "expiry": (expiry or today_utc() + dt.timedelta(days=365)).isoformat(),
    }
    if donor_id is not None:
        body["donor_id"] = donor_id
    else:
        body["harvest_id"] = harvest_id
    return body


def seed_lot(
    session: Any, code: str = "L-ACCESS", *, patient_id: int | None = None
) -> dict[str, Any]:
    """A donor lot with passing QC and two units, and a harvest (through the service)."""
    actor = Actor.system("test")
    donor = service.create_donor(
        session,
        actor,
        DonorIn.model_validate({"code": f"D-{code}", "consent": True, "screening": GOOD_PANEL}),
    )
    lot = service.create_lot(
        session, actor, LotIn.model_validate(lot_body(code, donor_id=donor.id))
    )
    for attribute in PASSING:
        service.record_qc(session, actor, lot.id, QcIn.model_validate(qc_body(attribute)))
    units = service.create_units(session, actor, lot.id, 2)
    out: dict[str, Any] = {"lot_id": lot.id, "donor_id": donor.id, "din": units[0].din}
    if patient_id is not None:
        harvest = service.create_harvest(
            session,
            actor,
            HarvestIn(
                patient_id=patient_id,
                tissue="bone_marrow",
                harvested_on=today_utc(),
                volume_ml=60,
                operator="Dr Test",
            ),
        )
        out["harvest_id"] = harvest.id
    return out
