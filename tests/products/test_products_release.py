"""Donor eligibility, release specifications at their cut-offs, the e-signed release
(only when every specification passes), quarantine, discard and recall."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from respira.kit import audit
from respira.kit.validation import today_utc
from respira.products import specs
from tests.products.helpers import PASSING

MARKERS = ["hiv", "hbv", "hcv", "htlv", "syphilis", "cmv"]


# --- donors ----------------------------------------------------------------------------


def test_donor_with_every_marker_non_reactive_and_consent_is_eligible(donor):
    d = donor()
    assert d["eligible"] is True and d["ineligible_reasons"] == []


@pytest.mark.parametrize("marker", MARKERS)
def test_donor_with_a_reactive_marker_is_not_eligible(donor, marker):
    d = donor(**{marker: "reactive"})
    assert d["eligible"] is False
    assert any("reactive" in r for r in d["ineligible_reasons"])


@pytest.mark.parametrize("marker", MARKERS)
def test_donor_with_a_missing_marker_is_not_eligible(donor, marker):
    d = donor(**{marker: None})
    assert d["eligible"] is False
    assert any("not tested" in r for r in d["ineligible_reasons"])


def test_donor_without_consent_is_not_eligible(lab):
    r = lab.post(
        "/api/v1/donors",
        json={
            "code": "NC-1",
            "consent": False,
            "screening": dict.fromkeys(MARKERS, "non-reactive"),
        },
    )
    assert r.status_code == 201
    assert r.json()["eligible"] is False


def test_donor_marker_result_outside_the_vocabulary_is_refused(lab):
    r = lab.post(
        "/api/v1/donors", json={"code": "X-1", "consent": True, "screening": {"hiv": "negative"}}
    )
    assert r.status_code == 422


def test_lot_of_a_reactive_donor_cannot_be_released(donor, lot, release):
    d = donor(hbv="reactive")
    made = lot(donor_id=d["id"])
    assert made["all_specs_pass"] is True and made["releasable"] is False
    assert made["donor_eligible"] is False
    r = release(made["id"])
    assert r.status_code == 409
    assert "donor is not eligible" in r.text and "HBV reactive" in r.text


def test_lot_of_a_donor_with_a_missing_marker_cannot_be_released(donor, lot, release):
    made = lot(donor_id=donor(cmv=None)["id"])
    assert release(made["id"]).status_code == 409


# --- specifications at their cut-offs ------------------------------------------------------


def _item(attribute):
    return next(i for i in specs.DEFAULT_ITEMS if i["attribute"] == attribute)


@pytest.mark.parametrize("attribute", ["cd73", "cd90", "cd105"])
def test_positive_marker_passes_at_95_percent_and_fails_at_94_9(attribute):
    assert specs.check(_item(attribute), "95") == "pass"
    assert specs.check(_item(attribute), "95.0") == "pass"
    assert specs.check(_item(attribute), "94.9") == "fail"


@pytest.mark.parametrize("attribute", ["cd45", "cd34", "cd14_cd11b", "cd79a_cd19", "hla_dr"])
def test_negative_marker_passes_at_2_percent_and_fails_at_2_1(attribute):
    assert specs.check(_item(attribute), "2") == "pass"
    assert specs.check(_item(attribute), "2.0") == "pass"
    assert specs.check(_item(attribute), "2.1") == "fail"


def test_viability_passes_at_70_percent_and_fails_at_69_9():
    assert specs.check(_item("viability"), "70") == "pass"
    assert specs.check(_item("viability"), "69.9") == "fail"


def test_endotoxin_must_be_below_0_5_eu_per_ml():
    item = _item("endotoxin")
    assert specs.check(item, "0.49") == "pass"
    assert specs.check(item, "<0.5") == "pass"
    assert specs.check(item, "0.5") == "fail"
    assert specs.check(item, ">0.1") == "fail"


@pytest.mark.parametrize(
    ("attribute", "passing", "failing"),
    [
        ("sterility", "No growth", "growth"),
        ("mycoplasma", "negative", "positive"),
        ("karyotype", "normal", "abnormal"),
    ],
)
def test_categorical_specification_passes_only_the_accepted_result(attribute, passing, failing):
    assert specs.check(_item(attribute), passing) == "pass"
    assert specs.check(_item(attribute), failing) == "fail"


@pytest.mark.parametrize(
    ("attribute", "at_cutoff", "beyond"),
    [
        ("cd73", "95", "94.9"),
        ("cd105", "95.0", "94.9"),
        ("cd45", "2", "2.1"),
        ("hla_dr", "2.0", "2.1"),
        ("viability", "70", "69.9"),
        ("sterility", "no growth", "growth of S. epidermidis"),
        ("mycoplasma", "negative", "positive"),
        ("karyotype", "normal", "47,XX,+8"),
    ],
)
def test_release_follows_each_specification_at_its_cut_off(
    lot, release, attribute, at_cutoff, beyond
):
    good = lot(results={attribute: at_cutoff})
    assert good["releasable"] is True, good["blocking"]
    bad = lot(results={attribute: beyond})
    assert bad["releasable"] is False
    assert release(bad["id"]).status_code == 409
    r = release(good["id"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "released"


def test_release_refused_when_viability_below_70_percent(lot, release):
    made = lot(results={"viability": "69.9"})
    r = release(made["id"])
    assert r.status_code == 409
    assert "Viability" in r.text


def test_release_refused_while_a_specification_has_no_result(lot, release):
    made = lot(skip=("karyotype",))
    assert made["qc_complete"] is False
    r = release(made["id"])
    assert r.status_code == 409 and "Karyotype: no result" in r.text


def test_newest_result_per_attribute_counts(lab, lot, release):
    made = lot(results={"viability": "60"})
    assert made["releasable"] is False
    lab.post(
        f"/api/v1/lots/{made['id']}/qc",
        json={"attribute": "viability", "value": "85", "unit": "%", "method": "7-AAD"},
    )
    assert lab.get(f"/api/v1/lots/{made['id']}").json()["releasable"] is True
    lab.post(
        f"/api/v1/lots/{made['id']}/qc",
        json={"attribute": "viability", "value": "65", "unit": "%", "method": "7-AAD"},
    )
    assert lab.get(f"/api/v1/lots/{made['id']}").json()["releasable"] is False
    assert release(made["id"]).status_code == 409


def test_qc_result_records_method_operator_and_date(lab, lot):
    made = lot(skip=("cd73",))
    r = lab.post(
        f"/api/v1/lots/{made['id']}/qc",
        json={"attribute": "cd73", "value": 97.5, "unit": "%", "method": "flow cytometry"},
    )
    assert r.status_code == 201
    out = r.json()
    assert out["method"] == "flow cytometry"
    assert out["operator"] == lab.account.actor.name
    assert out["tested_on"] == today_utc().isoformat()


def test_qc_result_of_an_unknown_attribute_or_a_non_number_is_refused(lab, lot):
    made = lot()
    bad = lab.post(
        f"/api/v1/lots/{made['id']}/qc",
        json={"attribute": "colour", "value": "white", "unit": "", "method": "eye"},
    )
    assert bad.status_code == 422 and "attribute" in bad.text
    nan = lab.post(
        f"/api/v1/lots/{made['id']}/qc",
        json={"attribute": "cd90", "value": "high", "unit": "%", "method": "flow"},
    )
    assert nan.status_code == 422
    unit = lab.post(
        f"/api/v1/lots/{made['id']}/qc",
        json={"attribute": "cd90", "value": "99", "unit": "EU/mL", "method": "flow"},
    )
    assert unit.status_code == 422


def test_release_specifications_are_served_with_their_version(lab):
    r = lab.get("/api/v1/release-specifications/current")
    assert r.status_code == 200
    body = r.json()
    assert body["version"] == specs.DEFAULT_VERSION
    items = {i["attribute"]: i for i in body["items"]}
    assert items["cd73"]["min"] == 95 and "max" not in items["cd73"]
    assert items["cd45"]["max"] == 2
    assert items["sterility"]["accepted"] == ["no growth"]
    assert set(items) == set(PASSING)


def test_new_specification_version_counts_from_then_on(api_as, lab, lot):
    made = lot(results={"viability": "75"})
    assert made["releasable"] is True
    admin = api_as("admin")
    current = admin.get("/api/v1/release-specifications/current").json()
    items = [{**i, "min": 80.0} if i["attribute"] == "viability" else i for i in current["items"]]
    r = admin.post(
        "/api/v1/release-specifications",
        json={
            "version": "msc-release-2027.1",
            "source": "SOP QC-12 rev 4",
            "passage_limit": 4,
            "items": items,
        },
    )
    assert r.status_code == 201, r.text
    assert lab.get("/api/v1/release-specifications/current").json()["version"] == (
        "msc-release-2027.1"
    )
    again = lab.get(f"/api/v1/lots/{made['id']}").json()
    assert again["releasable"] is False and again["passage_limit"] == 4
    dup = admin.post(
        "/api/v1/release-specifications",
        json={"version": "msc-release-2027.1", "source": "x", "passage_limit": 4, "items": items},
    )
    assert dup.status_code == 422


def test_lot_past_the_passage_limit_is_flagged(lot):
    assert lot(passage=5)["past_passage_limit"] is False
    assert lot(passage=6)["past_passage_limit"] is True


# --- release signature, quarantine, discard, recall -----------------------------------------


def test_release_is_e_signed_with_password_and_meaning(db, lab, lot, release):
    made = lot()
    wrong = release(made["id"], password="not the password")
    assert wrong.status_code == 403
    assert lab.get(f"/api/v1/lots/{made['id']}").json()["status"] == "quarantine"
    meaning = lab.post(
        f"/api/v1/lots/{made['id']}/release",
        json={"password": lab.account.password, "meaning": "approved"},
    )
    assert meaning.status_code == 422
    ok = release(made["id"])
    assert ok.status_code == 200
    assert ok.json()["released_by"] == lab.account.actor.name
    with db.session() as session:
        sig = session.scalars(select(audit.Signature)).one()
        assert sig.meaning == "released for clinical use" and sig.entity_type == "lot"
    assert release(made["id"]).status_code == 409


def test_only_the_lab_releases(api_as, lot):
    made = lot()
    doc = api_as("physician")
    r = doc.post(
        f"/api/v1/lots/{made['id']}/release",
        json={"password": doc.account.password, "meaning": "released for clinical use"},
    )
    assert r.status_code == 403


def test_expired_lot_cannot_be_released(db, lot, release):
    from respira.products.models import Lot

    made = lot()
    with db.transaction() as session:
        row = session.get(Lot, made["id"])
        row.expiry = today_utc() - dt.timedelta(days=1)
    assert release(made["id"]).status_code == 409


def test_out_of_specification_lot_can_be_quarantined_then_discarded_never_released(
    lab, lot, release
):
    made = lot(results={"sterility": "growth"})
    q = lab.post(f"/api/v1/lots/{made['id']}/quarantine", json={"reason": "sterility failed"})
    assert q.status_code == 200 and q.json()["quarantine_reason"] == "sterility failed"
    assert release(made["id"]).status_code == 409
    d = lab.post(f"/api/v1/lots/{made['id']}/discard", json={"reason": "sterility failed"})
    assert d.status_code == 200 and d.json()["status"] == "discarded"
    assert release(made["id"]).status_code == 409


def test_quarantine_hold_blocks_release_even_when_every_specification_passes(lab, lot, release):
    made = lot()
    lab.post(f"/api/v1/lots/{made['id']}/quarantine", json={"reason": "deviation DV-12"})
    r = release(made["id"])
    assert r.status_code == 409 and "quarantine hold" in r.text


def test_released_lot_cannot_be_discarded_or_quarantined(lab, lot, release):
    made = lot()
    release(made["id"])
    assert (
        lab.post(f"/api/v1/lots/{made['id']}/discard", json={"reason": "x-x-x"}).status_code == 409
    )
    assert (
        lab.post(f"/api/v1/lots/{made['id']}/quarantine", json={"reason": "x-x-x"}).status_code
        == 409
    )


def test_recall_is_e_signed_with_a_reason_and_blocks_every_unit(db, lab, lot, release):
    from respira.products import service

    made = lot()
    units = lab.post(f"/api/v1/lots/{made['id']}/units", json={"count": 3}).json()
    release(made["id"])
    no_reason = lab.post(
        f"/api/v1/lots/{made['id']}/recall", json={"password": lab.account.password}
    )
    assert no_reason.status_code == 422
    wrong = lab.post(
        f"/api/v1/lots/{made['id']}/recall", json={"password": "nope", "reason": "donor lookback"}
    )
    assert wrong.status_code == 403
    r = lab.post(
        f"/api/v1/lots/{made['id']}/recall",
        json={"password": lab.account.password, "reason": "donor lookback: HBV"},
    )
    assert r.status_code == 200 and r.json()["status"] == "recalled"
    with db.session() as session:
        for u in units:
            facts = service.bedside_facts(session, u["din"])
            assert facts is not None and facts.lot_status == "recalled"
        sigs = session.scalar(select(func.count()).select_from(audit.Signature))
        assert sigs == 2
    assert (
        lab.post(
            f"/api/v1/lots/{made['id']}/recall",
            json={"password": lab.account.password, "reason": "again"},
        ).status_code
        == 409
    )


def test_unreleased_lot_cannot_be_recalled(lab, lot):
    made = lot()
    r = lab.post(
        f"/api/v1/lots/{made['id']}/recall",
        json={"password": lab.account.password, "reason": "mistake"},
    )
    assert r.status_code == 409


def test_release_and_qc_are_audited(db, lot, release):
    made = lot()
    release(made["id"])
    with db.session() as session:
        actions = set(
            session.scalars(
                select(audit.AuditRecord.action).where(audit.AuditRecord.entity_type == "lot")
            )
        )
        assert {"create", "release"} <= actions
        assert audit.verify_chain(session).ok
