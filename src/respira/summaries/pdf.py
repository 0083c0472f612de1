"""The summary printed as PDF with ReportLab (pure Python: no system libraries to
install): A4, the clinic's letterhead and the document's title on every page, the
patient's name, date of birth and record number and "page n of m" at the foot of every
page, the charts as vector drawings, tables whose header repeats on a new page, and
DejaVu Sans for Latin and Cyrillic text. A draft carries "DRAFT" across every page.

Typography for print: 9.5 pt text on 13 pt leading, section headings kept with what
follows them, tables in 8 pt with hairlines, 18 mm side margins.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
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

from respira.kit.typefaces import BOLD, REGULAR, register
from respira.summaries import blocks as b
from respira.summaries import charts

PAGE_W, PAGE_H = A4
SIDE = 18 * mm
TOP = 30 * mm
BOTTOM = 20 * mm
INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#9aa3ad")
HEAD_BG = colors.HexColor("#eef1f4")
FRAME_W = PAGE_W - 2 * SIDE


# Paragraph styles over the 9.5/13 pt body text: name → what differs from it.
_STYLE_CHANGES: dict[str, dict[str, Any]] = {
    "body": {},
    "title": {"fontName": BOLD, "fontSize": 17, "leading": 21},
    "version": {"fontSize": 10, "textColor": MUTED},
    "h2": {
        "fontName": BOLD,
        "fontSize": 11.5,
        "leading": 15,
        "spaceBefore": 10,
        "spaceAfter": 4,
        "keepWithNext": 1,
    },
    "subhead": {"fontName": BOLD, "spaceBefore": 5, "spaceAfter": 2, "keepWithNext": 1},
    "note": {"fontSize": 8, "leading": 10.5, "textColor": MUTED},
    "statement": {
        "fontName": BOLD,
        "borderColor": INK,
        "borderWidth": 0.6,
        "borderPadding": 5,
        "spaceBefore": 8,
        "spaceAfter": 6,
    },
    "quote": {"leftIndent": 8, "spaceAfter": 4},
    "cell": {"fontSize": 8, "leading": 10, "alignment": TA_LEFT},
    "cell_bold": {"fontName": BOLD, "fontSize": 8, "leading": 10},
    "label": {"textColor": MUTED, "fontSize": 8.5, "leading": 11.5},
    "value": {"fontSize": 9, "leading": 12},
    "signature": {"spaceBefore": 2},
}


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=13, textColor=INK)
    return {
        name: ParagraphStyle(name, parent=body, **changes)
        for name, changes in _STYLE_CHANGES.items()
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped: the text is data, not markup); line breaks
    kept."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _facts(block: b.Facts, st: dict[str, ParagraphStyle]) -> Table:
    rows = [[_p(label, st["label"]), _p(value, st["value"])] for label, value in block.items]
    table = Table(rows, colWidths=[FRAME_W * 0.34, FRAME_W * 0.66], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def _table(block: b.Table, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    header = [_p(h, st["cell_bold"]) for h in block.header]
    body = [
        [
            _p(cell, st["cell_bold"] if (r, c) in block.strong else st["cell"])
            for c, cell in enumerate(row)
        ]
        for r, row in enumerate(block.rows)
    ]
    weights = block.widths or tuple(1.0 for _ in block.header)
    total = sum(weights)
    table = Table(
        [header, *body],
        colWidths=[FRAME_W * w / total for w in weights],
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
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return [Spacer(1, 3), _p(block.caption, st["note"]), Spacer(1, 2), table, Spacer(1, 5)]


def _chart(block: b.Chart, lang: str, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    drawing = charts.draw(block, lang)
    scale = min(1.0, FRAME_W / drawing.width)
    drawing.scale(scale, scale)
    drawing.width *= scale
    drawing.height *= scale
    return [
        KeepTogether([Spacer(1, 4), _p(block.title, st["subhead"]), drawing]),
        _p(block.description, st["note"]),
        Spacer(1, 4),
    ]


def _flowables(doc: b.Document, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [
        _p(doc.title, st["title"]),
        _p(doc.version_line + (f" — {doc.draft_mark}" if doc.draft else ""), st["version"]),
        Spacer(1, 4),
        _p(doc.intro, st["body"]),
    ]
    for section in doc.sections:
        story += [CondPageBreak(30 * mm), _p(section.title, st["h2"])]
        for block in section.blocks:
            if isinstance(block, b.Paragraph):
                story.append(_p(block.text, st.get(block.style, st["body"])))
            elif isinstance(block, b.Facts):
                story.append(_facts(block, st))
            elif isinstance(block, b.Table):
                story += _table(block, st)
            else:
                story += _chart(block, doc.lang, st)
    story += [Spacer(1, 10)]
    story += [_p(line, st["signature"]) for line in doc.signature]
    return story


class _Pages(Canvas):  # type: ignore[misc]
    """A canvas that knows the page count when it closes the document: the letterhead,
    the foot line with "page n of m" and a draft's mark are drawn on every page then."""

    document: b.Document

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._saved.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved)
        for state in self._saved:
            self.__dict__.update(state)
            self._decorate(total)
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        doc = self.document
        self.saveState()
        top = PAGE_H - 12 * mm
        self.setFillColor(INK)
        self.setFont(BOLD, 10.5)
        self.drawString(SIDE, top, doc.letterhead[0] if doc.letterhead else "")
        self.setFont(REGULAR, 8)
        self.setFillColor(MUTED)
        for i, line in enumerate(doc.letterhead[1:4], start=1):
            self.drawString(SIDE, top - i * 10, line)
        self.drawRightString(PAGE_W - SIDE, top, doc.title)
        self.drawRightString(PAGE_W - SIDE, top - 10, doc.version_line)
        self.setStrokeColor(RULE)
        self.setLineWidth(0.6)
        self.line(SIDE, PAGE_H - TOP + 4 * mm, PAGE_W - SIDE, PAGE_H - TOP + 4 * mm)
        self.line(SIDE, BOTTOM - 6 * mm, PAGE_W - SIDE, BOTTOM - 6 * mm)
        self.drawString(SIDE, BOTTOM - 10 * mm, doc.patient_line)
        page = doc.page_label % {"page": self._pageNumber, "pages": total}
        self.drawRightString(PAGE_W - SIDE, BOTTOM - 10 * mm, page)
        if doc.draft:
            self.setFillColor(colors.Color(0.75, 0.1, 0.1, alpha=0.12))
            self.setFont(BOLD, 90)
            self.translate(PAGE_W / 2, PAGE_H / 2)
            self.rotate(45)
            self.drawCentredString(0, -30, doc.draft_mark)
        self.restoreState()


def render(doc: b.Document) -> bytes:
    """The document as PDF bytes."""
    register()
    st = _styles()
    out = io.BytesIO()
    template = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=SIDE,
        rightMargin=SIDE,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=f"{doc.title} — {doc.version_line}",
        author=doc.author,
        subject=doc.patient_line,
        lang=doc.lang,
    )

    def canvas(*args: Any, **kwargs: Any) -> _Pages:
        made = _Pages(*args, **kwargs)
        made.document = doc
        return made

    template.build(_flowables(doc, st), canvasmaker=canvas)
    return out.getvalue()
