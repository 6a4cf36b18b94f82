"""What a worker loads at start (issue 28's memory target, bench/README.md): the PDF library
(fpdf2, with fontTools and Pillow, about 22 MB) only when a document is printed, and qrcode (with
Pillow, about 5 MB) only when a page draws a code, so a worker that serves the API carries
neither."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from broker.config import ROOT

LOAD_THE_APP = """
import sys
from broker import create_app
create_app({
    "SQLALCHEMY_DATABASE_URI": "sqlite:///%(db)s", "SECRET_KEY": "memory",
    "BROKER_KEY_DIR": "%(keys)s", "BROKER_ISSUER": "http://localhost:5000",
    "INSTANCE_PATH": "%(instance)s",
})
print(sorted(name for name in ("fpdf", "fontTools", "PIL", "qrcode") if name in sys.modules))
"""


def test_a_started_worker_has_loaded_neither_the_pdf_library_nor_qrcode(tmp_path: Path) -> None:
    script = LOAD_THE_APP % {
        "db": tmp_path / "broker.sqlite3",
        "keys": tmp_path / "keys",
        "instance": tmp_path / "instance",
    }
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert out.stdout.strip().splitlines()[-1] == "[]"
