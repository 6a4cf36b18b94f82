"""A signed document as an A4 PDF, with its check code and a QR code for /verify.

Made with fpdf2: maintained (regular releases), pure Python (no system libraries, unlike
WeasyPrint's Pango/Cairo or wkhtmltopdf's Qt), small, and it draws a QR code given as SVG, so the
same `qr_code_svg` that the device flow uses serves here. Its own fonts are Latin-1 core fonts:
enough for English and Welsh (ŵ and ŷ are replaced by w and y only in the PDF, never in the
signed file, which is what /verify checks).
"""

from __future__ import annotations

import io
from typing import Any

from ..consent import device
from . import document_kinds

WELSH_LETTERS = str.maketrans("ŵŷŴŶẁẃẅỳ", "wyWYwwwy")


def _text(value: Any) -> str:
    return str(value).translate(WELSH_LETTERS).encode("latin-1", "replace").decode("latin-1")


def _shown(row: document_kinds.Row, value: Any) -> str:
    if row.shape == document_kinds.TIME:
        return str(value)[:19].replace("T", " ") + " UTC"
    if row.shape == document_kinds.OUTCOME:
        return document_kinds.OUTCOME_WORDS.get(str(value), str(value))
    return str(value)


def render(document: dict[str, Any], code: str, link: str) -> bytes:
    """A signed document on A4 (one page for a notice or a proof of lodging; a bundle runs on):
    its kind's facts (document_kinds.py), the entries it lists, the check code and the QR code."""
    kind = document_kinds.kind_of(document)
    # Imported here, not at the top: fpdf2 with fontTools and Pillow is about 22 MB in every
    # worker that would otherwise load it at start (issue 28's memory target), for the rare
    # request that prints a document. Its first print in a worker pays the import once.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(kind.title)
    pdf.set_creator("consent broker")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 20)
    pdf.multi_cell(0, 10, _text(kind.title))
    pdf.ln(4)
    rows = [("Claimant reference", document.get("claimant", {}).get("reference", ""))]
    rows += [(row.label, _shown(row, value)) for row, value in document_kinds.rows_of(document)]
    rows.append(("Issued", str(document.get("issued_at", ""))[:19].replace("T", " ") + " UTC"))
    for label, value in rows:
        pdf.set_font("helvetica", "B", 12)
        pdf.multi_cell(80, 8, _text(label), new_x="RIGHT", new_y="TOP")
        pdf.set_font("helvetica", "", 12)
        pdf.multi_cell(0, 8, _text(value), new_x="LMARGIN", new_y="NEXT")
    for item in document_kinds.items_of(document):
        pdf.ln(3)
        pdf.set_font("helvetica", "B", 12)
        # Back to the left margin after each cell (fpdf2 leaves x at the right edge).
        pdf.multi_cell(
            0,
            7,
            _text(f"{item.get('on', '')}: {item.get('what', '')}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("helvetica", "", 11)
        pdf.multi_cell(0, 6, _text(item.get("text", "")), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(0, 8, _text(f"Check code: {code}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 11)
    pdf.multi_cell(
        0,
        6,
        _text(
            f"Anyone can check this document is genuine, unchanged and recorded: go to {link} "
            "or scan the QR code. No account is needed."
        ),
    )
    pdf.ln(2)
    pdf.image(io.BytesIO(device.qr_code_svg(link)), w=50, h=50)
    return bytes(pdf.output())
