"""Issue 14's clinical corrections of diagnostics, at their cut-offs: ACQ-7 scores the
same on the page and in the API; very low eosinophil counts are confirmed, not refused;
the interpretation is worded for people (in English, German and Russian); an age
outside the reference equations is stored without reference values; the height is
measured at each spirometry session (defaulting to the newest recorded one)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from respira.diagnostics import labels
from respira.diagnostics.service import clinical_snapshot
from respira.kit import i18n
from respira.kit.validation import decimal_age
from respira.science.control import acq_fev1_item_score
from respira.science.spirometry import interpret_session
from tests.diagnostics.helpers import days_ago

DOB = dt.date(1979, 4, 12)  # tests.conftest.patient_data: female, 168 cm
SIX_ITEMS = [1, 1, 1, 1, 1, 0]  # with item 7 = 0: 5/7 = 0.71 (well controlled)


def _visit(doc: Any, patient_id: int, on: str) -> int:
    r = doc.post(f"/api/v1/patients/{patient_id}/visits", json={"visit_date": on})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _spirometry(doc: Any, visit_id: int, **values: Any) -> Any:
    return doc.post(f"/api/v1/visits/{visit_id}/spirometry", json=values)


def _reference(on: dt.date, height_cm: float, fev1_pre_l: float, fvc_pre_l: float) -> Any:
    """What the science computes for the test patient on ``on`` at this height."""
    return interpret_session(
        "gli-global",
        sex="F",
        age=decimal_age(DOB, on),
        height_cm=height_cm,
        fev1_pre_l=fev1_pre_l,
        fvc_pre_l=fvc_pre_l,
    )


def _fev1_at(pct: float, on: dt.date) -> float:
    """The FEV1 (L) that is ``pct`` % of the patient's predicted value on ``on``."""
    return round(_reference(on, 168.0, 2.5, 3.5).results["fev1_pre"].pred * pct / 100, 4)


def _errors(r: Any) -> dict[str, str]:
    return {d["field"]: d["msg"] for d in r.json()["detail"]}


# --- 5. ACQ-7 scores the same on the page and in the API -------------------------------


@pytest.fixture
def acq7_visit(doc, patient_id) -> tuple[int, float]:
    """A visit whose spirometry gives FEV1 95.4 % predicted: item 7 scores 0, but the
    integer 95 would score 1 (ACQ-7: > 95 % scores 0, 90–95 % scores 1)."""
    on = dt.date.today() - dt.timedelta(days=3)
    visit_id = _visit(doc, patient_id, on.isoformat())
    r = _spirometry(doc, visit_id, fev1_pre_l=_fev1_at(95.4, on), fvc_pre_l=3.5)
    assert r.status_code == 201, r.text
    exact = r.json()["results"]["fev1_pre"]["pctpred"]
    assert 95.0 < exact < 95.5
    assert acq_fev1_item_score(exact) == 0 and acq_fev1_item_score(round(exact)) == 1
    return visit_id, exact


def _acq7(doc: Any, visit_id: int, answers: list[Any]) -> Any:
    return doc.post(
        f"/api/v1/visits/{visit_id}/questionnaires",
        json={"instrument": "acq7", "answers": answers},
    )


def test_the_api_scores_acq7_item_7_from_the_exact_fev1_when_it_is_left_out(doc, acq7_visit):
    visit_id, exact = acq7_visit
    left_out = _acq7(doc, visit_id, SIX_ITEMS)
    assert left_out.status_code == 201, left_out.text
    assert left_out.json()["answers"][6] == exact
    assert left_out.json()["score"] == pytest.approx(5 / 7)
    assert left_out.json()["band"] == "well_controlled"
    given = _acq7(doc, visit_id, [*SIX_ITEMS, exact])
    assert (given.json()["score"], given.json()["band"]) == (
        left_out.json()["score"],
        left_out.json()["band"],
    )
    # The rounded value is another measurement: item 7 scores 1 and the band changes.
    rounded = _acq7(doc, visit_id, [*SIX_ITEMS, 95])
    assert rounded.json()["score"] == pytest.approx(6 / 7)
    assert rounded.json()["band"] == "grey_zone"


