"""The outcome report's charts, drawn on the server from plain numbers: the change from
baseline by follow-up window with its 95 % confidence interval, the waterfall of
individual changes (clinical.md §6: where no comparator exists, show the distribution of
individual changes, not only means), the Kaplan–Meier curve of the time to the first
severe exacerbation with its confidence band, and adverse events by term and grade per
patient treated.

A chart is a ``Figure``: a list of a few kinds of shapes in a ``width`` × ``height``
box (y downwards, as in SVG). The same figure becomes inline SVG for the pages
(``svg``: presentation by attributes only, since the Content-Security-Policy forbids
inline styles; a title and a description for screen readers; text escaped) and a
ReportLab drawing for the PDF (``drawing``: vectors, DejaVu Sans for Cyrillic). The page
and the PDF show the numbers of every chart in a table beside it: the chart's text
alternative. Labels arrive translated; numbers are written as the language writes them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from babel.numbers import format_decimal
from markupsafe import Markup, escape

if TYPE_CHECKING:
    from reportlab.graphics.shapes import Drawing

INK = "#1a1a1a"
GREY = "#4a4a4a"
GRID = "#c9ced4"
BLUE = "#0b4f8a"
RED = "#a4161a"
BAND = "#c6dbef"
NEUTRAL = "#9aa3ad"
# Grades 1 to 5 (CTCAE): light to dark blue, then red and black for life-threatening and
# fatal events; every bar's numbers are also in the table beside the chart.
GRADE_COLOURS = ("#9ecae1", "#4292c6", "#08306b", "#a4161a", "#1a1a1a")
WIDTH = 640.0
# At most this many bars in a waterfall: beyond it every bar is an evenly spaced order
# statistic of the sorted changes (the shape of the distribution, not one patient each).
MAX_BARS = 400


# --- the figure and its shapes ----------------------------------------------------------


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = GREY
    width: float = 1.0
    dash: tuple[float, float] | None = None


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str | None = None


@dataclass(frozen=True)
class Poly:
    """A polyline (``fill`` None) or a closed, filled polygon."""

    points: tuple[tuple[float, float], ...]
    stroke: str | None = BLUE
    width: float = 2.0
    fill: str | None = None


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    r: float = 4.0
    fill: str = BLUE


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    size: float = 11.0
    anchor: str = "start"  # start, middle or end
    fill: str = INK
    bold: bool = False


Shape = Line | Rect | Poly | Dot | Text


@dataclass
class Figure:
    """A chart: its box, what it shows (``title``) and its numbers in words
    (``description``, for screen readers), and its shapes."""

    width: float
    height: float
    title: str
    description: str
    shapes: list[Shape] = field(default_factory=list)

    def add(self, *shapes: Shape) -> None:
        self.shapes.extend(shapes)


# --- numbers and scales -----------------------------------------------------------------


def number(value: float | None, lang: str, digits: int = 1, *, signed: bool = False) -> str:
    """``value`` as ``lang`` writes it with ``digits`` decimals, a true minus sign, and a
    plus sign when ``signed``; an em dash for nothing."""
    if value is None or not math.isfinite(value):
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    rounded = round(value, digits)
    if rounded == 0:
        rounded = 0.0  # no "−0.0"
    text = str(format_decimal(rounded, format=pattern, locale=lang)).replace("-", "−")
    return "+" + text if signed and rounded > 0 else text


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 times a power of ten)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        high = low + 1.0
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 0.5:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _scale(d0: float, d1: float, r0: float, r1: float) -> Callable[[float], float]:
    span = (d1 - d0) or 1.0
    return lambda v: r0 + (v - d0) / span * (r1 - r0)


def _digits_for(step: float) -> int:
    return max(0, -math.floor(math.log10(step))) if step < 1 else 0


def _y_axis(
    fig: Figure,
    ticks: list[float],
    y_of: Callable[[float], float],
    left: float,
    right: float,
    lang: str,
) -> None:
    digits = _digits_for(ticks[1] - ticks[0]) if len(ticks) > 1 else 0
    for t in ticks:
        y = y_of(t)
        fig.add(
            Line(left, y, right, y, GRID, 0.8),
            Text(left - 6, y + 4, number(t, lang, digits), 10, "end", GREY),
        )


# --- change from baseline by window -----------------------------------------------------


@dataclass(frozen=True)
class WindowPoint:
    """One window's mean change and its 95 % CI (None: suppressed or no pairs)."""

    month: int
    mean: float | None
    low: float | None
    high: float | None
    n: int


