"""Brokers on a database of their own (a fresh SQLite file, built by the migrations), for the key
ring's tests: a rotation there changes no key the session's app signs with. Several apps on one
file stand for workers or hosts sharing one database."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade

from broker import create_app
from broker.extensions import db
from tests.conftest import FAST_PASSWORD_HASHING, BufferedClient

# Every worker and host is given the same key-encryption key (BROKER_KEY_ENCRYPTION_KEY).
KEK = base64.urlsafe_b64encode(bytes(range(32))).decode()
ISSUER = "http://broker.test"


def settings(tmp_path: Path, name: str, **config: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / f"{name}-instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'keys.sqlite3'}",
        "SECRET_KEY": "test-secret-key",
        "BROKER_KEY_DIR": str(tmp_path / "keys"),
        "BROKER_ISSUER": ISSUER,
        "BROKER_KEY_ENCRYPTION_KEY": KEK,
        "BROKER_SQLITE_SYNC": "normal",
        **FAST_PASSWORD_HASHING,
        **config,
    }


def migrate(tmp_path: Path) -> None:
    """Build the shared database by the migrations (before any broker reads its keys)."""
    app = create_app(settings(tmp_path, "migrate"))
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()


@contextmanager
def broker(tmp_path: Path, name: str = "a", **config: Any) -> Iterator[Flask]:
    """A broker on the shared database, its app context pushed; disposed of after."""
    app = create_app(settings(tmp_path, name, **config))
    app.test_client_class = BufferedClient
    try:
        with app.app_context():
            yield app
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()


def kids(keys: dict[str, Any]) -> list[str]:
    return [key["kid"] for key in keys["keys"]]
