"""The laboratory's pages (lab home, donors, harvests, lots with QC against the
specification, release and recall with the password, units and labels, the unit's
chain, release specifications) and the demo laboratory."""

from __future__ import annotations

import html as htmllib
import re

from sqlalchemy import select

from respira.kit import audit
from respira.kit.validation import today_utc
from respira.products import demo, service
from respira.products.donors import donor_out
from respira.products.models import Donor, Lot, Unit
from tests.products.helpers import lot_body, qc_body


def test_lab_home_lists_qc_due_and_releases_waiting(page_as, lot):
    waiting = lot()
    due = lot(skip=("karyotype",))
    lab = page_as("lab")
    r = lab.get("/lab")
    assert r.status_code == 200
    html = r.text
    release_part = html.split('id="h-release"')[1].split('id="h-qc"')[0]
    qc_part = html.split('id="h-qc"')[1].split('id="h-today"')[0]
    assert waiting["code"] in release_part and due["code"] not in release_part
    assert due["code"] in qc_part and waiting["code"] not in qc_part
    assert 'href="/lab/lots/new"' in html


def test_laboratory_is_in_the_navigation_of_the_lab(page_as):
    assert 'href="/lab"' in page_as("lab").get("/").text
    assert 'href="/lab"' not in page_as("coordinator").get("/").text


