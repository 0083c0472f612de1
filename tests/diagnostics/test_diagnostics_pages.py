"""The diagnostics pages: the visits section of the patient's page, the new-visit form,
the visit page with what the physician must see (pattern, bronchodilator response,
phenotype, control), the server-made z-score chart and its table, and the forms (errors
beside fields, values kept, nothing stored on error)."""

from __future__ import annotations

import re

import pytest

from respira.diagnostics import chart
from tests.diagnostics.helpers import days_ago

SPIRO_FORM = {
    "equations": "gli-global",
    "ethnicity": "",
    "fev1_pre_l": "2.10",
    "fvc_pre_l": "3.20",
    "fef2575_pre_l_s": "",
    "bronchodilator": "salbutamol",
    "bronchodilator_dose_ug": "400",
    "fev1_post_l": "2.50",
    "fvc_post_l": "3.40",
}
HISTORY_FORM = {
    "ics_dose_level": "high",
    "laba": "yes",
    "lama": "no",
    "maintenance_ocs": "yes",
    "ocs_dose_mg_per_day": "7.5",
    "biologic": "none",
    "gina_step": "5",
    "gina_track": "1",
    "severe_exacerbations_12m": "2",
    "hospitalisations_12m": "1",
    "last_exacerbation_date": "",
    "last_systemic_cs_date": "",
    "rescue_puffs_per_week": "20",
    "adherence_confirmed": "yes",
    "inhaler_technique_confirmed": "unknown",
}


@pytest.fixture
def physician(page_as):
    return page_as("physician")


