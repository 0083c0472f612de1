"""The summary's charts as vector drawings (``reportlab.graphics``): printed into the PDF
as vectors and shown on the preview page as SVG made from the same drawing.

- ``zscore``: one row per spirometry parameter, the z-score before the bronchodilator as
  a filled circle and after it as an open diamond, against a dashed line at the lower
  limit of normal, z = −1.645 (the 5th centile; Quanjer 2012, Stanojevic 2022), with the
  area below it shaded; values beyond the axis (−6 to +3) are drawn at its end with their
  number written beside them.
- ``follow_up``: the control score and FEV1 by month after treatment (month 0: the
  baseline before it), each with a dashed line at the baseline moved by the minimal
  clinically important difference in the better direction.

Text comes translated in the chart's data; numbers are written as the language writes
them. The fonts are the PDF's (DejaVu Sans, ``respira.kit.typefaces``).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from babel.numbers import format_decimal
from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors

from respira.kit.typefaces import BOLD, REGULAR, register
from respira.science.spirometry import Z_LLN
from respira.summaries.blocks import Block, Chart, Document, Section

WIDTH = 480.0
Z_MIN, Z_MAX = -6.0, 3.0
INK = colors.HexColor("#1a1a1a")
GREY = colors.HexColor("#4a4a4a")
GRID = colors.HexColor("#c9ced4")
PRE = colors.HexColor("#0b4f8a")
LLN = colors.HexColor("#a4161a")
SHADE = colors.HexColor("#fdecec")
_SANS = "'DejaVu Sans', Verdana, Arial, sans-serif"


def draw(chart: Chart, lang: str) -> Drawing:
    register()
    if chart.chart == "zscore":
        return _zscore(chart.data, lang)
    return _follow_up(chart.data, lang)


def svg_data_uri(chart: Chart, lang: str) -> str:
    """The chart as an SVG ``data:`` URI for an ``<img>`` of the preview page (the
    Content-Security-Policy allows images from ``data:``, no inline style or script)."""
    svg = renderSVG.drawToString(draw(chart, lang))
    # A browser without DejaVu Sans falls back to a serif font: name sans-serif ones.
    for name, css in ((BOLD, f"{_SANS}; font-weight: bold"), (REGULAR, _SANS)):
        svg = svg.replace(f"font-family: {name}", f"font-family: {css}")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def with_chart_images(doc: Document) -> list[tuple[Section, list[tuple[Block, str | None]]]]:
    """The document's sections with each block and, for a chart, its image (the preview
    page's ``<img>``)."""
    return [
        (
            section,
            [
                (block, svg_data_uri(block, doc.lang) if isinstance(block, Chart) else None)
                for block in section.blocks
            ],
        )
        for section in doc.sections
    ]


def _num(value: float, lang: str, digits: int = 0) -> str:
    pattern = "0" + ("." + "0" * digits if digits else "")
    text = str(format_decimal(round(value, digits), format=pattern, locale=lang))
    return text.replace("-", "−")


def _text(
    drawing: Drawing,
    x: float,
    y: float,
    text: str,
    *,
    size: float = 8,
    anchor: str = "start",
    colour: Any = INK,
    bold: bool = False,
) -> None:
    drawing.add(
        String(
            x,
            y,
            text,
            fontName=BOLD if bold else REGULAR,
            fontSize=size,
            fillColor=colour,
            textAnchor=anchor,
        )
    )


def _diamond(x: float, y: float, d: float = 5) -> Polygon:
    return Polygon(
        [x, y + d, x + d, y, x, y - d, x - d, y],
        fillColor=colors.white,
        strokeColor=INK,
        strokeWidth=1.4,
    )


# --- the z-score chart ------------------------------------------------------------------


