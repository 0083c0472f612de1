"""The typeface of every PDF Respira prints (medical summaries, quotes, visa letters, the
outcome report): DejaVu Sans, regular and bold, which covers Latin, German and Cyrillic
letters and the symbols tables use, so a document prints the same in English, German and
Russian (ReportLab embeds the subset a PDF uses). The font files ship as package data in
``respira/kit/fonts/`` (their free licence is in the README beside them)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"


@lru_cache(maxsize=1)
def register() -> tuple[str, str]:
    """Register the fonts with ReportLab once; their names (regular, bold)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, file in ((REGULAR, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)
    return REGULAR, BOLD
