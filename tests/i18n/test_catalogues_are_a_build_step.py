"""Compiled catalogues are a build step (`make install`): starting the app writes nothing into the
source tree, which may be read-only where it runs, and says so when a catalogue is stale."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from broker import create_app
from broker.config import ROOT
from tests.conftest import FAST_PASSWORD_HASHING


def test_a_stale_catalogue_is_reported_not_compiled_at_start_up(tmp_path: Path, caplog) -> None:  # noqa: ANN001
    translations = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", translations)
    po = translations / "cy" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    mo.unlink(missing_ok=True)
    po.touch()

    with caplog.at_level(logging.WARNING, logger="broker.i18n"):
        create_app(
            {
                "TESTING": True,
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'broker.sqlite3'}",
                "SECRET_KEY": "test-secret-key",
                "BROKER_KEY_DIR": str(tmp_path / "keys"),
                "BABEL_TRANSLATION_DIRECTORIES": str(translations),
                **FAST_PASSWORD_HASHING,
            }
        )

    assert not mo.exists()
    assert "make install" in caplog.text
