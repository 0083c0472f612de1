"""The outcome report as a PDF (ReportLab), in the reader's language: the same sections
as the page (``report_view.staff_view``): tables with their notes, the charts as vector
drawings with their numbers beside them, the suppression of small cells, and "What this
cannot show". A4 portrait, DejaVu Sans for Latin and Cyrillic text
(``respira.kit.typefaces``), the report's title, cohort and data date on every page and
"page n of m" at its foot.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from respira.kit import typefaces
from respira.kit.marks import N_
from respira.outcomes import charts, report_view
from respira.outcomes.report_view import Texts

PAGE_W, PAGE_H = A4
SIDE, TOP, BOTTOM = 16 * mm, 22 * mm, 18 * mm
FRAME_W = PAGE_W - 2 * SIDE
INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#4a4a4a")
RULE = colors.HexColor("#9aa3ad")
HEAD_BG = colors.HexColor("#eef1f4")
WARN_BG = colors.HexColor("#fff4e0")


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = typefaces.register()
    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=12.5, textColor=INK)
    changes: dict[str, dict[str, Any]] = {
        "body": {},
        "title": {"fontName": bold, "fontSize": 16, "leading": 20, "spaceAfter": 4},
        "h2": {
            "fontName": bold,
            "fontSize": 12,
            "leading": 15,
            "spaceBefore": 10,
            "spaceAfter": 4,
            "keepWithNext": 1,
        },
        "h3": {
            "fontName": bold,
            "fontSize": 10,
            "spaceBefore": 6,
            "spaceAfter": 2,
            "keepWithNext": 1,
        },
        "note": {"fontSize": 7.5, "leading": 10, "textColor": MUTED, "spaceAfter": 2},
        "caption": {
            "fontName": bold,
            "fontSize": 8.5,
            "spaceBefore": 4,
            "spaceAfter": 2,
            "keepWithNext": 1,
        },
        "cell": {"fontSize": 7.5, "leading": 9.5},
        "num": {"fontSize": 7.5, "leading": 9.5, "alignment": 2},
        "head": {"fontName": bold, "fontSize": 7.5, "leading": 9.5},
        "warning": {"backColor": WARN_BG, "borderPadding": 4, "spaceBefore": 4, "spaceAfter": 6},
        "bullet": {"leftIndent": 10, "bulletIndent": 0, "spaceAfter": 3},
    }
    return {name: ParagraphStyle(name, parent=body, **c) for name, c in changes.items()}


def _p(text: str, style: ParagraphStyle, **kw: Any) -> Paragraph:
    return Paragraph(escape(text), style, **kw)


def _table(block: report_view.Table, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    header = [_p(c.label, st["head"]) for c in block.columns]
    rows = [
        [
            _p(cell, st["num"] if block.columns[i].numeric and i else st["cell"])
            for i, cell in enumerate(row)
        ]
        for row in block.rows
    ]
    # The first column (what a row is) gets twice the room of a figure.
    weights = [2.0] + [1.0] * (len(block.columns) - 1)
    table = Table(
        [header, *rows],
        colWidths=[FRAME_W * w / sum(weights) for w in weights],
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    out: list[Flowable] = [_p(block.caption, st["caption"]), table]
    out += [_p(note, st["note"]) for note in block.notes]
    return [*out, Spacer(1, 4)]


def _block(block: report_view.Block, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    if isinstance(block, report_view.Table):
        return _table(block, st)
    if isinstance(block, report_view.Chart):
        drawing = charts.drawing(block.figure, FRAME_W)
        out: list[Flowable] = [KeepTogether([Spacer(1, 4), drawing])]
        return out + (_table(block.numbers, st) if block.numbers else [])
    if isinstance(block, report_view.Heading):
        return [_p(block.text, st["h3"])]
    if isinstance(block, report_view.Bullets):
        return [_p(item, st["bullet"], bulletText="•") for item in block.items]
    return [_p(block.text, st["warning"] if block.style == "warning" else st["body"])]


def _story(
    view: report_view.ReportView, cohort: str, st: dict[str, ParagraphStyle]
) -> list[Flowable]:
    story: list[Flowable] = [_p(view.title, st["title"]), _p(cohort, st["body"]), Spacer(1, 3)]
    story += [_p(f"{label}: {value}", st["body"]) for label, value in view.facts]
    story += [_p(notice.text, st["warning"]) for notice in view.notices]
    for section in view.sections:
        story += [CondPageBreak(35 * mm), _p(section.title, st["h2"])]
        for block in section.blocks:
            story += _block(block, st)
    return story


def _cohort_line(report: dict[str, Any], t: Texts) -> str:
    if not report["filters"]:
        return t(N_("Cohort: every treated course in the registry."))
    chosen = ", ".join(f"{key} = {value}" for key, value in report["filters"].items())
    return t(N_("Cohort: %(filters)s."), filters=chosen)


def render(report: dict[str, Any], lang: str) -> bytes:
    """The report (``report.build_report``'s dict) as PDF bytes in ``lang``."""
    st = _styles()
    t = Texts(lang, report["min_cell"])
    view = report_view.staff_view(report, lang)
    cohort = _cohort_line(report, t)
    head = f"{view.title} · {t(N_('Figures as of'))} {t.date(report['as_of'])}"
    page_label = t(N_("Page %(page)s of %(pages)s"))
    regular, bold = typefaces.register()

    class Pages(Canvas):  # type: ignore[misc]
        """Knows the page count when the document closes: "page n of m" on each."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self.pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for state in self.pages:
                self.__dict__.update(state)
                self.setFont(bold, 8.5)
                self.setFillColor(INK)
                self.drawString(SIDE, PAGE_H - 12 * mm, head)
                self.setFont(regular, 7.5)
                self.setFillColor(MUTED)
                self.drawString(SIDE, PAGE_H - 16 * mm, cohort[:140])
                self.setStrokeColor(RULE)
                self.line(SIDE, BOTTOM - 6 * mm, PAGE_W - SIDE, BOTTOM - 6 * mm)
                number = page_label % {"page": self._pageNumber, "pages": len(self.pages)}
                self.drawRightString(PAGE_W - SIDE, BOTTOM - 10 * mm, number)
                super().showPage()
            super().save()

    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=SIDE,
        rightMargin=SIDE,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=view.title,
        author="Respira",
        lang=lang,
    ).build(_story(view, cohort, st), canvasmaker=Pages)
    return out.getvalue()