def change_by_window(
    points: Sequence[WindowPoint],
    *,
    title: str,
    axis: str,
    months_label: str,
    threshold: float | None,
    threshold_label: str,
    not_shown: str,
    lang: str,
    digits: int = 1,
) -> Figure:
    """Mean change (dot) with its 95 % CI (bar) at each window, a line at no change and a
    dashed line at the responder threshold in the better direction (``threshold``
    signed). A window without a figure says ``not_shown`` where its dot would be."""
    height, left, right, top, bottom = 270.0, 64.0, WIDTH - 16, 48.0, 220.0
    values = [0.0] + [v for p in points for v in (p.low, p.high, p.mean) if v is not None]
    if threshold is not None:
        values.append(threshold)
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or 1.0
    ticks = nice_ticks(lo - pad, hi + pad)
    y_of = _scale(ticks[0], ticks[-1], bottom, top)
    described = "; ".join(
        f"{p.month}: {number(p.mean, lang, digits, signed=True)} "
        f"({number(p.low, lang, digits)} … {number(p.high, lang, digits)}), n = {p.n}"
        if p.mean is not None
        else f"{p.month}: {not_shown}, n = {p.n}"
        for p in points
    )
    fig = Figure(WIDTH, height, title, described)
    fig.add(Text(WIDTH / 2, 18, title, 13, "middle", INK, True))
    _y_axis(fig, ticks, y_of, left, right, lang)
    fig.add(Line(left, y_of(0.0), right, y_of(0.0), GREY, 1.4))
    if threshold is not None:
        y = y_of(threshold)
        fig.add(Line(left, y, right, y, RED, 1.4, (6, 4)))
        fig.add(Text(left + 4, y - 5, threshold_label, 10, "start", RED))
    slot = (right - left) / max(len(points), 1)
    for i, p in enumerate(points):
        x = left + slot * (i + 0.5)
        fig.add(Text(x, bottom + 18, str(p.month), 11, "middle", GREY))
        if p.mean is None:
            fig.add(Text(x, (top + bottom) / 2, not_shown, 10, "middle", GREY))
            continue
        if p.low is not None and p.high is not None:
            y_lo, y_hi = y_of(p.low), y_of(p.high)
            fig.add(
                Line(x, y_lo, x, y_hi, BLUE, 2),
                Line(x - 7, y_lo, x + 7, y_lo, BLUE, 2),
                Line(x - 7, y_hi, x + 7, y_hi, BLUE, 2),
            )
        fig.add(Dot(x, y_of(p.mean), 5, BLUE))
        fig.add(Text(x + 10, y_of(p.mean) - 6, number(p.mean, lang, digits, signed=True), 10))
    fig.add(Text((left + right) / 2, height - 12, months_label, 11, "middle"))
    fig.add(Text(12, top - 14, axis, 10, "start", GREY))
    return fig


# --- the waterfall of individual changes ------------------------------------------------


