"""The embedded default is durable: SQLite commits with synchronous=FULL, so an audit event is
on disk before its answer leaves; BROKER_SQLITE_SYNC=normal is the documented opt-out, and a
mistyped value stops the start rather than silently choosing one."""

from __future__ import annotations

import pytest

from broker import create_app
from broker.extensions import db

FULL, NORMAL = 2, 1  # PRAGMA synchronous's answers


def synchronous_of(tmp_path, **config: object) -> int:  # noqa: ANN001
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'broker.sqlite3'}",
            "BROKER_KEY_DIR": str(tmp_path / "keys"),
            **config,
        }
    )
    with app.app_context():
        value = db.session.execute(db.text("PRAGMA synchronous")).scalar()
        db.session.remove()
        db.engine.dispose()
    return value


def test_sqlite_commits_are_durable_by_default(tmp_path):
    assert synchronous_of(tmp_path) == FULL


def test_normal_is_an_opt_out(tmp_path):
    assert synchronous_of(tmp_path, BROKER_SQLITE_SYNC="normal") == NORMAL


def test_an_unknown_mode_stops_the_start(tmp_path):
    with pytest.raises(RuntimeError, match="BROKER_SQLITE_SYNC must be full or normal"):
        synchronous_of(tmp_path, BROKER_SQLITE_SYNC="off")
