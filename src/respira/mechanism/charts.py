"""Server-made SVG line charts: the geometry of a chart of one observable over time, the
scenario against the untreated same patient, for ``templates/mechanism/_chart.html``.

No JavaScript and no inline styles (the pages' Content-Security-Policy): the template
draws with SVG presentation attributes only. Screen readers get the chart's title and
the table of numbers under the charts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

WIDTH = 640
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40


@dataclass(frozen=True)
class Tick:
    value: float
    pos: float


@dataclass(frozen=True)
class Line:
    key: str  # "untreated" | "treated": the template's colour and dash
    points: str  # the polyline's "x,y x,y ..."


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    lines: tuple[Line, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    markers: tuple[Tick, ...]  # dose days, as vertical marks


def nice_ticks(low: float, high: float, target: int = 5) -> list[float]:
    """Round tick values covering [low, high] with a step of 1, 2 or 5 × 10^k."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / max(1, target - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _y_range(series: Sequence[np.ndarray]) -> tuple[float, float]:
    low = float(min(np.min(s) for s in series))
    high = float(max(np.max(s) for s in series))
    if high - low < 1e-9 * max(1.0, abs(high)):
        pad = max(abs(high) * 0.05, 1e-3)
        low, high = low - pad, high + pad
    return low, high


def line_chart(
    days: np.ndarray,
    lines: Sequence[tuple[str, np.ndarray]],
    *,
    markers: Sequence[float] = (),
) -> LineChart:
    """A chart of each ``(key, values)`` over ``days`` on shared axes whose y axis spans
    the values with round ticks."""
    plot_right, plot_bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    x_max = float(days[-1]) if float(days[-1]) > 0 else 1.0
    y_ticks_values = nice_ticks(*_y_range([values for _key, values in lines]))
    y_low, y_high = y_ticks_values[0], y_ticks_values[-1]
    y_span = (y_high - y_low) or 1.0

    def x(day: float | np.ndarray) -> np.ndarray:
        return LEFT + (np.asarray(day, dtype=float) / x_max) * (plot_right - LEFT)

    def y(value: float | np.ndarray) -> np.ndarray:
        scaled = (np.asarray(value, dtype=float) - y_low) / y_span
        return plot_bottom - scaled * (plot_bottom - TOP)

    drawn = tuple(
        Line(key, " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x(days), y(values), strict=True)))
        for key, values in lines
    )
    x_ticks = tuple(Tick(d, float(x(d))) for d in nice_ticks(0.0, x_max, 9) if d <= x_max)
    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=plot_right,
        top=TOP,
        bottom=plot_bottom,
        lines=drawn,
        x_ticks=x_ticks,
        y_ticks=tuple(Tick(v, float(y(v))) for v in y_ticks_values),
        markers=tuple(Tick(d, float(x(d))) for d in markers if 0 <= d <= x_max),
    )
