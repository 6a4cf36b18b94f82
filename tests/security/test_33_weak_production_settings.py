"""security.md 33: weak production settings. In production the broker sends HSTS, refuses a
SECRET_KEY under 32 bytes and refuses to seed demo data (whose passwords and client secret the
README prints); in every environment its database file and keys are readable by their owner
only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask_migrate import upgrade

from broker import create_app
from broker.extensions import db
from broker.models import Account

STRONG_KEY = "Vq3-x9LrT0bZ_m4KwJ7nYpE2sHd8GuCf"  # 32 random characters (security.md 67)


def app_in(tmp_path: Path, **config: object):  # noqa: ANN201
    settings = {
        "INSTANCE_PATH": str(tmp_path),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'broker.sqlite3'}",
        "BROKER_KEY_DIR": str(tmp_path / "keys"),
        "BROKER_ISSUER": "https://broker.example",
        **config,
    }
    return create_app(settings)


def production_app(tmp_path: Path, secret_key: str = STRONG_KEY):  # noqa: ANN201
    app_in(tmp_path, SECRET_KEY=STRONG_KEY)  # development makes the signing key first
    return app_in(tmp_path, BROKER_ENV="production", SECRET_KEY=secret_key)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_production_refuses_a_short_secret_key(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY must be at least 32 bytes"):
        production_app(tmp_path, secret_key="abc")


def test_production_pages_carry_hsts_and_development_pages_do_not(tmp_path):
    production = production_app(tmp_path).test_client().get("/sign-in")
    development = app_in(tmp_path, SECRET_KEY=STRONG_KEY).test_client().get("/sign-in")

    assert production.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in development.headers


def test_seed_demo_is_refused_in_production_and_adds_no_one(tmp_path):
    app = production_app(tmp_path)
    with app.app_context():
        upgrade(revision="heads")

    result = app.test_cli_runner().invoke(args=["seed-demo"])

    assert result.exit_code != 0
    assert "refused in production" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Account)) == 0
        db.engine.dispose()


def test_the_database_file_and_keys_are_readable_by_their_owner_only(tmp_path):
    database = tmp_path / "broker.sqlite3"
    database.touch(mode=0o644)
    database.chmod(0o644)  # as an older version left it: world-readable

    app = app_in(tmp_path)
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()

    assert mode(database) == 0o600
    keys = [p for p in (tmp_path / "keys").iterdir() if p.is_file()]
    assert keys and all(mode(p) == 0o600 for p in keys)
    assert mode(tmp_path / "secret_key") == 0o600


def test_production_writes_nothing_beside_the_code_at_start(tmp_path):
    production_app(tmp_path)  # the keys, made once by development
    unused = tmp_path / "instance-never-made"

    create_app(
        {
            "INSTANCE_PATH": str(unused),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'broker.sqlite3'}",
            "BROKER_KEY_DIR": str(tmp_path / "keys"),
            "BROKER_ISSUER": "https://broker.example",
            "BROKER_ENV": "production",
            "SECRET_KEY": STRONG_KEY,
        }
    )

    assert not unused.exists()
