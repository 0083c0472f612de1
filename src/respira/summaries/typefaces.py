"""The fonts of the summaries' PDFs and charts: DejaVu Sans, regular and bold, shipped in
``summaries/fonts/`` (free licence: ``fonts/README.md``). They cover Latin, German and
Cyrillic letters and the symbols the tables use, so a summary prints the same in English,
German and Russian; ReportLab embeds the subset a PDF uses."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"


@lru_cache(maxsize=1)
def register() -> tuple[str, str]:
    """Register the fonts with ReportLab once; their names (regular, bold)."""
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)
    return REGULAR, BOLD
