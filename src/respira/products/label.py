"""The printable label of a unit: a 100 × 100 mm PDF (reportlab) with the ISBT 128 DIN
as a Code 128 barcode and in eye-readable form with its check character boxed, and the
label content FACT-JACIE asks for at distribution (clinical.md §5.5): product name and
identifier, the recipient of an autologous unit, facility, collection date, expiry,
volume and cell count, cryoprotectant, storage temperature, "For autologous use only"
where it applies, "Properly identify intended recipient and product", "Do not
irradiate", "Do not use leukocyte-reduction filters" and Rx only.

The barcode carries data structure 001: "=" + the 13 DIN characters + the two flag
characters that hold the check value (check + 60); the boxed eye-readable character is
not part of the barcode data.
"""

from __future__ import annotations

import io
from typing import Any

from fastapi.responses import Response
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

SIZE = (100 * mm, 100 * mm)


def pdf_response(facts: dict[str, Any]) -> Response:
    """The label as a PDF shown inline, its file named by the DIN (the API and the
    pages answer it alike)."""
    return Response(
        render_label(facts),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{facts["din"]}.pdf"'},
    )


def render_label(facts: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=SIZE, pageCompression=0)
    c.setTitle(f"Label {facts['din']}")
    c.setAuthor(f"Respira, facility {facts['facility_code']}")
    width, height = SIZE
    left = 5 * mm
    y = height - 8 * mm

    barcode = Code128(
        "=" + facts["din"] + facts["flag"], barHeight=12 * mm, barWidth=0.28 * mm, quiet=False
    )
    barcode.drawOn(c, left, y - 12 * mm)
    y -= 17 * mm

    # The eye-readable DIN with its check character in a box.
    c.setFont("Helvetica-Bold", 13)
    c.drawString(left, y, facts["din_spaced"])
    text_width = c.stringWidth(facts["din_spaced"], "Helvetica-Bold", 13)
    box_x = left + text_width + 3 * mm
    c.rect(box_x - 1 * mm, y - 1.5 * mm, 5.5 * mm, 6 * mm)
    c.drawString(box_x, y, facts["check_character"])
    y -= 6 * mm

    def line(text: str, size: float = 7.5, bold: bool = False) -> None:
        nonlocal y
        font = "Helvetica-Bold" if bold else "Helvetica"
        c.setFont(font, size)
        for part in simpleSplit(text, font, size, width - 2 * left):
            c.drawString(left, y, part)
            y -= size + 2.5  # points

    line(facts["product"], 8, bold=True)
    line(f"Lot {facts['lot_code']}   Facility {facts['facility_code']}")
    recipient = facts.get("recipient")
    if recipient:
        line(
            f"Recipient: {recipient['name']}  {recipient['record_number']}  "
            f"born {recipient['date_of_birth']}",
            7.5,
            bold=True,
        )
    line(f"Collection date: {facts['collection_date']}")
    line(f"Expiry: {facts['expiry']}", bold=True)
    line(f"Volume: {facts['volume_ml']:g} mL   Cell count: {facts['cells_million']:g} x10^6 cells")
    line(f"Cryoprotectant: {facts['cryoprotectant']}")
    line(facts["storage_temperature"])
    if facts.get("autologous"):
        line("For autologous use only", 8, bold=True)
    line("Properly identify intended recipient and product", bold=True)
    line("Do not irradiate   Do not use leukocyte-reduction filters")
    line("Rx only", 8, bold=True)
    if facts.get("status") != "released":
        line(f"NOT RELEASED ({facts.get('status')}): not for clinical use", 8, bold=True)
    c.showPage()
    c.save()
    return buf.getvalue()
