"""The clinical snapshot that screening reads: filled from recorded data, each fact
with its date and source, the newest record winning, retracted records ignored, and
None for everything that was never recorded."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from respira.diagnostics.snapshot import ClinicalSnapshot, Dated, clinical_snapshot
from respira.kit.actors import Actor
from tests.diagnostics.helpers import HISTORY, IMAGING, MARKERS, SPIRO, days_ago


def _snap(db, patient_id) -> ClinicalSnapshot:
    with db.session() as session:
        return clinical_snapshot(session, patient_id)


def _visit(doc, patient_id, ago: int) -> int:
    r = doc.post(f"/api/v1/patients/{patient_id}/visits", json={"visit_date": days_ago(ago)})
    return int(r.json()["id"])


def test_a_patient_with_nothing_recorded_has_none_everywhere(db, patient_id):
    snap = _snap(db, patient_id)
    assert snap.patient_id == patient_id
    for f in dataclasses.fields(ClinicalSnapshot):
        if f.name != "patient_id":
            assert getattr(snap, f.name) is None, f.name


def test_the_snapshot_is_filled_from_the_records_with_dates_and_sources(db, doc, patient_id):
    vid = _visit(doc, patient_id, 20)
    on = dt.date.fromisoformat(days_ago(20))
    spiro = doc.post(f"/api/v1/visits/{vid}/spirometry", json=SPIRO).json()
    markers = doc.post(f"/api/v1/visits/{vid}/markers", json=MARKERS).json()
    act = doc.post(
        f"/api/v1/visits/{vid}/questionnaires",
        json={"instrument": "act", "answers": [3, 3, 3, 3, 3]},
    ).json()
    acq = doc.post(
        f"/api/v1/visits/{vid}/questionnaires",
        json={"instrument": "acq6", "answers": [2, 2, 1, 1, 2, 1]},
    ).json()
    gina = doc.post(
        f"/api/v1/visits/{vid}/questionnaires",
        json={"instrument": "gina", "answers": [True, True, True, False]},
    ).json()
    hist = doc.post(
        f"/api/v1/visits/{vid}/history",
        json={
            **HISTORY,
            "last_exacerbation_date": days_ago(80),
            "maintenance_ocs": True,
            "ocs_dose_mg_per_day": 10,
            "biologic": "mepolizumab",
        },
    ).json()
    img = doc.post(
        f"/api/v1/visits/{vid}/imaging",
        json={**IMAGING, "study_date": days_ago(25), "abnormal": True},
    ).json()
    snap = _snap(db, patient_id)
    src = f"visit {vid} / spirometry {spiro['id']}"
    assert snap.fev1_pre_l == Dated(2.10, on, src)
    assert snap.fev1_pre_pctpred == Dated(spiro["results"]["fev1_pre"]["pctpred"], on, src)
    assert snap.fev1_pre_z == Dated(spiro["results"]["fev1_pre"]["z"], on, src)
    assert snap.fev1fvc_pre_z == Dated(spiro["results"]["fev1fvc_pre"]["z"], on, src)
    assert snap.spirometry_pattern == Dated("obstruction", on, src)
    assert snap.bdr_2022 == Dated(True, on, src)
    assert snap.bdr_2005 == Dated(spiro["bdr_2005"], on, src)
    assert snap.bdr_positive_ever == Dated(True, on, src)
    assert snap.fev1_post_pctpred == Dated(spiro["results"]["fev1_post"]["pctpred"], on, src)
    assert snap.fev1fvc_post_z == Dated(spiro["results"]["fev1fvc_post"]["z"], on, src)
    assert snap.act_score == Dated(15, on, f"visit {vid} / questionnaire {act['id']}")
    assert snap.acq_score == Dated(1.5, on, f"visit {vid} / questionnaire {acq['id']}")
    assert snap.acq_instrument is not None and snap.acq_instrument.value == "acq6"
    assert snap.gina_control == Dated(
        "uncontrolled", on, f"visit {vid} / questionnaire {gina['id']}"
    )
    assert snap.cact_score is None
    msrc = f"visit {vid} / markers {markers['id']}"
    assert snap.blood_eosinophils_per_ul == Dated(420.0, on, msrc)
    assert snap.feno_ppb == Dated(38.0, on, msrc)
    assert snap.total_ige_iu_ml == Dated(310.0, on, msrc)
    assert snap.phenotype == Dated("allergic-eosinophilic", on, msrc)
    assert snap.sensitised == Dated(True, on, msrc)
    hsrc = f"visit {vid} / history {hist['id']}"
    assert snap.gina_step == Dated(5, on, hsrc)
    assert snap.ics_dose_level == Dated("high", on, hsrc)
    assert snap.on_laba == Dated(True, on, hsrc) and snap.on_lama == Dated(True, on, hsrc)
    assert snap.maintenance_ocs == Dated(True, on, hsrc)
    assert snap.ocs_dose_mg_per_day == Dated(10.0, on, hsrc)
    assert snap.biologic == Dated("mepolizumab", on, hsrc)
    assert snap.exacerbations_12m == Dated(3, on, hsrc)
    assert snap.hospitalisations_12m == Dated(1, on, hsrc)
    assert snap.rescue_puffs_per_week == Dated(14.0, on, hsrc)
    assert snap.last_exacerbation == Dated(dt.date.fromisoformat(days_ago(80)), on, hsrc)
    # Exacerbations happened and no course date was given: unknown, not "none".
    assert snap.last_systemic_corticosteroid_course is None
    assert snap.adherence_confirmed == Dated(True, on, hsrc)
    assert snap.inhaler_technique_confirmed == Dated(True, on, hsrc)
    assert snap.chest_imaging_abnormal == Dated(
        True, dt.date.fromisoformat(days_ago(25)), f"visit {vid} / imaging {img['id']}"
    )


def test_the_newest_visit_wins_and_each_marker_comes_from_the_panel_that_measured_it(
    db, doc, patient_id
):
    old = _visit(doc, patient_id, 200)
    new = _visit(doc, patient_id, 10)
    # Recorded in the opposite order: the visit date decides, not the order of entry.
    doc.post(f"/api/v1/visits/{new}/spirometry", json={"fev1_pre_l": 2.9, "fvc_pre_l": 3.5})
    doc.post(f"/api/v1/visits/{old}/spirometry", json=SPIRO)
    doc.post(f"/api/v1/visits/{old}/markers", json=MARKERS)
    doc.post(f"/api/v1/visits/{new}/markers", json={"feno_ppb": 12})
    snap = _snap(db, patient_id)
    assert snap.fev1_pre_l is not None and snap.fev1_pre_l.value == 2.9
    assert snap.fev1_pre_l.on == dt.date.fromisoformat(days_ago(10))
    # BDR comes from the newest session that had a post-bronchodilator test.
    assert snap.bdr_2022 is not None and snap.bdr_2022.on == dt.date.fromisoformat(days_ago(200))
    assert snap.feno_ppb is not None and snap.feno_ppb.value == 12.0
    assert snap.feno_ppb.on == dt.date.fromisoformat(days_ago(10))
    assert snap.blood_eosinophils_per_ul is not None
    assert snap.blood_eosinophils_per_ul.value == 420.0
    assert snap.blood_eosinophils_per_ul.on == dt.date.fromisoformat(days_ago(200))
    assert snap.phenotype is not None and snap.phenotype.on == dt.date.fromisoformat(days_ago(10))
    assert snap.sensitised is not None and snap.sensitised.on == dt.date.fromisoformat(
        days_ago(200)
    )


def test_retracted_records_and_visits_never_count(db, doc, patient_id):
    vid = _visit(doc, patient_id, 5)
    spiro = doc.post(f"/api/v1/visits/{vid}/spirometry", json=SPIRO).json()
    doc.post(
        f"/api/v1/visits/{vid}/spirometry/{spiro['id']}/retract", json={"reason": "wrong patient"}
    )
    assert _snap(db, patient_id).fev1_pre_l is None
    other = _visit(doc, patient_id, 3)
    doc.post(f"/api/v1/visits/{other}/history", json=HISTORY)
    assert _snap(db, patient_id).gina_step is not None
    doc.post(f"/api/v1/visits/{other}/retract", json={"reason": "duplicate"})
    assert _snap(db, patient_id).gina_step is None


def test_bdr_positive_ever_by_either_rule_and_false_when_never_positive(db, doc, patient_id):
    vid = _visit(doc, patient_id, 50)
    flat = {**SPIRO, "fev1_post_l": 2.15, "fvc_post_l": 3.22}
    doc.post(f"/api/v1/visits/{vid}/spirometry", json=flat)
    snap = _snap(db, patient_id)
    assert snap.bdr_positive_ever is not None and snap.bdr_positive_ever.value is False
    earlier = _visit(doc, patient_id, 300)
    positive = doc.post(f"/api/v1/visits/{earlier}/spirometry", json=SPIRO).json()
    snap = _snap(db, patient_id)
    assert snap.bdr_2022 is not None and snap.bdr_2022.value is False  # the newest test
    assert snap.bdr_positive_ever == Dated(
        True, dt.date.fromisoformat(days_ago(300)), f"visit {earlier} / spirometry {positive['id']}"
    )


def test_no_exacerbation_in_the_year_means_no_recent_one_and_none_means_none(db, doc, patient_id):
    vid = _visit(doc, patient_id, 2)
    quiet = {
        **HISTORY,
        "severe_exacerbations_12m": 0,
        "hospitalisations_12m": 0,
        "biologic": "none",
        "adherence_confirmed": "unknown",
    }
    doc.post(f"/api/v1/visits/{vid}/history", json=quiet)
    snap = _snap(db, patient_id)
    assert snap.last_exacerbation is not None and snap.last_exacerbation.value is None
    # A blank course date is unknown, not "no course" (issue 14).
    assert snap.last_systemic_corticosteroid_course is None
    assert snap.biologic is not None and snap.biologic.value is None
    assert snap.adherence_confirmed is None  # "unknown" is not a fact
    assert snap.ocs_dose_mg_per_day is not None and snap.ocs_dose_mg_per_day.value == 0.0


def test_other_imaging_is_not_chest_imaging(db, doc, patient_id):
    vid = _visit(doc, patient_id, 2)
    doc.post(
        f"/api/v1/visits/{vid}/imaging",
        json={**IMAGING, "modality": "other", "study_date": days_ago(2), "abnormal": True},
    )
    assert _snap(db, patient_id).chest_imaging_abnormal is None


def test_snapshot_for_applies_the_read_rules(db, make_account, patient_id):
    from respira.diagnostics import service
    from respira.kit.errors import Forbidden, NotFound

    stranger = make_account("patient")
    coordinator = make_account("coordinator")
    with db.session() as session:
        assert service.snapshot_for(session, Actor.system(), patient_id).patient_id == patient_id
        with pytest.raises(NotFound):
            service.snapshot_for(session, stranger.actor, patient_id)
        with pytest.raises(Forbidden):
            service.snapshot_for(session, coordinator.actor, patient_id)