def _zscore(data: dict[str, Any], lang: str) -> Drawing:
    rows, labels = data["rows"], data["labels"]
    left, right, top, row_h = 80.0, 16.0, 26.0, 24.0
    plot_h = row_h * max(len(rows), 1)
    height = top + plot_h + 56
    d = Drawing(WIDTH, height)

    def x_of(z: float) -> float:
        z = min(max(z, Z_MIN), Z_MAX)
        return left + (z - Z_MIN) / (Z_MAX - Z_MIN) * (WIDTH - left - right)

    plot_top = height - top
    plot_bottom = plot_top - plot_h
    x_lln = x_of(Z_LLN)
    d.add(Rect(left, plot_bottom, x_lln - left, plot_h, fillColor=SHADE, strokeColor=None))
    for tick in range(int(Z_MIN), int(Z_MAX) + 1):
        x = x_of(tick)
        d.add(Line(x, plot_bottom, x, plot_top, strokeColor=GRID, strokeWidth=0.5))
        _text(d, x, plot_bottom - 11, _num(tick, lang), anchor="middle", colour=GREY)
    d.add(Line(left, plot_bottom, WIDTH - right, plot_bottom, strokeColor=GREY, strokeWidth=0.8))
    _text(d, (left + WIDTH - right) / 2, plot_bottom - 24, labels["axis"], anchor="middle")
    d.add(
        Line(
            x_lln,
            plot_bottom,
            x_lln,
            plot_top + 4,
            strokeColor=LLN,
            strokeWidth=1.4,
            strokeDashArray=[4, 3],
        )
    )
    _text(d, x_lln - 3, plot_top + 8, labels["lln"], anchor="end", colour=LLN)
    for i, row in enumerate(rows):
        y = plot_top - row_h * i - row_h / 2
        _text(d, left - 8, y - 3, row["label"], anchor="end", size=8.5)
        pre, post = row["pre"], row["post"]
        if pre is not None and post is not None:
            d.add(Line(x_of(pre), y, x_of(post), y, strokeColor=GREY, strokeWidth=0.8))
        for z, marker in ((pre, "pre"), (post, "post")):
            if z is None:
                continue
            x = x_of(z)
            if marker == "pre":
                d.add(Circle(x, y, 4.2, fillColor=PRE, strokeColor=None))
            else:
                d.add(_diamond(x, y))
            if z < Z_MIN or z > Z_MAX:
                beyond = z < Z_MIN
                text = ("◀ " if beyond else "▶ ") + _num(z, lang, 2)
                _text(
                    d,
                    x + (8 if beyond else -8),
                    y + 6,
                    text,
                    anchor="start" if beyond else "end",
                    size=7,
                )
    legend_y = 8.0
    d.add(Circle(left + 4, legend_y + 3, 4, fillColor=PRE, strokeColor=None))
    _text(d, left + 12, legend_y, labels["pre"])
    d.add(_diamond(left + 150, legend_y + 3, 4))
    _text(d, left + 158, legend_y, labels["post"])
    d.add(Rect(left + 290, legend_y - 1, 10, 9, fillColor=SHADE, strokeColor=LLN, strokeWidth=0.6))
    _text(d, left + 304, legend_y, labels["below"])
    return d


# --- the follow-up chart ----------------------------------------------------------------


def _panel(
    d: Drawing,
    x0: float,
    width: float,
    points: Sequence[tuple[int, float]],
    threshold: float | None,
    title: str,
    labels: dict[str, str],
    lang: str,
    digits: int,
) -> None:
    """One panel: a line of the points by month, the baseline + MCID threshold dashed."""
    bottom, top = 34.0, d.height - 22
    values = [v for _m, v in points] + ([threshold] if threshold is not None else [])
    low, high = min(values), max(values)
    pad = (high - low) * 0.15 or max(abs(high) * 0.1, 1.0)
    low, high = low - pad, high + pad
    months = [m for m, _v in points]
    last = max(max(months), 1)
    left = x0 + 34

    def xy(month: float, value: float) -> tuple[float, float]:
        return (
            left + month / last * (width - 46),
            bottom + (value - low) / (high - low) * (top - bottom),
        )

    _text(d, x0 + width / 2, d.height - 12, title, anchor="middle", bold=True, size=8.5)
    d.add(Line(left, bottom, left + width - 46, bottom, strokeColor=GREY, strokeWidth=0.8))
    d.add(Line(left, bottom, left, top, strokeColor=GREY, strokeWidth=0.8))
    for tick in range(5):
        value = low + (high - low) * tick / 4
        _x, y = xy(0, value)
        d.add(Line(left, y, left + width - 46, y, strokeColor=GRID, strokeWidth=0.4))
        _text(d, left - 4, y - 3, _num(value, lang, digits), anchor="end", colour=GREY, size=7)
    for month in sorted(set(months)):
        x, _y = xy(month, low)
        _text(d, x, bottom - 11, str(month), anchor="middle", colour=GREY, size=7)
    _text(d, left + (width - 46) / 2, bottom - 24, labels["month"], anchor="middle", size=7.5)
    if threshold is not None:
        (xa, y), (xb, _y) = xy(0, threshold), xy(last, threshold)
        d.add(Line(xa, y, xb, y, strokeColor=LLN, strokeWidth=1.1, strokeDashArray=[4, 3]))
        _text(d, xb, y + 3, labels["mcid"], anchor="end", colour=LLN, size=7)
    coords = [c for m, v in points for c in xy(m, v)]
    if len(points) > 1:
        d.add(PolyLine(coords, strokeColor=PRE, strokeWidth=1.4))
    for m, v in points:
        x, y = xy(m, v)
        d.add(Circle(x, y, 3.2, fillColor=PRE, strokeColor=None))


def _follow_up(data: dict[str, Any], lang: str) -> Drawing:
    labels = data["labels"]
    panels = [
        (data["control"], data["control_mcid"], labels["control"], 1),
        (data["fev1"], data["fev1_mcid"], labels["fev1"], 2),
    ]
    shown = [p for p in panels if len(p[0]) >= 1]
    d = Drawing(WIDTH, 190)
    width = WIDTH / max(len(shown), 1)
    for i, (points, threshold, title, digits) in enumerate(shown):
        _panel(d, i * width, width, points, threshold, title, labels, lang, digits)
    return d