@pytest.fixture
def page_visit(physician, patient_id) -> int:
    r = physician.post_form(
        f"/patients/{patient_id}/visits", {"visit_date": days_ago(4)}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    m = re.match(r"/visits/(\d+)\?saved=visit", r.headers["location"])
    assert m
    return int(m.group(1))


def _no_inline_code(html: str) -> None:
    # The Content-Security-Policy forbids inline styles and scripts.
    assert 'style="' not in html and "<style" not in html and "<script" not in html


def test_the_new_visit_form_keeps_the_value_and_shows_the_error_beside_the_field(
    physician, patient_id, count_rows
):
    assert "Visit date" in physician.get(f"/patients/{patient_id}/visits/new").text
    future = days_ago(-5)
    r = physician.post_form(f"/patients/{patient_id}/visits", {"visit_date": future})
    assert r.status_code == 422
    assert 'id="e-visit_date"' in r.text and "future" in r.text
    assert f'value="{future}"' in r.text
    assert count_rows()["visits"] == 0


def test_the_physician_sees_pattern_bdr_phenotype_and_control_on_the_visit_page(
    physician, page_visit
):
    base = f"/visits/{page_visit}"
    r = physician.post_form(f"{base}/spirometry", SPIRO_FORM, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("#spirometry")
    markers = {
        "blood_eosinophils_per_ul": "420",
        "feno_ppb": "38",
        "total_ige_iu_ml": "",
        "on_maintenance_ocs": "no",
        "on_biologic": "no",
        "allergen_1": "house dust mite",
        "allergen_result_1": "positive",
        "allergen_method_1": "skin_prick",
    }
    assert (
        physician.post_form(f"{base}/markers", markers, follow_redirects=False).status_code == 303
    )
    act = {
        "instrument": "act",
        "act_1": "3",
        "act_2": "3",
        "act_3": "2",
        "act_4": "3",
        "act_5": "3",
    }
    assert (
        physician.post_form(f"{base}/questionnaires", act, follow_redirects=False).status_code
        == 303
    )
    page = physician.get(base).text
    _no_inline_code(page)
    pattern = re.search(r'id="finding-pattern">([^<]*)<', page)
    assert pattern and pattern.group(1).startswith("obstruction")
    bdr = re.search(r'id="finding-bdr">([^<]*)<', page)
    assert bdr and bdr.group(1).startswith("positive")
    phenotype = re.search(r'id="finding-phenotype">([^<]*)<', page)
    assert phenotype and phenotype.group(1) == "allergic and eosinophilic"
    control = re.search(r'id="finding-control">([^<]*)<', page)
    assert control and control.group(1) == "ACT 14: very poorly controlled"
    assert '<span class="abnormal">below LLN</span>' in page
    # The patient banner is on the page.
    assert "Lindqvist, Greta" in page and "Record number" in page


def test_the_visit_page_has_the_svg_z_score_chart_with_the_lln_line_and_the_numbers_table(
    physician, doc, page_visit
):
    physician.post_form(f"/visits/{page_visit}/spirometry", SPIRO_FORM)
    stored = doc.get(f"/api/v1/visits/{page_visit}").json()["spirometry"][0]
    page = physician.get(f"/visits/{page_visit}").text
    svg = re.search(r"<svg .*?</svg>", page, re.S)
    assert svg, "no SVG chart on the page"
    svg_text = svg.group(0)
    assert 'role="img"' in svg_text and "<title" in svg_text and "<desc" in svg_text
    lln = re.search(r'<line x1="([\d.]+)" x2="([\d.]+)"[^>]*class="lln-line"', svg_text)
    assert lln and float(lln.group(1)) == pytest.approx(chart._x(-1.645), abs=0.05)
    assert "LLN (z = −1.645)" in svg_text and "z-score" in svg_text
    # One pre marker (circle) and one post marker (diamond) per parameter with both.
    assert svg_text.count("<circle") == 3 + 1  # 3 parameters + the legend
    assert svg_text.count("<polygon") == 3 + 1
    # The text alternative: the same numbers in a table.
    table = re.search(r'<table class="spirometry-results">.*?</table>', page, re.S)
    assert table
    for key in ("fev1_pre", "fvc_pre", "fev1fvc_pre", "fev1_post", "fvc_post", "fev1fvc_post"):
        z = stored["results"][key]["z"]
        assert chart.fmt_z(z) in table.group(0), key
        assert chart.fmt_z(z) in svg_text, key  # in the chart's description
        assert f"{stored['results'][key]['pctpred']:.0f}" in table.group(0)


def test_a_z_score_beyond_the_axis_is_drawn_at_its_end_with_its_value():
    svg = str(chart.zscore_chart([chart.ChartRow("FEV1", -7.2, -6.5)], chart_id="c", title="t"))
    assert "◀ −7.20" in svg and "◀ −6.50" in svg
    assert 'style="' not in svg


def test_chart_text_is_escaped():
    svg = str(chart.zscore_chart([chart.ChartRow("<b>", 0.0, None)], chart_id="c", title="<x>"))
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "&lt;x&gt;" in svg


def test_a_spirometry_form_error_is_shown_beside_the_field_and_nothing_is_stored(
    physician, page_visit, count_rows
):
    data = {**SPIRO_FORM, "fev1_pre_l": "2500"}
    r = physician.post_form(f"/visits/{page_visit}/spirometry", data)
    assert r.status_code == 422
    err = re.search(r'id="e-fev1_pre_l">([^<]*)<', r.text)
    assert err and "looks like mL" in err.group(1)
    assert 'value="2500"' in r.text and 'value="3.40"' in r.text
    assert re.search(r'<form[^>]*id="form-spirometry".*?<details open>', r.text, re.S)
    assert count_rows()["spirometry"] == 0


def test_a_patient_without_height_is_asked_for_the_height_of_the_test(
    physician, make_patient, count_rows
):
    pid = make_patient(height_cm=None, email="noheight2@mail.example")
    r = physician.post_form(f"/patients/{pid}/visits", {"visit_date": days_ago(1)})
    visit_url = str(r.url.path)
    r = physician.post_form(f"{visit_url}/spirometry", SPIRO_FORM)
    assert r.status_code == 422
    assert "enter the height measured at this test" in r.text
    assert 'href="#f-height_cm"' in r.text and 'id="e-height_cm"' in r.text
    assert count_rows()["spirometry"] == 0


def test_markers_form_errors_land_on_the_allergy_row(physician, page_visit, count_rows):
    data = {"blood_eosinophils_per_ul": "0.3", "allergen_result_2": "positive"}
    r = physician.post_form(f"/visits/{page_visit}/markers", data)
    assert r.status_code == 422
    assert "0.3 ×10⁹/L = 300/µL" in r.text
    assert 'id="e-allergen_2"' in r.text
    assert count_rows()["markers"] == 0


def test_questionnaire_forms_come_from_the_science_item_labels(physician, page_visit):
    from respira.science.control import ITEM_LABELS

    page = physician.get(f"/visits/{page_visit}").text
    for instrument, labels in ITEM_LABELS.items():
        assert f'id="form-{instrument}"' in page
        for n, label in enumerate(labels, start=1):
            assert f'for="f-{instrument}_{n}">{label}' in page


def test_acq7_is_prefilled_with_the_visits_fev1_percent_predicted(physician, doc, page_visit):
    physician.post_form(f"/visits/{page_visit}/spirometry", SPIRO_FORM)
    pct = doc.get(f"/api/v1/visits/{page_visit}").json()["spirometry"][0]["results"]["fev1_pre"][
        "pctpred"
    ]
    page = physician.get(f"/visits/{page_visit}").text
    # One decimal; unchanged, the item is scored from the exact value (see
    # test_diagnostics_corrections.py).
    assert re.search(rf'id="f-acq7_7" name="acq7_7" type="number" value="{pct:.1f}"', page)


def test_a_questionnaire_item_error_is_shown_beside_the_item(physician, page_visit, count_rows):
    data = {
        "instrument": "acq5",
        "acq5_1": "1",
        "acq5_2": "9",
        "acq5_3": "1",
        "acq5_4": "",
        "acq5_5": "1",
    }
    r = physician.post_form(f"/visits/{page_visit}/questionnaires", data)
    assert r.status_code == 422
    assert 'id="e-acq5_4"' in r.text
    assert 'value="9"' in r.text
    assert count_rows()["questionnaires"] == 0
    data["acq5_4"] = "1"
    r = physician.post_form(f"/visits/{page_visit}/questionnaires", data)
    assert r.status_code == 422
    err = re.search(r'id="e-acq5_2">([^<]*)<', r.text)
    assert err and "item 2" in err.group(1)


def test_gina_questionnaire_by_form(physician, page_visit):
    data = {"instrument": "gina", "gina_1": "yes", "gina_2": "no", "gina_3": "yes", "gina_4": "no"}
    r = physician.post_form(f"/visits/{page_visit}/questionnaires", data)
    assert r.status_code == 200
    assert "GINA 2: partly controlled" in r.text


def test_history_and_imaging_by_form(physician, page_visit, count_rows):
    r = physician.post_form(f"/visits/{page_visit}/history", HISTORY_FORM)
    assert r.status_code == 200, r.text
    assert "GINA step 5" in r.text and "7.5 mg/day prednisone-equivalent" in r.text
    bad = {**HISTORY_FORM, "hospitalisations_12m": "3"}
    r = physician.post_form(f"/visits/{page_visit}/history", bad)
    assert r.status_code == 422 and 'id="e-hospitalisations_12m"' in r.text
    imaging = {
        "modality": "hrct",
        "study_date": days_ago(10),
        "findings": "Bronchial wall thickening.",
        "abnormal": "yes",
        "clinically_indicated": "yes",
        "indication": "",
    }
    r = physician.post_form(f"/visits/{page_visit}/imaging", imaging)
    assert r.status_code == 422 and 'id="e-indication"' in r.text
    assert "Bronchial wall thickening." in r.text  # the textarea keeps what was typed
    imaging["indication"] = "Suspected bronchiectasis"
    r = physician.post_form(f"/visits/{page_visit}/imaging", imaging)
    assert r.status_code == 200 and '<span class="abnormal">abnormal findings</span>' in r.text
    assert count_rows()["imaging"] == 1 and count_rows()["history"] == 1


def test_the_patients_page_lists_visits_newest_first_with_key_results(physician, patient_id):
    for ago in (40, 4):
        r = physician.post_form(f"/patients/{patient_id}/visits", {"visit_date": days_ago(ago)})
        physician.post_form(f"{r.url.path}/spirometry", SPIRO_FORM)
    page = physician.get(f"/patients/{patient_id}").text
    assert "Diagnostic visits" in page and "New visit" in page
    rows = re.findall(r'<a href="/visits/(\d+)">', page)
    assert len(rows) == 2 and int(rows[0]) > int(rows[1])  # the newer visit was made second
    assert "obstruction" in page and "<strong>positive</strong>" in page


def test_a_coordinator_sees_the_patient_but_not_the_diagnostics(page_as, patient_id, physician):
    physician.post_form(f"/patients/{patient_id}/visits", {"visit_date": days_ago(1)})
    coordinator = page_as("coordinator")
    page = coordinator.get(f"/patients/{patient_id}").text
    assert "Lindqvist" in page and "Diagnostic visits" not in page


def test_a_patient_reads_their_own_visit_page_without_forms(
    page_as, physician, patient_id, page_visit
):
    physician.post_form(f"/visits/{page_visit}/spirometry", SPIRO_FORM)
    own = page_as("patient", patient_id=patient_id)
    r = own.get(f"/visits/{page_visit}")
    assert r.status_code == 200
    assert "obstruction" in r.text and "<svg" in r.text
    assert '<form method="post" action="/visits/' not in r.text
    assert "Retract" not in r.text
    other = page_as("patient")
    assert other.get(f"/visits/{page_visit}").status_code == 404


def test_retraction_by_page_needs_a_reason_and_marks_the_record(physician, doc, page_visit):
    physician.post_form(f"/visits/{page_visit}/spirometry", SPIRO_FORM)
    sid = doc.get(f"/api/v1/visits/{page_visit}").json()["spirometry"][0]["id"]
    url = f"/visits/{page_visit}/spirometry/{sid}/retract"
    r = physician.post_form(url, {"reason": ""})
    assert r.status_code == 422 and f'id="e-retract_spirometry_{sid}"' in r.text
    r = physician.post_form(url, {"reason": "wrong session"})
    assert r.status_code == 200
    assert "Entered in error" in r.text and "wrong session" in r.text
    finding = re.search(r'id="finding-pattern">([^<]*)<', r.text)
    assert finding and finding.group(1) == "not recorded"
    r = physician.post_form(f"/visits/{page_visit}/retract", {"reason": "duplicate visit"})
    assert r.status_code == 200 and "This visit was retracted" in r.text
    assert f'action="/visits/{page_visit}/spirometry"' not in r.text
