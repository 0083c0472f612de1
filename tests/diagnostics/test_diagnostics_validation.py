"""Units, plausible ranges and cross-field rules: every rule answers 422 with a message
that names the field and its unit, a value in the wrong unit is caught (and never
converted), and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from respira.diagnostics import units
from tests.diagnostics.helpers import HISTORY, IMAGING, SPIRO, days_ago


def _refused(doc, count_rows, url: str, body: dict[str, Any], field: str, *words: str) -> str:
    before = count_rows()
    r = doc.post(url, json=body)
    assert r.status_code == 422, r.text
    details = {d["field"]: d["msg"] for d in r.json()["detail"]}
    assert field in details, details
    for word in words:
        assert word in details[field], details[field]
    assert count_rows() == before, "a refused record changed the database"
    return details[field]


# --- spirometry -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"fev1_pre_l": 2500}, "fev1_pre_l", ("FEV1", "looks like mL", "2,500 mL = 2.5 L")),
        ({"fvc_pre_l": 3400}, "fvc_pre_l", ("FVC", "looks like mL", "litres")),
        ({"fev1_post_l": 71}, "fev1_post_l", ("FEV1", "% predicted", "litres")),
        ({"fev1_pre_l": 0.1}, "fev1_pre_l", ("FEV1", "0.2 and 8 L")),
        ({"fev1_pre_l": 9.0, "fvc_pre_l": 9.5}, "fev1_pre_l", ("FEV1", "0.2 and 8 L")),
        ({"fvc_pre_l": 10.5}, "fvc_pre_l", ("FVC", "0.2 and 10 L")),
        ({"fvc_pre_l": 85}, "fvc_pre_l", ("FVC", "looks like % predicted")),
        ({"fvc_pre_l": -1}, "fvc_pre_l", ("FVC", "0.2 and 10 L")),
        ({"fef2575_pre_l_s": 2100}, "fef2575_pre_l_s", ("FEF25-75", "mL/s", "L/s")),
        ({"fef2575_pre_l_s": 0.01}, "fef2575_pre_l_s", ("FEF25-75", "0.05 and 15 L/s")),
        ({"bronchodilator_dose_ug": 0.4}, "bronchodilator_dose_ug", ("looks like mg", "400 µg")),
        ({"bronchodilator_dose_ug": 2000}, "bronchodilator_dose_ug", ("1,000 µg",)),
        ({"bronchodilator_dose_ug": 0}, "bronchodilator_dose_ug", ("more than 0",)),
    ],
)
def test_spirometry_units_and_ranges(doc, visit_id, count_rows, change, field, words):
    _refused(
        doc, count_rows, f"/api/v1/visits/{visit_id}/spirometry", {**SPIRO, **change}, field, *words
    )


def test_fev1_above_fvc_beyond_150_ml_names_both(doc, visit_id, count_rows):
    url = f"/api/v1/visits/{visit_id}/spirometry"
    body = {**SPIRO, "fev1_pre_l": 3.5, "fvc_pre_l": 3.3}
    msg = _refused(doc, count_rows, url, body, "fev1_pre_l", "FEV1 3.5 L", "FVC 3.3 L")
    r = doc.post(url, json=body)
    assert {d["field"] for d in r.json()["detail"]} >= {"fev1_pre_l", "fvc_pre_l"}
    assert "0.15 L" in msg
    # The same after the bronchodilator.
    _refused(
        doc,
        count_rows,
        url,
        {**SPIRO, "fev1_post_l": 3.8, "fvc_post_l": 3.4},
        "fvc_post_l",
        "FEV1 3.8 L",
        "FVC 3.4 L",
    )


def test_fev1_slightly_above_fvc_is_within_repeatability_and_accepted(doc, visit_id):
    body = {"fev1_pre_l": 3.40, "fvc_pre_l": 3.30}
    assert doc.post(f"/api/v1/visits/{visit_id}/spirometry", json=body).status_code == 201


def test_our_fev1_over_fvc_rule_accepts_exactly_150_ml():
    from respira.diagnostics.schemas import SpirometryIn

    body = SpirometryIn(fev1_pre_l=3.45, fvc_pre_l=3.30)
    assert "fev1_pre_l" not in body.problems()
    assert "fev1_pre_l" in SpirometryIn(fev1_pre_l=3.46, fvc_pre_l=3.30).problems()


def test_fev1_exactly_150_ml_above_fvc_is_accepted_end_to_end(doc, visit_id):
    body = {"fev1_pre_l": 3.45, "fvc_pre_l": 3.30}
    assert doc.post(f"/api/v1/visits/{visit_id}/spirometry", json=body).status_code == 201


def test_post_bronchodilator_values_without_pre_are_refused(doc, visit_id, count_rows):
    body = {
        "fev1_post_l": 2.5,
        "fvc_post_l": 3.4,
        "bronchodilator": "salbutamol",
        "bronchodilator_dose_ug": 400,
    }
    msg = _refused(
        doc,
        count_rows,
        f"/api/v1/visits/{visit_id}/spirometry",
        body,
        "fev1_pre_l",
        "post-bronchodilator values need the pre-bronchodilator",
    )
    assert "(L)" in msg


def test_pre_values_are_required(doc, visit_id, count_rows):
    _refused(
        doc,
        count_rows,
        f"/api/v1/visits/{visit_id}/spirometry",
        {"fev1_pre_l": 2.0},
        "fvc_pre_l",
        "FVC",
        "required",
        "(L)",
    )


def test_post_values_come_in_pairs(doc, visit_id, count_rows):
    body = {**SPIRO}
    del body["fvc_post_l"]
    _refused(
        doc,
        count_rows,
        f"/api/v1/visits/{visit_id}/spirometry",
        body,
        "fvc_post_l",
        "FVC after the bronchodilator is missing",
    )


def test_a_post_test_needs_the_bronchodilator_and_its_dose(doc, visit_id, count_rows):
    body = {k: v for k, v in SPIRO.items() if not k.startswith("bronchodilator")}
    _refused(
        doc,
        count_rows,
        f"/api/v1/visits/{visit_id}/spirometry",
        body,
        "bronchodilator_dose_ug",
        "dose",
        "µg",
    )


def test_a_bronchodilator_without_post_values_is_refused(doc, visit_id, count_rows):
    body = {"fev1_pre_l": 2.1, "fvc_pre_l": 3.2, "bronchodilator": "salbutamol"}
    _refused(
        doc,
        count_rows,
        f"/api/v1/visits/{visit_id}/spirometry",
        body,
        "bronchodilator",
        "no post-bronchodilator values",
    )


def test_gli_2012_needs_the_group_and_gli_global_takes_none(doc, visit_id, count_rows):
    url = f"/api/v1/visits/{visit_id}/spirometry"
    _refused(doc, count_rows, url, {**SPIRO, "equations": "gli-2012"}, "ethnicity", "GLI-2012")
    _refused(doc, count_rows, url, {**SPIRO, "ethnicity": "caucasian"}, "ethnicity", "race-neutral")
    _refused(
        doc,
        count_rows,
        url,
        {**SPIRO, "equations": "gli-2012", "ethnicity": "martian"},
        "ethnicity",
    )
    _refused(doc, count_rows, url, {**SPIRO, "equations": "nhanes"}, "equations")


def test_non_numbers_and_unknown_fields_are_refused(doc, visit_id, count_rows):
    url = f"/api/v1/visits/{visit_id}/spirometry"
    _refused(doc, count_rows, url, {**SPIRO, "fev1_pre_l": "two"}, "fev1_pre_l")
    _refused(doc, count_rows, url, {**SPIRO, "fev1_pre_l": "NaN"}, "fev1_pre_l")
    _refused(doc, count_rows, url, {**SPIRO, "pattern": "normal"}, "pattern")


# --- markers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            {"blood_eosinophils_per_ul": 0.3},
            "blood_eosinophils_per_ul",
            ("looks like ×10⁹/L", "enter cells/µL", "0.3 ×10⁹/L = 300/µL"),
        ),
        (
            {"blood_eosinophils_per_ul": 4.5},
            "blood_eosinophils_per_ul",
            ("×10⁹/L", "4.5 ×10⁹/L = 4,500/µL"),
        ),
        (
            {"blood_eosinophils_per_ul": 12.5},
            "blood_eosinophils_per_ul",
            ("percentage of leukocytes", "cells/µL"),
        ),
        (
            {"blood_eosinophils_per_ul": 25000},
            "blood_eosinophils_per_ul",
            ("0 and 20,000 cells/µL",),
        ),
        ({"blood_eosinophils_per_ul": -5}, "blood_eosinophils_per_ul", ("cells/µL",)),
        ({"feno_ppb": 0.025}, "feno_ppb", ("looks like ppm", "25 ppb")),
        ({"feno_ppb": 450}, "feno_ppb", ("FeNO", "0 and 300 ppb")),
        ({"total_ige_iu_ml": 25000}, "total_ige_iu_ml", ("Total IgE", "20,000 IU/mL")),
        ({}, "blood_eosinophils_per_ul", ("at least one marker",)),
        (
            {"sensitisations": [{"allergen": "", "positive": True}]},
            "sensitisations.0.allergen",
            ("required",),
        ),
        (
            {"sensitisations": [{"allergen": "cat", "positive": True, "method": "patch"}]},
            "sensitisations.0.method",
            (),
        ),
        (
            {
                "sensitisations": [
                    {"allergen": "Cat", "positive": True},
                    {"allergen": "cat", "positive": False},
                ]
            },
            "sensitisations",
            ("twice",),
        ),
    ],
)
def test_marker_units_and_ranges(doc, visit_id, count_rows, body, field, words):
    _refused(doc, count_rows, f"/api/v1/visits/{visit_id}/markers", body, field, *words)


def test_plausible_low_eosinophils_in_whole_cells_are_accepted(doc, visit_id):
    for value in (0, 10, 40):
        r = doc.post(f"/api/v1/visits/{visit_id}/markers", json={"blood_eosinophils_per_ul": value})
        assert r.status_code == 201, r.text


# --- history --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"maintenance_ocs": True}, "ocs_dose_mg_per_day", ("mg/day",)),
        ({"ocs_dose_mg_per_day": 5}, "ocs_dose_mg_per_day", ("not on maintenance OCS",)),
        (
            {"maintenance_ocs": True, "ocs_dose_mg_per_day": 5000},
            "ocs_dose_mg_per_day",
            ("looks like µg", "5 mg"),
        ),
        (
            {"maintenance_ocs": True, "ocs_dose_mg_per_day": 250},
            "ocs_dose_mg_per_day",
            ("100 mg/day",),
        ),
        ({"rescue_puffs_per_week": 350}, "rescue_puffs_per_week", ("0 and 200 puffs per week",)),
        ({"hospitalisations_12m": 4}, "hospitalisations_12m", ("severe exacerbation",)),
        ({"severe_exacerbations_12m": -1}, "severe_exacerbations_12m", ()),
        ({"severe_exacerbations_12m": 1.5}, "severe_exacerbations_12m", ()),
        ({"gina_step": 6}, "gina_step", ()),
        ({"gina_track": 3}, "gina_track", ()),
        ({"biologic": "aspirin"}, "biologic", ()),
        ({"ics_dose_level": "very high"}, "ics_dose_level", ()),
        ({"adherence_confirmed": "maybe"}, "adherence_confirmed", ()),
        (
            {
                "severe_exacerbations_12m": 0,
                "hospitalisations_12m": 0,
                "last_exacerbation_date": days_ago(30),
            },
            "last_exacerbation_date",
            ("within the 12 months", "0 severe exacerbations"),
        ),
        (
            {"last_exacerbation_date": days_ago(500)},
            "last_exacerbation_date",
            ("more than 12 months",),
        ),
        ({"last_systemic_cs_date": "1950-01-01"}, "last_systemic_cs_date", ("date of birth",)),
        ({"last_systemic_cs_date": days_ago(-30)}, "last_systemic_cs_date", ("future",)),
        ({"last_systemic_cs_date": days_ago(1)}, "last_systemic_cs_date", ("after the visit",)),
    ],
)
def test_history_rules(doc, visit_id, count_rows, change, field, words):
    _refused(
        doc, count_rows, f"/api/v1/visits/{visit_id}/history", {**HISTORY, **change}, field, *words
    )


def test_history_requires_the_core_fields(doc, visit_id, count_rows):
    body = {k: v for k, v in HISTORY.items() if k != "gina_step"}
    _refused(doc, count_rows, f"/api/v1/visits/{visit_id}/history", body, "gina_step")


# --- imaging --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"indication": None}, "indication", ("indication",)),
        ({"clinically_indicated": False}, "indication", ("not clinically indicated",)),
        ({"study_date": days_ago(-3)}, "study_date", ("future",)),
        ({"study_date": "1960-05-05"}, "study_date", ("date of birth",)),
        ({"modality": "pet"}, "modality", ()),
        ({"findings": "  "}, "findings", ("required",)),
    ],
)
def test_imaging_rules(doc, visit_id, count_rows, change, field, words):
    body = {**IMAGING, "study_date": days_ago(5), **change}
    _refused(doc, count_rows, f"/api/v1/visits/{visit_id}/imaging", body, field, *words)


# --- the unit checks on their own -----------------------------------------------------


def test_wrong_unit_messages_show_the_conversion_but_never_convert():
    with pytest.raises(ValueError, match=r"2,500 mL = 2\.5 L"):
        units.volume_l("FEV1", 8)(2500)
    with pytest.raises(ValueError, match=r"0\.3 ×10⁹/L = 300/µL"):
        units.eosinophils_per_ul(0.3)
    with pytest.raises(ValueError, match=r"0\.4 mg = 400 µg"):
        units.bronchodilator_dose_ug(0.4)
    assert units.volume_l("FVC", 10)(10.0) == 10.0
    assert units.eosinophils_per_ul(300) == 300
    assert units.feno_ppb(0) == 0
    assert units.flow_l_s("FEF25-75")(15) == 15
