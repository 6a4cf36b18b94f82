"""A signed document as a one-page A4 PDF, with its check code and a QR code for /verify.

Made with fpdf2: maintained (regular releases), pure Python (no system libraries, unlike
WeasyPrint's Pango/Cairo or wkhtmltopdf's Qt), small, and it draws a QR code given as SVG, so the
same `qr_code_svg` that the device flow uses serves here. Its own fonts are Latin-1 core fonts:
enough for English and Welsh (ŵ and ŷ are replaced by w and y only in the PDF, never in the
signed file, which is what /verify checks).
"""

from __future__ import annotations

import io
from typing import Any

from fpdf import FPDF

from ..consent import device

WELSH_LETTERS = str.maketrans("ŵŷŴŶẁẃẅỳ", "wyWYwwwy")


def _text(value: Any) -> str:
    return str(value).translate(WELSH_LETTERS).encode("latin-1", "replace").decode("latin-1")


def render(document: dict[str, Any], code: str, link: str) -> bytes:
    """The notice of an MR decision: its facts, who it is for, the code and the QR code."""
    facts = document.get("facts", {})
    pdf = FPDF(format="A4")
    pdf.set_title("Mandatory Reconsideration decision notice")
    pdf.set_creator("consent broker")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 20)
    pdf.multi_cell(0, 10, _text(facts.get("decision", "Mandatory Reconsideration decision")))
    pdf.ln(4)
    pdf.set_font("helvetica", "", 12)
    rows = [
        ("Claimant reference", document.get("claimant", {}).get("reference", "")),
        ("Date of decision", facts.get("decided_on", "")),
        ("Outcome", facts.get("outcome_words", "")),
        ("Last day to appeal", facts.get("appeal_by", "")),
        ("No appeal after (13-month limit)", facts.get("appeal_outside_limit", "")),
        ("Notice issued", str(document.get("issued_at", ""))[:19].replace("T", " ") + " UTC"),
    ]
    for label, value in rows:
        pdf.set_font("helvetica", "B", 12)
        pdf.cell(80, 8, _text(label))
        pdf.set_font("helvetica", "", 12)
        pdf.cell(0, 8, _text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(0, 8, _text(f"Check code: {code}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 11)
    pdf.multi_cell(
        0,
        6,
        _text(
            f"Anyone can check this notice is genuine, unchanged and recorded: go to {link} "
            "or scan the QR code. No account is needed."
        ),
    )
    pdf.ln(2)
    pdf.image(io.BytesIO(device.qr_code_svg(link)), w=50, h=50)
    return bytes(pdf.output())
