"""The z-score chart of a spirometry session, drawn as SVG on the server.

One row per parameter (FEV1, FVC, FEV1/FVC, FEF25-75), its pre-bronchodilator z-score
as a filled circle and its post-bronchodilator z-score as an open diamond, against a
dashed line at z = −1.645 — the lower limit of normal (the 5th centile; Quanjer 2012,
Stanojevic 2022). The area below the LLN is shaded. z-scores beyond the axis
(−6 to +3) are drawn at its end with an arrow and their value written beside them.

Presentation is by SVG attributes only (the Content-Security-Policy forbids inline
styles and scripts); text is escaped. The page shows the same numbers in a table —
the chart's text alternative — and the SVG carries a title and a description. Its
words and numbers are in the page's language (``lang``; the words marked with ``N_``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from respira.kit import i18n
from respira.kit.marks import N_
from respira.science.spirometry import Z_LLN

_LLN = Decimal(f"{abs(Z_LLN):.3f}")  # as printed: −1.645

Z_MIN, Z_MAX = -6.0, 3.0
WIDTH = 640
LEFT, RIGHT = 120, 24
TOP = 52
ROW = 34
PRE_COLOUR = "#0b4f8a"
POST_COLOUR = "#1a1a1a"
LLN_COLOUR = "#a4161a"
INK = "#1a1a1a"  # text
GREY = "#4a4a4a"  # axis, tick labels, the line between before and after

PARAMETERS: tuple[tuple[str, str], ...] = (
    ("fev1", N_("FEV1")),
    ("fvc", N_("FVC")),
    ("fev1fvc", N_("FEV1/FVC")),
    ("fef2575", N_("FEF25-75")),
)
# The chart's words.
DESCRIPTION = N_("z-scores against the lower limit of normal at z = %(lln)s. %(rows)s.")
DESCRIBED_ROW = N_("%(label)s: pre %(pre)s, post %(post)s")
NOT_MEASURED = N_("not measured")
AXIS = N_("z-score")
LLN_LINE = N_("LLN (z = %(lln)s)")
BEFORE = N_("before bronchodilator")
AFTER = N_("after bronchodilator")
BELOW_LLN = N_("below the LLN")


@dataclass(frozen=True)
class ChartRow:
    label: str
    pre: float | None
    post: float | None


def rows_from_results(results: Mapping[str, object]) -> list[ChartRow]:
    """Chart rows for the parameters that have a pre or a post z-score."""
    out = []
    for key, label in PARAMETERS:
        pre = results.get(f"{key}_pre")
        post = results.get(f"{key}_post")
        if pre is None and post is None:
            continue
        out.append(
            ChartRow(
                label,
                float(pre.z) if pre is not None else None,  # type: ignore[attr-defined]
                float(post.z) if post is not None else None,  # type: ignore[attr-defined]
            )
        )
    return out


def fmt_z(z: float, lang: str = i18n.SOURCE_LANGUAGE) -> str:
    """A z-score with its sign (a true minus), two decimals, in the language's way
    ("−1.78", "−1,78"); rounded as the English has always been written."""
    shown = f"{z:+.2f}"
    return shown[0].replace("-", "−") + i18n.fmt_number(Decimal(shown[1:]), lang, 2)


def _x(z: float) -> float:
    z = min(max(z, Z_MIN), Z_MAX)
    return LEFT + (z - Z_MIN) / (Z_MAX - Z_MIN) * (WIDTH - LEFT - RIGHT)


def _attrs(**attrs: object) -> str:
    return " ".join(
        f'{k.rstrip("_").replace("_", "-")}="{escape(str(v))}"' for k, v in attrs.items()
    )


def _el(tag: str, text: str | None = None, **attrs: object) -> str:
    if text is None:
        return f"<{tag} {_attrs(**attrs)}/>"
    return f"<{tag} {_attrs(**attrs)}>{escape(text)}</{tag}>"


def _line(
    x1: object, x2: object, y1: object, y2: object, stroke: str, width: int, **more: str
) -> str:
    return _el("line", x1=x1, x2=x2, y1=y1, y2=y2, stroke=stroke, stroke_width=width, **more)


def _text(text: str, x: object, y: object, size: int, fill: str, anchor: str | None = None) -> str:
    """A label at (x, y); ``anchor`` start, middle or end (SVG's default: start)."""
    if anchor is None:
        return _el("text", text, x=x, y=y, font_size=size, fill=fill)
    return _el("text", text, x=x, y=y, text_anchor=anchor, font_size=size, fill=fill)


def _marker(kind: str, x: float, y: float) -> str:
    if kind == "pre":
        return _el("circle", cx=f"{x:.1f}", cy=f"{y:.1f}", r=6, fill=PRE_COLOUR)
    d = 7
    points = f"{x:.1f},{y - d:.1f} {x + d:.1f},{y:.1f} {x:.1f},{y + d:.1f} {x - d:.1f},{y:.1f}"
    return _el("polygon", points=points, fill="#ffffff", stroke=POST_COLOUR, stroke_width=2)


def zscore_chart(
    rows: Iterable[ChartRow], *, chart_id: str, title: str, lang: str = i18n.SOURCE_LANGUAGE
) -> Markup:
    """The SVG for one session, its words in ``lang`` (``title`` already is); ``chart_id``
    makes the element ids unique on a page."""
    rows = list(rows)
    _ = i18n.translations(lang).gettext
    lln = "−" + i18n.fmt_number(_LLN, lang, 3)
    height = TOP + ROW * max(len(rows), 1) + 70
    plot_bottom = TOP + ROW * max(len(rows), 1)
    parts: list[str] = []
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"

    def z_text(z: float | None) -> str:
        return fmt_z(z, lang) if z is not None else _(NOT_MEASURED)

    described = "; ".join(
        _(DESCRIBED_ROW) % {"label": _(r.label), "pre": z_text(r.pre), "post": z_text(r.post)}
        for r in rows
    )
    parts.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart zscore-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}" font-family="sans-serif">'
    )
    parts.append(_el("title", title, id=title_id))
    parts.append(
        _el(
            "desc",
            _(DESCRIPTION) % {"lln": lln, "rows": described},
            id=desc_id,
        )
    )
    parts.append(
        _el(
            "text",
            title,
            x=WIDTH / 2,
            y=18,
            text_anchor="middle",
            font_size=14,
            font_weight="bold",
            fill=INK,
        )
    )
    # Below-LLN band and the LLN line.
    x_lln = _x(Z_LLN)
    parts.append(
        _el(
            "rect",
            x=LEFT,
            y=TOP - 8,
            width=f"{x_lln - LEFT:.1f}",
            height=plot_bottom - TOP + 8,
            fill="#fdecec",
        )
    )
    # Grid and axis ticks.
    for tick in range(int(Z_MIN), int(Z_MAX) + 1):
        x = _x(tick)
        parts.append(_line(f"{x:.1f}", f"{x:.1f}", TOP - 8, plot_bottom, "#c9ced4", 1))
        tick_text = f"{tick:+d}".replace("-", "−") if tick else "0"
        parts.append(_text(tick_text, f"{x:.1f}", plot_bottom + 16, 11, GREY, "middle"))
    parts.append(_line(LEFT, WIDTH - RIGHT, plot_bottom, plot_bottom, GREY, 1))
    parts.append(_text(_(AXIS), (LEFT + WIDTH - RIGHT) / 2, plot_bottom + 32, 12, INK, "middle"))
    lln_x = f"{x_lln:.1f}"
    dashed = {"stroke_dasharray": "6 4", "class_": "lln-line"}
    parts.append(_line(lln_x, lln_x, TOP - 12, plot_bottom, LLN_COLOUR, 2, **dashed))
    lln_text = _(LLN_LINE) % {"lln": lln}
    parts.append(_text(lln_text, f"{x_lln - 4:.1f}", TOP - 16, 11, LLN_COLOUR, "end"))
    # One row per parameter.
    for i, row in enumerate(rows):
        y = TOP + ROW * i + ROW / 2 - 4
        parts.append(_text(_(row.label), LEFT - 10, f"{y + 4:.1f}", 12, INK, "end"))
        if row.pre is not None and row.post is not None:
            x_pre, x_post = f"{_x(row.pre):.1f}", f"{_x(row.post):.1f}"
            parts.append(_line(x_pre, x_post, f"{y:.1f}", f"{y:.1f}", GREY, 1))
        for kind, z in (("pre", row.pre), ("post", row.post)):
            if z is None:
                continue
            x = _x(z)
            parts.append(_marker(kind, x, y))
            if z < Z_MIN or z > Z_MAX:
                arrow = "◀" if z < Z_MIN else "▶"
                anchor = "start" if z < Z_MIN else "end"
                dx = 10 if z < Z_MIN else -10
                label = f"{arrow} {fmt_z(z, lang)}"
                parts.append(_text(label, f"{x + dx:.1f}", f"{y - 9:.1f}", 10, INK, anchor))
    # Legend.
    ly = plot_bottom + 52
    parts.append(_marker("pre", LEFT + 6, ly - 4))
    parts.append(_text(_(BEFORE), LEFT + 18, ly, 12, INK))
    parts.append(_marker("post", LEFT + 196, ly - 4))
    parts.append(_text(_(AFTER), LEFT + 208, ly, 12, INK))
    parts.append(
        _el(
            "rect",
            x=LEFT + 370,
            y=ly - 12,
            width=14,
            height=14,
            fill="#fdecec",
            stroke=LLN_COLOUR,
            stroke_width=1,
        )
    )
    parts.append(_text(_(BELOW_LLN), LEFT + 390, ly, 12, INK))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text and attribute above is escaped)