def test_the_page_scores_acq7_from_the_same_exact_value_as_the_api(doc, physician, acq7_visit):
    visit_id, exact = acq7_visit
    page = physician.get(f"/visits/{visit_id}").text
    shown = re.search(r'id="f-acq7_7"[^>]*value="([^"]*)"', page)
    assert shown and shown.group(1) == f"{exact:.1f}" == "95.4"
    assert f"{exact:.2f} %" in page  # the exact value the item is scored from
    form = {"instrument": "acq7", **{f"acq7_{n}": str(a) for n, a in enumerate(SIX_ITEMS, 1)}}
    r = physician.post_form(
        f"/visits/{visit_id}/questionnaires", {**form, "acq7_7": "95.4"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    api = _acq7(doc, visit_id, SIX_ITEMS).json()
    stored = doc.get(f"/api/v1/visits/{visit_id}").json()["questionnaires"]
    from_page = stored[-1]  # newest first: the page's is the older one
    assert from_page["answers"][6] == exact
    assert (from_page["score"], from_page["band"]) == (api["score"], api["band"])
    assert from_page["band"] == "well_controlled"
    # A value the physician typed over the pre-filled one is scored as typed.
    r = physician.post_form(
        f"/visits/{visit_id}/questionnaires", {**form, "acq7_7": "95"}, follow_redirects=False
    )
    assert r.status_code == 303
    typed = doc.get(f"/api/v1/visits/{visit_id}").json()["questionnaires"][0]
    assert typed["answers"][6] == 95 and typed["band"] == "grey_zone"


def test_acq7_without_item_7_and_without_spirometry_asks_for_the_fev1(doc, visit_id):
    r = _acq7(doc, visit_id, SIX_ITEMS)
    assert r.status_code == 422
    assert "FEV1 % predicted" in _errors(r)["answers.6"]


@pytest.fixture
def physician(page_as):
    return page_as("physician")


# --- 6. very low eosinophil counts are confirmed, not refused ---------------------------


@pytest.mark.parametrize("count", [1, 3, 9])
def test_a_very_low_eosinophil_count_is_recorded_once_confirmed(doc, visit_id, count_rows, count):
    r = doc.post(f"/api/v1/visits/{visit_id}/markers", json={"blood_eosinophils_per_ul": count})
    assert r.status_code == 422
    errors = _errors(r)
    assert (
        f"Blood eosinophils {count} cells/µL is a very low count"
        in errors["blood_eosinophils_per_ul"]
    )
    assert f"{count} ×10⁹/L would be {count * 1000:,}/µL" in errors["blood_eosinophils_per_ul"]
    assert f"{count} cells/µL is right" in errors["confirm_low_eosinophils"]
    assert count_rows()["markers"] == 0
    r = doc.post(
        f"/api/v1/visits/{visit_id}/markers",
        json={"blood_eosinophils_per_ul": count, "confirm_low_eosinophils": True},
    )
    assert r.status_code == 201, r.text
    assert r.json()["blood_eosinophils_per_ul"] == count
    assert "confirm_low_eosinophils" not in r.json()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.3, "0.3 ×10⁹/L = 300/µL"), (3.5, "3.5 ×10⁹/L = 3,500/µL")],
)
def test_a_fraction_below_10_is_still_read_as_10e9_per_litre(doc, visit_id, value, expected):
    r = doc.post(
        f"/api/v1/visits/{visit_id}/markers",
        json={"blood_eosinophils_per_ul": value, "confirm_low_eosinophils": True},
    )
    assert r.status_code == 422
    assert expected in _errors(r)["blood_eosinophils_per_ul"]


def test_counts_from_10_need_no_confirmation(doc, visit_id):
    r = doc.post(f"/api/v1/visits/{visit_id}/markers", json={"blood_eosinophils_per_ul": 10})
    assert r.status_code == 201, r.text