def waterfall(
    changes: Sequence[float],
    *,
    title: str,
    axis: str,
    threshold: float | None,
    threshold_label: str,
    lang: str,
    digits: int = 1,
) -> Figure:
    """One bar per patient, the changes sorted from the worst to the best in the better
    direction of ``threshold`` (signed: +3 for ACT, −0.5 for ACQ); bars beyond the
    threshold in the better direction are blue, beyond it in the worse direction red,
    the rest grey. More than ``MAX_BARS`` changes are drawn as that many evenly spaced
    order statistics."""
    height, left, right, top, bottom = 250.0, 64.0, WIDTH - 16, 46.0, 236.0
    values = sorted(float(c) for c in changes)
    if threshold is not None and threshold < 0:
        values.reverse()  # the better direction is down: the worst (highest) first
    if len(values) > MAX_BARS:
        idx = [round(i * (len(values) - 1) / (MAX_BARS - 1)) for i in range(MAX_BARS)]
        values = [values[i] for i in idx]
    extent = [0.0, *values] + ([threshold, -threshold] if threshold is not None else [])
    lo, hi = min(extent), max(extent)
    pad = (hi - lo) * 0.05 or 1.0
    ticks = nice_ticks(lo - pad, hi + pad)
    y_of = _scale(ticks[0], ticks[-1], bottom, top)
    better = worse = 0
    if threshold is not None:
        better = sum(1 for c in changes if c * math.copysign(1, threshold) >= abs(threshold))
        worse = sum(1 for c in changes if -c * math.copysign(1, threshold) >= abs(threshold))
    described = (
        f"n = {len(changes)}; {better} ≥ {threshold_label}; {worse} ≤ −({threshold_label})"
        if threshold is not None
        else f"n = {len(changes)}"
    )
    fig = Figure(WIDTH, height, title, described)
    fig.add(Text(WIDTH / 2, 18, title, 13, "middle", INK, True))
    _y_axis(fig, ticks, y_of, left, right, lang)
    width = (right - left) / max(len(values), 1)
    zero = y_of(0.0)
    for i, value in enumerate(values):
        colour = NEUTRAL
        if threshold is not None:
            signed = value * math.copysign(1, threshold)
            colour = (
                BLUE if signed >= abs(threshold) else RED if -signed >= abs(threshold) else NEUTRAL
            )
        y = y_of(value)
        fig.add(
            Rect(
                left + i * width, min(y, zero), max(width * 0.85, 0.6), abs(zero - y) or 0.8, colour
            )
        )
    fig.add(Line(left, zero, right, zero, GREY, 1.2))
    if threshold is not None:
        for t in (threshold, -threshold):
            fig.add(
                Line(left, y_of(t), right, y_of(t), RED if t == threshold else GREY, 1.2, (6, 4))
            )
        fig.add(Text(left + 4, y_of(threshold) - 5, threshold_label, 10, "start", RED))
    fig.add(Text(12, top - 14, axis, 10, "start", GREY))
    return fig


# --- the Kaplan–Meier curve -------------------------------------------------------------


