"""Use cases of the medical summaries, as one public face: the discharge and follow-up
summaries written as drafts, signed ("approved summary") and frozen as PDF in the
patient's language and in English, corrected by new versions, read and downloaded. They
live in

- ``respira.summaries.lifecycle`` — drafts, signing, corrections, reads, downloads;
- ``respira.summaries.content`` — what a summary says, read from the other steps;
- ``respira.summaries.document`` — the content written out in one language;
- ``respira.summaries.pdf`` and ``respira.summaries.charts`` — the PDF and its charts;

and who may do what in ``respira.summaries.roles``. Other steps read ``signed_summaries``
(the FHIR step: a DocumentReference per signed summary) and ``READ_ROLES``, and print
their own documents with the summaries' PDF (``render_pdf`` of a ``Document`` of
``Section``s, ``Facts``, ``Paragraph``s and ``Table``s, ``letterhead_lines``, ``Words``:
the quotes step); the routes, the demo and the tests write ``service.X``. Sources:
clinical.md §1–§3 (control, severity, phenotype), §4 (adverse events), §6 (outcomes and
MCIDs), §7 (codes).
"""

from __future__ import annotations

from respira.summaries.blocks import Document, Facts, Paragraph, Section, Table
from respira.summaries.charts import with_chart_images
from respira.summaries.content import SECTIONS
from respira.summaries.document import letterhead_lines
from respira.summaries.lifecycle import (
    ENGLISH,
    PdfFile,
    create_summary,
    get_summary,
    list_summaries,
    pdf_file,
    preview,
    revise,
    sign,
    signed_summaries,
    summary_language,
    update_draft,
    versions,
)
from respira.summaries.pdf import render as render_pdf
from respira.summaries.roles import DRAFT_ROLES, READ_ROLES, SIGN_MEANING, WRITE_ROLES
from respira.summaries.schemas import SignedSummary
from respira.summaries.texts import KIND_TITLES, Words

__all__ = [
    "DRAFT_ROLES",
    "ENGLISH",
    "KIND_TITLES",
    "READ_ROLES",
    "SECTIONS",
    "SIGN_MEANING",
    "WRITE_ROLES",
    "Document",
    "Facts",
    "Paragraph",
    "PdfFile",
    "Section",
    "SignedSummary",
    "Table",
    "Words",
    "create_summary",
    "get_summary",
    "letterhead_lines",
    "list_summaries",
    "pdf_file",
    "preview",
    "render_pdf",
    "revise",
    "sign",
    "signed_summaries",
    "summary_language",
    "update_draft",
    "versions",
    "with_chart_images",
]