def test_the_markers_form_shows_a_confirm_box_with_the_message(physician, doc, patient_id):
    visit_id = _visit(doc, patient_id, days_ago(2))
    form = {"blood_eosinophils_per_ul": "4", "feno_ppb": "", "total_ige_iu_ml": ""}
    assert 'name="confirm_low_eosinophils"' not in physician.get(f"/visits/{visit_id}").text
    r = physician.post_form(f"/visits/{visit_id}/markers", form)
    assert r.status_code == 422
    assert 'name="confirm_low_eosinophils"' in r.text
    assert "Blood eosinophils 4 cells/µL is a very low count" in r.text
    r = physician.post_form(
        f"/visits/{visit_id}/markers",
        {**form, "confirm_low_eosinophils": "yes"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert (
        doc.get(f"/api/v1/visits/{visit_id}").json()["markers"][0]["blood_eosinophils_per_ul"] == 4
    )


# --- 7. the interpretation in words -----------------------------------------------------


def test_every_pattern_and_phenotype_has_words_for_people():
    from respira.science.phenotype import PHENOTYPES
    from respira.science.spirometry import PATTERNS

    assert set(labels.PATTERNS) == set(PATTERNS)
    assert set(labels.PHENOTYPES) == set(PHENOTYPES)
    assert labels.pattern_label("mixed") == "possible mixed pattern — confirm with lung volumes"
    assert labels.pattern_label("prism") == "preserved ratio impaired spirometry (PRISm)"
    assert labels.pattern_label(None) == "no reference values for this age"
    assert "may be present" in labels.phenotype_label("type-2-high-unclassified")
    for text in (*labels.PATTERNS.values(), *labels.PHENOTYPES.values()):
        assert "_" not in text


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_the_words_are_translated(lang):
    gettext = i18n.translations(lang).gettext
    for text in (
        *labels.PATTERNS.values(),
        *labels.PHENOTYPES.values(),
        *labels.SEVERITIES.values(),
        labels.NO_REFERENCE,
    ):
        assert gettext(text) != text, (lang, text)


def test_a_mixed_pattern_reads_as_possible_and_names_lung_volumes(doc, physician, visit_id):
    r = _spirometry(doc, visit_id, fev1_pre_l=1.2, fvc_pre_l=2.2)
    assert r.status_code == 201 and r.json()["pattern"] == "mixed"
    page = physician.get(f"/visits/{visit_id}").text
    finding = re.search(r'id="finding-pattern">([^<]*)<', page)
    assert finding and finding.group(1).startswith(
        "possible mixed pattern — confirm with lung volumes"
    )
    german = physician.get(f"/visits/{visit_id}?lang=de").text
    assert "möglicherweise gemischtes Muster — mit Lungenvolumina bestätigen" in german


def test_type_2_high_unclassified_says_type_2_inflammation_may_be_present(doc, physician, visit_id):
    r = doc.post(f"/api/v1/visits/{visit_id}/markers", json={"blood_eosinophils_per_ul": 200})
    assert r.json()["phenotype"] == "type-2-high-unclassified"
    page = physician.get(f"/visits/{visit_id}").text
    assert "type-2 inflammation may be present" in page
    assert "type 2 high unclassified" not in page


# --- 7. an age outside the reference equations ------------------------------------------


@pytest.mark.parametrize(
    ("age_days", "height"),
    [(int(96.5 * 365.25), 160.0), (800, 88.0)],  # 96 years (GLI to 95); 2 years (from 3)
)
def test_an_age_outside_the_equations_is_stored_without_reference_values(
    doc, physician, make_patient, db, age_days, height
):
    dob = dt.date.today() - dt.timedelta(days=age_days)
    pid = make_patient(date_of_birth=dob.isoformat(), height_cm=height, email="age@mail.example")
    visit_id = _visit(doc, pid, days_ago(0))
    r = _spirometry(
        doc,
        visit_id,
        fev1_pre_l=1.0,
        fvc_pre_l=1.4,
        fev1_post_l=1.3,
        fvc_post_l=1.5,
        bronchodilator="salbutamol",
        bronchodilator_dose_ug=400,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["results"] == {} and body["reference_values"] is False
    assert body["pattern"] is None and body["severity"] is None and body["bdr"] is None
    assert body["bdr_2005"] is True  # +300 mL and +30 % of baseline: no reference needed
    assert body["fev1_pre_l"] == 1.0 and body["height_cm"] == height
    assert any(n.startswith("no reference values for this age") for n in body["notes"])
    page = physician.get(f"/visits/{visit_id}").text
    assert "No reference values for this age." in page
    assert "FEV1 1.00 L, FVC 1.40 L" in page
    patient_page = physician.get(f"/patients/{pid}").text
    assert "no reference values for this age" in patient_page
    with db.session() as session:
        snapshot = clinical_snapshot(session, pid)
    assert snapshot.spirometry_pattern is None and snapshot.fev1_pre_pctpred is None
    assert snapshot.fev1_pre_l is not None
    # The FHIR record says so too, and carries the height the session used.
    bundle = doc.get(f"/fhir/Patient/{pid}/$everything")
    assert bundle.status_code == 200, bundle.text
    texts = [
        e["resource"].get("valueCodeableConcept", {}).get("text") for e in bundle.json()["entry"]
    ]
    assert "No reference values for this age" in texts
    heights = [
        e["resource"]["valueQuantity"]["value"]
        for e in bundle.json()["entry"]
        if e["resource"]["id"].endswith("-height")
    ]
    assert heights == [height]


def test_an_age_outside_the_equations_still_checks_the_other_values(doc, make_patient):
    dob = dt.date.today() - dt.timedelta(days=int(97 * 365.25))
    pid = make_patient(date_of_birth=dob.isoformat(), email="old@mail.example")
    visit_id = _visit(doc, pid, days_ago(0))
    r = _spirometry(doc, visit_id, fev1_pre_l=2.5, fvc_pre_l=1.4)
    assert r.status_code == 422
    assert "exceeds FVC" in _errors(r)["fev1_pre_l"]


# --- 7. height measured at each session -------------------------------------------------


def test_the_height_measured_at_the_session_is_used_and_stored(doc, visit_id):
    on = dt.date.fromisoformat(doc.get(f"/api/v1/visits/{visit_id}").json()["visit_date"])
    r = _spirometry(doc, visit_id, fev1_pre_l=2.5, fvc_pre_l=3.1, height_cm=150)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["height_cm"] == 150 and body["height_source"] == "measured"
    at_150 = _reference(on, 150, 2.5, 3.1)
    assert body["results"]["fev1_pre"]["pred"] == pytest.approx(at_150.results["fev1_pre"].pred)


def test_without_a_height_the_newest_recorded_one_on_that_day_is_used(doc, patient_id):
    first = _visit(doc, patient_id, days_ago(100))
    assert _spirometry(doc, first, fev1_pre_l=2.5, fvc_pre_l=3.1, height_cm=165).status_code == 201
    later = _visit(doc, patient_id, days_ago(10))
    r = _spirometry(doc, later, fev1_pre_l=2.5, fvc_pre_l=3.1)
    assert (r.json()["height_cm"], r.json()["height_source"]) == (165, "previous_session")
    # A back-dated visit before any session: the patient record's height, not the later
    # session's.
    earlier = _visit(doc, patient_id, days_ago(400))
    r = _spirometry(doc, earlier, fev1_pre_l=2.5, fvc_pre_l=3.1)
    assert (r.json()["height_cm"], r.json()["height_source"]) == (168, "patient_record")


def test_a_retracted_session_gives_no_default_height(doc, patient_id):
    first = _visit(doc, patient_id, days_ago(50))
    wrong = _spirometry(doc, first, fev1_pre_l=2.5, fvc_pre_l=3.1, height_cm=120).json()
    r = doc.post(
        f"/api/v1/visits/{first}/spirometry/{wrong['id']}/retract",
        json={"reason": "height of another patient"},
    )
    assert r.status_code == 200, r.text
    r = _spirometry(doc, _visit(doc, patient_id, days_ago(5)), fev1_pre_l=2.5, fvc_pre_l=3.1)
    assert (r.json()["height_cm"], r.json()["height_source"]) == (168, "patient_record")


def test_a_patient_without_any_height_is_asked_for_the_height_of_the_test(
    doc, make_patient, count_rows
):
    pid = make_patient(height_cm=None, email="noheight2@mail.example")
    visit_id = _visit(doc, pid, days_ago(1))
    r = _spirometry(doc, visit_id, fev1_pre_l=2.5, fvc_pre_l=3.1)
    assert r.status_code == 422
    assert "enter the height measured at this test (cm)" in _errors(r)["height_cm"]
    assert count_rows()["spirometry"] == 0
    r = _spirometry(doc, visit_id, fev1_pre_l=2.5, fvc_pre_l=3.1, height_cm=171.5)
    assert r.status_code == 201 and r.json()["height_source"] == "measured"


@pytest.mark.parametrize(
    ("height", "message"),
    [
        (1.68, "Height 1.68 looks like metres; enter centimetres (1.68 metres = 168 cm)"),
        (300, "Height 300 cm is not a possible height"),
        (39.9, "between 40 and 250 cm"),
        (0, "between 40 and 250 cm"),
    ],
)
def test_impossible_heights_are_refused_in_words(doc, visit_id, count_rows, height, message):
    r = _spirometry(doc, visit_id, fev1_pre_l=2.5, fvc_pre_l=3.1, height_cm=height)
    assert r.status_code == 422
    assert message in _errors(r)["height_cm"]
    assert count_rows()["spirometry"] == 0


def test_the_spirometry_form_takes_the_height_and_names_the_default(doc, physician, visit_id):
    page = physician.get(f"/visits/{visit_id}").text
    assert 'id="f-height_cm"' in page
    assert "leave empty to use 168 cm from the patient record" in page
    form = {"equations": "gli-global", "fev1_pre_l": "2.50", "fvc_pre_l": "3.10"}
    r = physician.post_form(
        f"/visits/{visit_id}/spirometry", {**form, "height_cm": "1.62"}, follow_redirects=False
    )
    assert r.status_code == 422 and "looks like metres" in r.text
    r = physician.post_form(
        f"/visits/{visit_id}/spirometry", {**form, "height_cm": "162"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    page = physician.get(f"/visits/{visit_id}").text
    assert "height 162 cm (measured at this test)" in page