def test_donor_form_stores_a_donor_and_marks_a_missing_marker(page_as, db):
    lab = page_as("lab")
    r = lab.post_form(
        "/lab/donors",
        {"code": "UC-9", "consent": "yes", "hiv": "non-reactive", "hbv": "reactive"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    listing = lab.get("/lab/donors").text
    assert "UC-9" in listing and "not eligible" in listing and "not tested" in listing
    bad = lab.post_form("/lab/donors", {"code": "bad code!"})
    assert bad.status_code == 422 and "has-error" in bad.text
    with db.session() as session:
        assert session.scalars(select(Donor.code)).all() == ["UC-9"]


def test_harvest_and_lot_forms_store_an_autologous_lot(page_as, make_patient):
    pid = make_patient()
    lab = page_as("lab")
    r = lab.post_form(
        "/lab/harvests",
        {
            "patient_id": pid,
            "tissue": "adipose",
            "harvested_on": today_utc().isoformat(),
            "volume_ml": "150",
            "operator": "Dr. Lipo",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    form = lab.get(r.headers["location"])
    assert form.status_code == 200 and 'value="harvest" selected' in form.text
    harvest_id = re.search(r"harvest_id=(\d+)", r.headers["location"]).group(1)
    body = lot_body("AD-1", harvest_id=int(harvest_id))
    body.pop("origin")
    r = lab.post_form(
        "/lab/lots", {**body, "origin": "harvest", "donor_id": ""}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    page = lab.get(r.headers["location"]).text
    assert "Lot AD-1" in page and f"patient {pid}" in page and "(autologous)" in page


def test_lot_page_marks_each_specification_pass_or_fail_in_text(page_as, lot):
    made = lot(results={"viability": "69.9"}, skip=("karyotype",))
    html = page_as("physician").get(f"/lab/lots/{made['id']}").text
    assert "FAIL" in html and "pass" in html and "missing" in html
    assert "Viability: 69.9 does not meet ≥70 %" in html
    assert "Record a QC result" not in html  # physicians read, the lab records


def test_lot_page_release_form_signs_with_the_password(page_as, lot):
    made = lot()
    lab = page_as("lab")
    page = lab.get(f"/lab/lots/{made['id']}").text
    assert "Sign: released for clinical use" in page
    wrong = lab.post_form(
        f"/lab/lots/{made['id']}/release",
        {"password": "wrong", "meaning": "released for clinical use"},
    )
    assert wrong.status_code == 403 and "has-error" in wrong.text
    ok = lab.post_form(
        f"/lab/lots/{made['id']}/release",
        {"password": lab.account.password, "meaning": "released for clinical use"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    after = lab.get(ok.headers["location"]).text
    assert "Lot released for clinical use" in after and "Sign the recall" in after


def test_lot_page_qc_form_records_a_result_and_refuses_a_bad_one(page_as, lot):
    made = lot(skip=("cd90",))
    lab = page_as("lab")
    bad = lab.post_form(
        f"/lab/lots/{made['id']}/qc",
        {"attribute": "cd90", "value": "lots", "unit": "%", "method": "flow"},
    )
    assert bad.status_code == 422 and "must be a number" in bad.text
    ok = lab.post_form(
        f"/lab/lots/{made['id']}/qc",
        {**qc_body("cd90"), "tested_on": ""},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert "Every specification passes" in lab.get(ok.headers["location"]).text


def test_units_page_links_labels_and_the_chain(page_as, lot, db):
    made = lot()
    lab = page_as("lab")
    r = lab.post_form(f"/lab/lots/{made['id']}/units", {"count": "2"}, follow_redirects=False)
    assert r.status_code == 303
    with db.session() as session:
        dins = session.scalars(select(Unit.din).where(Unit.lot_id == made["id"])).all()
    page = lab.get(f"/lab/lots/{made['id']}").text
    for d in dins:
        assert f'href="/lab/units/{d}/label.pdf"' in page and f'href="/lab/units/{d}"' in page
    label = lab.get(f"/lab/units/{dins[0]}/label.pdf")
    assert label.status_code == 200 and label.content.startswith(b"%PDF")
    chain = lab.get(f"/lab/units/{dins[0]}").text
    assert "Chain of identity" in chain and "labelled" in chain


def test_nurse_reads_a_units_chain_and_records_a_hand_over(page_as, lot, db, lab):
    made = lot()
    unit = lab.post(f"/api/v1/lots/{made['id']}/units", json={"count": 1}).json()[0]
    nurse = page_as("nurse")
    page = nurse.get(f"/lab/units/{unit['din']}")
    assert page.status_code == 200 and "Record a hand-over" in page.text
    assert "Print label" not in page.text
    r = nurse.post_form(
        f"/lab/units/{unit['din']}/custody",
        {
            "kind": "received",
            "from_party": "courier",
            "to_party": "ward 3",
            "location": "ward 3",
            "temperature_c": "-150",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "received: courier → ward 3" in nurse.get(r.headers["location"]).text
    assert nurse.get(f"/lab/lots/{made['id']}").status_code == 403


def test_admin_stores_a_new_specification_version_from_the_page(page_as):
    admin = page_as("admin")
    page = admin.get("/lab/specifications").text
    assert "Store new version" in page
    items = re.search(r'<textarea id="f-items" name="items"[^>]*>(.*?)</textarea>', page, re.S)
    text = htmllib.unescape(items.group(1))
    r = admin.post_form(
        "/lab/specifications",
        {"version": "v2", "source": "SOP QC-1", "passage_limit": "4", "items": text},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert "In force: <strong>v2</strong>" in admin.get("/lab/specifications").text
    bad = admin.post_form(
        "/lab/specifications",
        {"version": "v3", "source": "x", "passage_limit": "4", "items": "[{"},
    )
    assert bad.status_code == 422 and "not valid JSON" in bad.text
    assert "Store new version" not in page_as("lab").get("/lab/specifications").text


def test_demo_laboratory_has_released_lots_a_lot_in_qc_a_held_lot_and_a_culture(
    db, make_patient, make_account
):
    pid = make_patient()
    lab = make_account("lab")
    with db.transaction() as session:
        counts = demo.seed_demo(session, lab.actor, lab.password, pid)
    assert counts == {"lots": 5, "units": 28}
    with db.session() as session:
        lots = {lot.code: lot for lot in session.scalars(select(Lot))}
        donors = [donor_out(d) for d in session.scalars(select(Donor))]
        assert sorted(d.eligible for d in donors) == [False, True]
        assert lots["UC14-L01"].status == lots["UC14-L02"].status == "released"
        board = service.lab_board(session, lab.actor)
        assert "UC14-L03" in [s.code for s in board["qc_due"]]
        assert [s.code for s in board["on_hold"]] == ["UC14-L04"]
        culture = next(lot for lot in lots.values() if lot.origin == "harvest")
        assert culture.cryopreserved_on is None and culture.status == "quarantine"
        assert audit.verify_chain(session).ok
