"""The model's public page (the cascade diagram, the scenario panel, the SVG charts, the
numbers, the limits; English, German and Russian; errors for people), and the staff's
way to it from a patient's page with the patient's phenotype preselected."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from respira.diagnostics import service as diagnostics_service
from respira.diagnostics.schemas import HistoryIn, MarkersIn, VisitIn
from respira.kit.actors import Actor
from respira.mechanism import labels
from respira.science import model


class _Tables(HTMLParser):
    """The text of every cell of the page's numbers table, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._inside = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", "model-numbers") in attrs:
            self._inside = True
        elif self._inside and tag == "tr":
            self.rows.append([])
        elif self._inside and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._inside = False
        elif self._inside and tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def numbers(html: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(html)
    return parser.rows


def values(rows: list[list[str]], label: str, course: str) -> list[float]:
    """The numbers of one observable's row ("without treatment" or "with the scenario")."""
    for i, row in enumerate(rows):
        if row and row[0].startswith(label):
            found = row if course in row[1] else rows[i + 1]
            cells = found[2:] if found is row else found[1:]
            return [float(c.replace(",", "")) for c in cells]
    raise AssertionError(f"no row {label!r}")


def test_the_page_shows_the_cascade_the_charts_the_numbers_and_the_limits(client):
    r = client.get("/model")
    assert r.status_code == 200
    html = r.text
    assert "How asthma develops and how MSCs are thought to act" in html
    for step in labels.CASCADE:
        assert step.name in html
    assert html.count('class="line-treated"') == len(model.OBSERVABLES)
    assert html.count('class="line-untreated"') == len(model.OBSERVABLES)
    assert html.count('class="dose-mark"') == len(model.OBSERVABLES)  # the default: one dose
    assert "An uncalibrated hypothesis, not a prediction for you" in html
    assert "What this model can and cannot tell" in html
    assert "style=" not in html and "<script" not in html  # the CSP allows neither


def test_a_dose_lowers_sputum_eosinophils_for_weeks_and_washes_out_within_a_year(client):
    rows = numbers(client.get("/model?amount=2&dose_days=0").text)
    days = [c for c in rows[0][2:]]
    untreated = values(rows, "Sputum eosinophils", "without treatment")
    treated = values(rows, "Sputum eosinophils", "with the scenario")
    at = {d: i for i, d in enumerate(days)}
    assert treated[at["day 0"]] == untreated[at["day 0"]]
    assert treated[at["day 28"]] < 0.75 * untreated[at["day 28"]]
    assert treated[at["day 365"]] == pytest.approx(untreated[at["day 365"]], rel=0.02)


def test_the_anti_il5_comparison_lowers_blood_eosinophils(client):
    rows = numbers(client.get("/model?amount=0&comparison=anti-il5").text)
    untreated = values(rows, "Blood eosinophils", "without treatment")
    treated = values(rows, "Blood eosinophils", "with the scenario")
    assert treated[-1] < 0.6 * untreated[-1]


def test_without_dose_or_comparison_the_page_shows_the_untreated_course_alone(client):
    html = client.get("/model?amount=0&dose_days=").text
    assert "No dose and no comparison chosen" in html
    assert 'class="line-treated"' not in html and 'class="dose-mark"' not in html


def test_the_panel_keeps_the_choices_made(client):
    html = client.get(
        "/model?phenotype=severe&exposure=seasonal&amount=1.5&dose_days=0,30&route=inhaled"
    ).text
    assert re.search(r'<option value="severe" selected>', html)
    assert re.search(r'<option value="seasonal" selected>', html)
    assert re.search(r'<option value="inhaled" selected>', html)
    assert 'value="1.5"' in html and 'value="0,30"' in html
    assert html.count('class="dose-mark"') == 2 * len(model.OBSERVABLES)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("amount=-1", "amount", "A dose cannot be negative (-1 was entered)."),
        ("amount=two", "amount", "Enter a number, for example 2 or 1.5."),
        ("amount=500", "amount", "Enter at most 100 million cells per kg for one dose."),
        ("dose_days=0,400", "dose_days", "Day 400 is outside the simulated time"),
        ("dose_days=seven", "dose_days", "Enter the days as whole numbers"),
        ("dose_days=", "dose_days", "Enter the day of at least one dose, or set the dose to 0."),
        ("phenotype=mild", "phenotype", "Choose one of the offered options."),
    ],
)
def test_bad_scenarios_are_refused_next_to_their_field(client, query, field, message):
    r = client.get(f"/model?{query}")
    assert r.status_code == 422
    m = re.search(rf'<span class="error" id="e-{field}">([^<]*)</span>', r.text)
    assert m and message in m.group(1)
    assert 'class="line-untreated"' not in r.text  # nothing was run
    assert "What this model can and cannot tell" in r.text


