"""Attack 67: production started with settings that only look right. A SECRET_KEY of one letter
repeated (or any short pattern, or too few bits by its character spread) lets anyone forge a
session; an http issuer puts every token and cookie on a plain connection; and a BROKER_ENV of
`Production` or `prod` used to run as development (no HSTS, no secure cookies, demo data
allowed). Each is refused at start, naming the setting; development, as `make run` starts it,
is unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker import config
from tests.security.test_33_weak_production_settings import STRONG_KEY, app_in


def production_app(tmp_path: Path, **settings: object):  # noqa: ANN201
    app_in(tmp_path, SECRET_KEY=STRONG_KEY)  # development makes the keys first
    return app_in(tmp_path, **{"BROKER_ENV": "production", "SECRET_KEY": STRONG_KEY, **settings})


@pytest.mark.parametrize(
    "weak",
    [
        "k" * 32,
        "x" * 64,
        "ab" * 16,
        "0123456789abcdef" * 2,
        "password" * 4,
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab1",  # long enough, almost one letter
    ],
)
def test_production_refuses_a_weak_secret_key(tmp_path, weak):
    with pytest.raises(RuntimeError, match="SECRET_KEY must"):
        production_app(tmp_path, SECRET_KEY=weak)


def test_production_accepts_a_random_secret_key(tmp_path):
    import secrets

    for _ in range(20):
        assert config.secret_key_refusal(secrets.token_urlsafe(32)) is None
        assert config.secret_key_refusal(secrets.token_hex(32)) is None
    assert production_app(tmp_path, SECRET_KEY=secrets.token_urlsafe(32))


@pytest.mark.parametrize(
    "issuer", ["http://broker.example", "http://localhost:5000", "broker.example", "https://"]
)
def test_production_refuses_an_issuer_that_is_not_https(tmp_path, issuer):
    with pytest.raises(RuntimeError, match="BROKER_ISSUER must be an https URL"):
        production_app(tmp_path, BROKER_ISSUER=issuer)


@pytest.mark.parametrize("env", ["Production", "prod", "PRODUCTION", "production ", "live", ""])
def test_any_other_environment_name_is_refused_not_run_as_development(tmp_path, env):
    app_in(tmp_path, SECRET_KEY=STRONG_KEY)
    with pytest.raises(RuntimeError, match="BROKER_ENV must be exactly development or production"):
        app_in(tmp_path, BROKER_ENV=env, SECRET_KEY=STRONG_KEY)


def test_development_as_make_run_starts_it_is_unchanged(tmp_path):
    # No SECRET_KEY (one is made in instance/), an http issuer on localhost, the default env.
    app = app_in(tmp_path, BROKER_ISSUER="http://localhost:5000")
    assert app.config["BROKER_ENV"] == "development"
    assert app.test_client().get("/sign-in").status_code == 200
    explicit = app_in(tmp_path, BROKER_ENV="development", BROKER_ISSUER="http://localhost:5000")
    assert explicit.config["SECRET_KEY"] == app.config["SECRET_KEY"]