def kaplan_meier(
    times: Sequence[float],
    survival: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    *,
    title: str,
    axis_x: str,
    axis_y: str,
    lang: str,
    end_day: float | None = None,
) -> Figure:
    """The share of patients still free of a severe exacerbation by day after treatment:
    a step curve from 1 at day 0 with its 95 % band (both held flat to ``end_day``, the
    longest follow-up)."""
    height, left, right, top, bottom = 270.0, 56.0, WIDTH - 16, 46.0, 222.0
    last = max([*times, end_day or 0.0, 1.0])
    x_ticks = nice_ticks(0.0, last, 6)
    x_of = _scale(0.0, x_ticks[-1], left, right)
    y_of = _scale(0.0, 1.0, bottom, top)
    fig = Figure(
        WIDTH,
        height,
        title,
        "; ".join(
            f"{number(t, lang, 0)}: {number(100 * s, lang, 0)} % "
            f"({number(100 * lo, lang, 0)}–{number(100 * hi, lang, 0)} %)"
            for t, s, lo, hi in list(zip(times, survival, low, high, strict=True))[
                :: max(len(times) // 12, 1)
            ]
        ),
    )
    fig.add(Text(WIDTH / 2, 18, title, 13, "middle", INK, True))
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = y_of(tick)
        fig.add(
            Line(left, y, right, y, GRID, 0.8),
            Text(left - 6, y + 4, number(100 * tick, lang, 0) + " %", 10, "end", GREY),
        )
    for tick in x_ticks:
        x = x_of(tick)
        fig.add(
            Line(x, bottom, x, bottom + 5, GREY),
            Text(x, bottom + 18, number(tick, lang, 0), 10, "middle", GREY),
        )
    fig.add(Line(left, bottom, right, bottom, GREY, 1.2))

    def steps(values: Sequence[float]) -> list[tuple[float, float]]:
        pts: list[tuple[float, float]] = []
        for i, (t, v) in enumerate(zip(times, values, strict=True)):
            if i:
                pts.append((x_of(t), pts[-1][1]))
            pts.append((x_of(t), y_of(v)))
        if pts and end_day is not None and x_of(end_day) > pts[-1][0]:
            pts.append((x_of(end_day), pts[-1][1]))
        return pts

    upper, lower = steps(high), steps(low)
    if upper:
        fig.add(Poly(tuple(upper + lower[::-1]), None, 0, BAND))
        fig.add(Poly(tuple(steps(survival)), BLUE, 2.2))
    fig.add(Text((left + right) / 2, height - 12, axis_x, 11, "middle"))
    fig.add(Text(12, top - 14, axis_y, 10, "start", GREY))
    return fig


# --- adverse events by term and grade -----------------------------------------------------


@dataclass(frozen=True)
class EventBar:
    """One term: patients with it at each grade (1–5) out of ``treated``."""

    term: str
    by_grade: tuple[int, ...]  # grades 1 to 5
    treated: int


def adverse_events(
    bars: Sequence[EventBar], *, title: str, axis: str, grade_label: str, lang: str
) -> Figure:
    """Horizontal bars, one per term, split by grade: the share of patients treated who
    had the event at that grade."""
    row, left, right, top = 22.0, 170.0, WIDTH - 56, 34.0
    height = top + row * max(len(bars), 1) + 64
    bottom = top + row * max(len(bars), 1)
    largest = max([sum(b.by_grade) / b.treated for b in bars if b.treated] + [0.01])
    ticks = nice_ticks(0.0, 100 * largest, 5)
    x_of = _scale(0.0, ticks[-1], left, right)
    fig = Figure(
        WIDTH,
        height,
        title,
        "; ".join(
            f"{b.term}: "
            + ", ".join(
                f"{grade_label} {g + 1}: {n}/{b.treated}" for g, n in enumerate(b.by_grade) if n
            )
            for b in bars
        ),
    )
    fig.add(Text(WIDTH / 2, 18, title, 13, "middle", INK, True))
    for tick in ticks:
        x = x_of(tick)
        fig.add(
            Line(x, top, x, bottom, GRID, 0.8),
            Text(
                x,
                bottom + 16,
                number(tick, lang, _digits_for(ticks[1] - ticks[0]) if len(ticks) > 1 else 0),
                10,
                "middle",
                GREY,
            ),
        )
    for i, bar in enumerate(bars):
        y = top + row * i
        term = bar.term if len(bar.term) <= 26 else bar.term[:25] + "…"
        fig.add(Text(left - 8, y + row * 0.68, term, 11, "end"))
        x = left
        for grade, count in enumerate(bar.by_grade):
            if not count or not bar.treated:
                continue
            w = x_of(100 * count / bar.treated) - left
            fig.add(Rect(x, y + 3, max(w, 1.0), row - 6, GRADE_COLOURS[grade]))
            x += w
        total = sum(bar.by_grade)
        fig.add(Text(x + 4, y + row * 0.68, f"{total}/{bar.treated}", 10, "start", GREY))
    fig.add(Line(left, bottom, right, bottom, GREY, 1.2))
    fig.add(Text((left + right) / 2, bottom + 32, axis, 11, "middle"))
    legend_y = height - 10
    for grade, colour in enumerate(GRADE_COLOURS):
        x = left + grade * 80
        fig.add(
            Rect(x, legend_y - 10, 12, 12, colour),
            Text(x + 16, legend_y, f"{grade_label} {grade + 1}", 10),
        )
    return fig


# --- output: inline SVG and ReportLab -------------------------------------------------------


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value == value else "0"


def _svg_shape(shape: Shape) -> str:
    if isinstance(shape, Line):
        dash = f' stroke-dasharray="{_f(shape.dash[0])} {_f(shape.dash[1])}"' if shape.dash else ""
        ends = f'x1="{_f(shape.x1)}" y1="{_f(shape.y1)}" x2="{_f(shape.x2)}" y2="{_f(shape.y2)}"'
        return f'<line {ends} stroke="{shape.stroke}" stroke-width="{_f(shape.width)}"{dash}/>'
    if isinstance(shape, Rect):
        stroke = f' stroke="{shape.stroke}"' if shape.stroke else ""
        return (
            f'<rect x="{_f(shape.x)}" y="{_f(shape.y)}" width="{_f(shape.w)}" '
            f'height="{_f(shape.h)}" fill="{shape.fill}"{stroke}/>'
        )
    if isinstance(shape, Poly):
        points = " ".join(f"{_f(x)},{_f(y)}" for x, y in shape.points)
        tag = "polygon" if shape.fill else "polyline"
        stroke = (
            f' stroke="{shape.stroke}" stroke-width="{_f(shape.width)}" stroke-linejoin="round"'
            if shape.stroke
            else ""
        )
        return f'<{tag} points="{points}" fill="{shape.fill or "none"}"{stroke}/>'
    if isinstance(shape, Dot):
        return (
            f'<circle cx="{_f(shape.x)}" cy="{_f(shape.y)}" r="{_f(shape.r)}" fill="{shape.fill}"/>'
        )
    weight = ' font-weight="bold"' if shape.bold else ""
    return (
        f'<text x="{_f(shape.x)}" y="{_f(shape.y)}" font-size="{_f(shape.size)}" '
        f'text-anchor="{shape.anchor}" fill="{shape.fill}"{weight}>{escape(shape.text)}</text>'
    )


def svg(fig: Figure, chart_id: str) -> Markup:
    """The figure as inline SVG (``chart_id`` keeps its title's id unique on a page)."""
    title_id, desc_id = escape(f"{chart_id}-title"), escape(f"{chart_id}-desc")
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" role="img" '
        f'viewBox="0 0 {_f(fig.width)} {_f(fig.height)}" width="{_f(fig.width)}" '
        f'height="{_f(fig.height)}" aria-labelledby="{title_id} {desc_id}" '
        'font-family="sans-serif">'
        f'<title id="{title_id}">{escape(fig.title)}</title>'
        f'<desc id="{desc_id}">{escape(fig.description)}</desc>'
    )
    # Every text and attribute above is escaped or a number or colour of ours.
    return Markup(head + "".join(_svg_shape(s) for s in fig.shapes) + "</svg>")  # noqa: S704


