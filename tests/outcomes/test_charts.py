"""The report's charts are valid SVG that carries its numbers (title, description, the
values written on it), presentation by attributes only (the CSP forbids inline styles),
and the same figures print into a PDF as vector drawings."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from pypdf import PdfReader
from reportlab.graphics import renderPDF

from respira.outcomes import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))  # noqa: S314 (our own output)
    assert root.tag == f"{SVG}svg"
    assert 'style="' not in str(markup)  # the Content-Security-Policy allows no inline style
    return root


def _texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def test_numbers_are_written_as_each_language_writes_them():
    assert charts.number(2.5, "en", 2, signed=True) == "+2.50"
    assert charts.number(12345, "en", 0) == "12,345"
    assert charts.number(-1.5, "de", 1) == "−1,5"
    assert charts.number(1234.5, "ru", 1).replace("\u00a0", " ") == "1 234,5"
    assert charts.number(-0.01, "en", 1) == "0.0"  # no "−0.0"
    assert charts.number(None, "en") == "—"
    assert charts.number(float("nan"), "en") == "—"


def test_nice_ticks_cover_the_range_with_round_steps():
    assert charts.nice_ticks(-2.3, 7.9) == [-5.0, 0.0, 5.0, 10.0]
    assert charts.nice_ticks(0.0, 1.0) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert charts.nice_ticks(3.0, 3.0) == [3.0, 3.25, 3.5, 3.75, 4.0]  # an empty range: an axis


def test_the_change_chart_shows_each_windows_mean_and_interval_and_says_what_is_hidden():
    points = [
        charts.WindowPoint(1, 2.6, 1.7, 3.6, 28),
        charts.WindowPoint(3, 3.1, 2.2, 4.0, 30),
        charts.WindowPoint(6, None, None, None, 4),
        charts.WindowPoint(12, -0.5, -1.5, 0.5, 25),
    ]
    fig = charts.change_by_window(
        points,
        title="Change from baseline: ACT",
        axis="Mean change",
        months_label="Months after treatment",
        threshold=3.0,
        threshold_label="responder threshold",
        not_shown="not shown",
        lang="de",
    )
    root = _parse(charts.svg(fig, "c1"))
    assert root.find(f"{SVG}title").text == "Change from baseline: ACT"
    desc = root.find(f"{SVG}desc").text
    assert "+2,6 (1,7 … 3,6), n = 28" in desc and "6: not shown, n = 4" in desc
    texts = _texts(root)
    assert {"+2,6", "+3,1", "−0,5", "not shown", "responder threshold"} <= set(texts)
    assert len(list(root.iter(f"{SVG}circle"))) == 3  # a dot per shown window
    assert root.get("aria-labelledby") == "c1-title c1-desc"


def test_the_waterfall_has_a_bar_per_patient_coloured_by_the_threshold():
    changes = [-4.0, -1.0, 0.0, 1.0, 2.0, 3.0, 3.5, 6.0]
    fig = charts.waterfall(
        changes, title="ACT", axis="Change", threshold=3.0, threshold_label="≥ 3", lang="en"
    )
    bars = [r for r in _parse(charts.svg(fig, "w")).iter(f"{SVG}rect")]
    assert len(bars) == len(changes)
    colours = [b.get("fill") for b in bars]
    assert colours.count(charts.BLUE) == 3 and colours.count(charts.RED) == 1
    assert "n = 8; 3 ≥ ≥ 3; 1" in fig.description


def test_a_long_waterfall_is_drawn_as_evenly_spaced_order_statistics():
    fig = charts.waterfall(
        [float(i) for i in range(5000)],
        title="t",
        axis="a",
        threshold=None,
        threshold_label="",
        lang="en",
    )
    assert len([s for s in fig.shapes if isinstance(s, charts.Rect)]) == charts.MAX_BARS
    assert fig.description == "n = 5000"


def test_the_kaplan_meier_chart_has_its_step_curve_and_band():
    fig = charts.kaplan_meier(
        [0.0, 30.0, 90.0],
        [1.0, 0.9, 0.7],
        [1.0, 0.8, 0.55],
        [1.0, 0.97, 0.82],
        title="Free of severe exacerbation",
        axis_x="Days",
        axis_y="Share",
        lang="en",
        end_day=365.0,
    )
    root = _parse(charts.svg(fig, "km"))
    curve = root.find(f"{SVG}polyline")
    band = root.find(f"{SVG}polygon")
    assert curve is not None and band is not None
    points = curve.get("points").split()
    assert len(points) == 2 * 3 - 1 + 1  # steps, then held to the last day
    assert "30: 90 % (80–97 %)" in fig.description
    assert "100 %" in _texts(root)


def test_adverse_event_bars_show_each_term_and_its_share():
    bars = [
        charts.EventBar("Fever", (5, 2, 0, 0, 0), 60),
        charts.EventBar("Chills", (3, 0, 1, 0, 0), 60),
    ]
    fig = charts.adverse_events(
        bars, title="AE", axis="% of patients", grade_label="Grade", lang="en"
    )
    root = _parse(charts.svg(fig, "ae"))
    texts = _texts(root)
    assert {"Fever", "Chills", "7/60", "4/60", "Grade 1", "Grade 5"} <= set(texts)
    assert "Fever: Grade 1: 5/60, Grade 2: 2/60" in fig.description


def test_text_is_escaped():
    fig = charts.Figure(100, 50, "<b>&", "x < y")
    fig.add(charts.Text(1, 1, "<script>"))
    markup = str(charts.svg(fig, 'a"b'))
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    _parse(markup)


def test_a_chart_prints_into_a_pdf_as_a_vector_drawing_with_its_text():
    fig = charts.waterfall(
        [1.0, 2.0, 4.0],
        title="Изменения АСТ",
        axis="Δ",
        threshold=3.0,
        threshold_label="≥ 3",
        lang="ru",
    )
    drawing = charts.drawing(fig, 400.0)
    assert drawing.width == 400.0 and abs(drawing.height - fig.height * 400 / fig.width) < 1e-6
    pdf = renderPDF.drawToString(drawing)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Изменения АСТ" in text
