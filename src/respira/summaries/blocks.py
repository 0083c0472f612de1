"""The medical summary as a document in one language: a title, the letterhead, sections
of paragraphs, label–value facts, tables and charts, and the signature. Made from the
content by ``respira.summaries.document``; printed by ``respira.summaries.pdf`` and shown
as the HTML preview by the summary's page, so both say exactly the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Paragraph:
    text: str
    # "body", "note" (small print, sources), "statement" (stands out: the medication
    # statement), "quote" (the physician's own words, as written)
    style: str = "body"
    kind: str = "paragraph"


@dataclass(frozen=True)
class Facts:
    """Label–value pairs (a definition list)."""

    items: list[tuple[str, str]]
    kind: str = "facts"


@dataclass(frozen=True)
class Table:
    """A table with a header row; ``strong`` names the cells (row, column) to set in
    bold (values that stand out, marked by a word or a symbol as well)."""

    caption: str
    header: list[str]
    rows: list[list[str]]
    strong: frozenset[tuple[int, int]] = frozenset()
    # Relative column widths (None: even).
    widths: tuple[float, ...] | None = None
    kind: str = "table"


@dataclass(frozen=True)
class Chart:
    """A vector chart (``charts.draw(chart)`` makes the drawing); ``description`` is its
    text alternative (the table next to it holds the numbers)."""

    chart: str  # "zscore" | "follow_up"
    title: str
    description: str
    data: dict[str, Any]
    kind: str = "chart"


Block = Paragraph | Facts | Table | Chart


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    empty: bool = False


@dataclass
class Document:
    lang: str
    title: str
    version_line: str
    letterhead: list[str]
    patient_line: str
    intro: str
    sections: list[Section]
    signature: list[str]
    draft: bool
    draft_mark: str
    page_label: str  # "Page %(page)s of %(pages)s" in the document's language
    author: str = ""