def test_the_page_speaks_german_and_russian(client):
    de = client.get("/model?lang=de&amount=-2")
    assert "Wie Asthma entsteht und wie MSC vermutlich wirken" in de.text
    assert "Eine Dosis kann nicht negativ sein (eingegeben wurde -2)." in de.text
    assert "Antigenpräsentierende Zelle" in de.text
    ru = client.get("/model?lang=ru")
    assert "Как развивается астма" in ru.text and "Тучная клетка" in ru.text
    assert "не прогноз" in ru.text


def test_the_patient_parameter_means_nothing_to_the_public_or_to_patients(
    client, make_patient, page_as
):
    patient_id = make_patient()
    for who in (client, page_as("patient")):
        html = who.get(f"/model?patient={patient_id}").text
        assert 'id="model-patient"' not in html
        assert 'name="patient"' not in html


# --- staff: from the patient's page ----------------------------------------------------


def _markers(db, patient_id: int, markers: dict[str, Any], history: dict[str, Any] | None) -> None:
    system = Actor.system("test")
    with db.transaction() as session:
        visit = diagnostics_service.create_visit(
            session, system, patient_id, VisitIn(visit_date=dt.date.today())
        )
    with db.transaction() as session:
        diagnostics_service.record_markers(session, system, visit.id, MarkersIn(**markers))
    if history is not None:
        with db.transaction() as session:
            diagnostics_service.record_history(session, system, visit.id, HistoryIn(**history))


SEVERE_HISTORY = {
    "ics_dose_level": "high", "laba": True, "lama": False, "maintenance_ocs": False,
    "biologic": "none", "gina_step": 5, "severe_exacerbations_12m": 2,
    "hospitalisations_12m": 0, "rescue_puffs_per_week": 10,
}  # fmt: skip


@pytest.mark.parametrize(
    ("markers", "history", "phenotype", "says"),
    [
        ({"blood_eosinophils_per_ul": 450, "feno_ppb": 40}, None, "t2-high", "type-2 inflammation"),
        ({"blood_eosinophils_per_ul": 450}, SEVERE_HISTORY, "severe", "severe asthma"),
        (None, None, "t2-high", "No biomarker panel is recorded"),
    ],
)
def test_the_patient_section_preselects_the_phenotype_of_the_markers(
    db, page_as, make_patient, markers, history, phenotype, says
):
    patient_id = make_patient()
    if markers is not None:
        _markers(db, patient_id, markers, history)
    physician = page_as("physician")
    html = physician.get(f"/patients/{patient_id}").text
    assert 'id="mechanism"' in html and says in html
    link = re.search(r'href="(/model\?phenotype=[^"]+)"', html)
    assert link and f"phenotype={phenotype}&amp;patient={patient_id}" in link.group(1)
    page = physician.get(link.group(1).replace("&amp;", "&")).text
    assert 'id="model-patient"' in page and "This is not a prediction for this patient" in page
    assert re.search(rf'<option value="{phenotype}" selected>', page)
    assert f'name="patient" value="{patient_id}"' in page


def test_staff_without_diagnostic_results_get_the_default_and_are_told_why(page_as, make_patient):
    patient_id = make_patient()
    html = page_as("coordinator").get(f"/patients/{patient_id}").text
    assert "Your role does not read diagnostic results" in html


def test_a_patient_sees_no_model_section_on_their_own_record_but_finds_the_page(page_as):
    patient = page_as("patient")
    html = patient.get(f"/patients/{patient.account.patient_id}").text
    assert 'id="mechanism"' not in html
    assert '<a href="/model"' in html  # the menu
