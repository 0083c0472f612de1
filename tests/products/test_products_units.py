"""Harvests, units with their DIN (serial numbers never repeat per facility and year),
the printable label, custody hand-overs and the chain of identity."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from respira.kit.actors import Actor
from respira.kit.config import Settings, get_settings
from respira.kit.validation import today_utc
from respira.products import din, service
from respira.products.models import CustodyEvent, Unit


def _harvest(lab, pid, **over):
    body = {
        "patient_id": pid,
        "tissue": "bone_marrow",
        "harvested_on": today_utc().isoformat(),
        "volume_ml": 60,
        "operator": "Dr. Marrow",
        **over,
    }
    return lab.post("/api/v1/harvests", json=body)


# --- harvests ----------------------------------------------------------------------------


def test_harvest_records_patient_tissue_date_volume_and_operator(lab, make_patient):
    pid = make_patient()
    r = _harvest(lab, pid, tissue="adipose", volume_ml=120)
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["patient_id"], out["tissue"], out["volume_ml"], out["operator"]) == (
        pid,
        "adipose",
        120,
        "Dr. Marrow",
    )
    assert lab.get(f"/api/v1/harvests/{out['id']}").json()["id"] == out["id"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("tissue", "blood"), ("volume_ml", 0), ("patient_id", 99999), ("harvested_on", "2999-01-01")],
)
def test_harvest_with_bad_input_is_refused(lab, make_patient, field, value):
    r = _harvest(lab, make_patient(), **{field: value})
    assert r.status_code == 422
    assert field in r.text


# --- units and DINs --------------------------------------------------------------------


def test_units_get_13_character_dins_with_their_check_character(lab, lot):
    made = lot()
    r = lab.post(f"/api/v1/lots/{made['id']}/units", json={"count": 3})
    assert r.status_code == 201, r.text
    units = r.json()
    assert len(units) == 3
    year = today_utc().year % 100
    for u in units:
        assert len(u["din"]) == 13
        assert u["din"].startswith(f"{get_settings().facility_code}{year:02d}")
        assert u["check_character"] == din.check_character(u["din"])
        assert u["eye_readable"].endswith(" " + u["check_character"])
    serials = [int(u["din"][7:]) for u in units]
    assert serials == [1, 2, 3]


def test_serial_numbers_continue_across_lots_and_never_repeat(lab, lot):
    first = lab.post(f"/api/v1/lots/{lot()['id']}/units", json={"count": 2}).json()
    second = lab.post(f"/api/v1/lots/{lot()['id']}/units", json={"count": 2}).json()
    dins = [u["din"] for u in first + second]
    assert len(set(dins)) == 4
    assert [int(d[7:]) for d in dins] == [1, 2, 3, 4]


def test_facility_code_must_be_a_letter_and_four_letters_or_digits(monkeypatch):
    monkeypatch.setenv("RESPIRA_FACILITY_CODE", "12345")
    with pytest.raises(ValueError, match="Facility Identification Number"):
        Settings()
    monkeypatch.setenv("RESPIRA_FACILITY_CODE", "g12a4")
    assert Settings().facility_code == "G12A4"


def test_serial_numbers_are_unique_when_units_are_made_at_the_same_moment(db, lot):
    lots = [lot()["id"] for _ in range(4)]
    barrier = threading.Barrier(len(lots))
    results: list[Any] = [None] * len(lots)

    def run(i: int) -> None:
        barrier.wait()
        try:
            with db.transaction() as session:
                results[i] = service.create_units(session, Actor.system("t"), lots[i], 3)
        except Exception as exc:  # the outcome under test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(lots))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(isinstance(r, list) for r in results), results
    with db.session() as session:
        serials = session.scalars(select(Unit.serial)).all()
    assert sorted(serials) == list(range(1, 13))


def test_no_units_from_a_discarded_lot(lab, lot):
    made = lot()
    lab.post(f"/api/v1/lots/{made['id']}/discard", json={"reason": "sterility"})
    assert lab.post(f"/api/v1/lots/{made['id']}/units", json={"count": 1}).status_code == 409


def test_discarding_a_lot_discards_its_units(lab, lot):
    made = lot()
    units = lab.post(f"/api/v1/lots/{made['id']}/units", json={"count": 2}).json()
    lab.post(f"/api/v1/lots/{made['id']}/discard", json={"reason": "sterility"})
    for u in units:
        assert lab.get(f"/api/v1/units/{u['din']}").json()["status"] == "discarded"


# --- label ------------------------------------------------------------------------------


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_label_of_a_donor_unit_carries_the_fact_jacie_content(lab, lot, release):
    made = lot()
    unit = lab.post(f"/api/v1/lots/{made['id']}/units", json={"count": 1}).json()[0]
    release(made["id"])
    r = lab.get(f"/api/v1/units/{unit['din']}/label.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    text = _pdf_text(r.content)
    d = din.parse(unit["din"])
    assert f"{d.facility_code} {d.year:02d} {d.serial:06d}" in text
    assert unit["check_character"] in text.split()
    for phrase in [
        "Mesenchymal stromal cells",
        f"Lot {made['code']}",
        f"Facility {d.facility_code}",
        "Collection date:",
        f"Expiry: {made['expiry']}",
        "Volume: 10 mL",
        "Cell count:",
        "Cryoprotectant: 10% DMSO",
        "-150 °C",
        "Properly identify intended recipient and product",
        "Do not irradiate",
        "Rx only",
    ]:
        assert phrase in text, phrase
    assert "For autologous use only" not in text
    assert "NOT RELEASED" not in text


def test_label_of_an_autologous_unit_names_the_recipient_and_autologous_use(lab, lot, make_patient):
    pid = make_patient(first_name="Ingrid", last_name="Berg")
    harvest = _harvest(lab, pid).json()
    made = lot(harvest_id=harvest["id"])
    unit = lab.post(f"/api/v1/lots/{made['id']}/units", json={"count": 1}).json()[0]
    text = _pdf_text(lab.get(f"/api/v1/units/{unit['din']}/label.pdf").content)
    assert "Recipient: Ingrid Berg" in text
    assert "For autologous use only" in text
    assert f"Collection date: {today_utc().isoformat()}" in text
    assert "NOT RELEASED" in text  # printed before release, marked as such


def test_label_barcode_is_code_128_of_the_din_with_its_flag(monkeypatch, lab, lot):
    from reportlab.graphics.barcode.code128 import Code128

    from respira.products import label

    drawn: list[str] = []

    class Recording(Code128):  # type: ignore[misc]
        def __init__(self, value: str, **kw: Any) -> None:
            drawn.append(value)
            super().__init__(value, **kw)

    monkeypatch.setattr(label, "Code128", Recording)
    made = lot()
    unit = lab.post(f"/api/v1/lots/{made['id']}/units", json={"count": 1}).json()[0]
    assert lab.get(f"/api/v1/units/{unit['din']}/label.pdf").status_code == 200
    assert drawn == ["=" + unit["din"] + din.flag_check(unit["din"])]
    assert din.flag_check("G123498654321") == "77"


# --- custody and chain --------------------------------------------------------------------


def test_chain_is_one_timeline_from_donor_to_hand_over_in_time_order(
    lab, api_as, lot, release, donor
):
    d = donor()
    made = lot(donor_id=d["id"])
    unit = lab.post(f"/api/v1/lots/{made['id']}/units", json={"count": 1}).json()[0]
    release(made["id"])
    r = lab.post(
        f"/api/v1/units/{unit['din']}/custody",
        json={
            "from_party": "laboratory",
            "to_party": "courier",
            "location": "lab dispatch",
            "temperature_c": -160,
        },
    )
    assert r.status_code == 201, r.text
    nurse = api_as("nurse")
    n = nurse.post(
        f"/api/v1/units/{unit['din']}/custody",
        json={
            "kind": "received",
            "from_party": "courier",
            "to_party": "ward",
            "location": "ward 3",
            "temperature_c": -155,
        },
    )
    assert n.status_code == 201
    chain = nurse.get(f"/api/v1/units/{unit['din']}/chain").json()
    assert chain["din"] == unit["din"]
    kinds = [e["kind"] for e in chain["events"]]
    assert kinds[0] == "donor" and kinds[1] == "lot"
    assert kinds.index("qc") < kinds.index("labelled") < kinds.index("release")
    assert kinds[-2:] == ["handover", "received"]
    times = [e["at"] for e in chain["events"]]
    assert times == sorted(times)
    assert "-160 °C" in chain["events"][-2]["detail"]
    assert chain["events"][-1]["actor"] == nurse.account.actor.name


def test_custody_ledger_is_append_only_and_written_by_record_event(db, lot, lab):
    made = lot()
    unit = lab.post(f"/api/v1/lots/{made['id']}/units", json={"count": 1}).json()[0]
    with db.transaction() as session:
        service.record_event(
            session,
            Actor(None, "nurse", "Nurse N"),
            unit["id"],
            "bedside_check",
            "two-person check passed",
            location="ward 3",
        )
    with db.session() as session:
        count = session.scalar(
            select(func.count()).select_from(CustodyEvent).where(CustodyEvent.unit_id == unit["id"])
        )
    assert count == 2  # labelled + bedside_check
    chain = lab.get(f"/api/v1/units/{unit['din']}/chain").json()
    assert chain["events"][-1]["kind"] == "bedside_check"


def test_unknown_din_answers_404(lab):
    assert lab.get("/api/v1/units/W999926999999/chain").status_code == 404
    assert lab.get("/api/v1/units/not-a-din/chain").status_code == 404


def test_mark_administered_ends_the_unit_once(db, lab, lot, release):
    made = lot()
    unit = lab.post(f"/api/v1/lots/{made['id']}/units", json={"count": 1}).json()[0]
    release(made["id"])
    nurse = Actor(None, "nurse", "Nurse N")
    with db.transaction() as session:
        facts = service.lock_unit_for_administration(session, unit["din"])
        assert facts.lot_status == "released" and facts.unit_status == "available"
        service.mark_administered(session, nurse, facts.unit_id, 42)
    with db.transaction() as session:
        facts = service.bedside_facts(session, unit["din"])
        assert facts is not None and facts.unit_status == "administered"
        from respira.kit.errors import Conflict

        with pytest.raises(Conflict):
            service.mark_administered(session, nurse, facts.unit_id, 43)
    kinds = [e["kind"] for e in lab.get(f"/api/v1/units/{unit['din']}/chain").json()["events"]]
    assert kinds[-1] == "administered"


def test_a_unit_of_a_recalled_lot_is_never_marked_administered(db, lab, lot, release):
    from respira.kit.errors import Conflict

    made = lot()
    unit = lab.post(f"/api/v1/lots/{made['id']}/units", json={"count": 1}).json()[0]
    release(made["id"])
    lab.post(
        f"/api/v1/lots/{made['id']}/recall",
        json={"password": lab.account.password, "reason": "donor lookback"},
    )
    with db.transaction() as session, pytest.raises(Conflict, match="recalled"):
        service.mark_administered(session, Actor(None, "nurse", "Nurse N"), unit["id"], 7)


def test_bedside_facts_of_an_unknown_din_is_none(db):
    with db.session() as session:
        assert service.bedside_facts(session, "W999926000001") is None


def test_bedside_facts_of_an_autologous_unit_names_the_patient(db, lab, lot, make_patient):
    pid = make_patient()
    harvest = _harvest(lab, pid).json()
    made = lot(harvest_id=harvest["id"])
    unit = lab.post(f"/api/v1/lots/{made['id']}/units", json={"count": 1}).json()[0]
    with db.session() as session:
        facts = service.bedside_facts(session, unit["din"])
    assert facts is not None
    assert facts.autologous_patient_id == pid and facts.course_id is None
    assert facts.lot_status == "quarantine"