def drawing(fig: Figure, width: float) -> Drawing:
    """The figure as a ReportLab drawing ``width`` points wide (for the PDF), in DejaVu
    Sans."""
    from reportlab.graphics.shapes import Circle, Drawing, Group, Polygon, PolyLine, String
    from reportlab.graphics.shapes import Line as RLine
    from reportlab.graphics.shapes import Rect as RRect
    from reportlab.lib import colors

    from respira.kit import typefaces

    regular, bold = typefaces.register()
    s = width / fig.width
    h = fig.height

    def c(colour: str | None) -> object:
        return colors.HexColor(colour) if colour else None

    group = Group()
    for shape in fig.shapes:
        if isinstance(shape, Line):
            group.add(
                RLine(
                    shape.x1,
                    h - shape.y1,
                    shape.x2,
                    h - shape.y2,
                    strokeColor=c(shape.stroke),
                    strokeWidth=shape.width,
                    strokeDashArray=list(shape.dash) if shape.dash else None,
                )
            )
        elif isinstance(shape, Rect):
            group.add(
                RRect(
                    shape.x,
                    h - shape.y - shape.h,
                    shape.w,
                    shape.h,
                    fillColor=c(shape.fill),
                    strokeColor=c(shape.stroke),
                    strokeWidth=0.5 if shape.stroke else 0,
                )
            )
        elif isinstance(shape, Poly):
            flat = [v for x, y in shape.points for v in (x, h - y)]
            if shape.fill:
                group.add(Polygon(flat, fillColor=c(shape.fill), strokeColor=c(shape.stroke)))
            else:
                group.add(PolyLine(flat, strokeColor=c(shape.stroke), strokeWidth=shape.width))
        elif isinstance(shape, Dot):
            group.add(
                Circle(shape.x, h - shape.y, shape.r, fillColor=c(shape.fill), strokeColor=None)
            )
        else:
            group.add(
                String(
                    shape.x,
                    h - shape.y,
                    shape.text,
                    fontName=bold if shape.bold else regular,
                    fontSize=shape.size,
                    fillColor=c(shape.fill),
                    textAnchor=shape.anchor,
                )
            )
    group.scale(s, s)
    out = Drawing(width, h * s)
    out.add(group)
    return out
