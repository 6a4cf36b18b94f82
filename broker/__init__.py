"""The consent broker: a Flask application built by create_app()."""

from __future__ import annotations

import inspect
import os
import secrets
import weakref
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, appcontext_pushed, current_app, request
from flask.cli import FlaskGroup
from flask.json.provider import DefaultJSONProvider
from sqlalchemy import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli, extensions, i18n, logs, services
from . import config as broker_config
from .chain import keyring, keys, rollback, signed
from .consent import grant_events
from .db import configure_engine
from .driver import EXTENSION as DRIVER
from .driver import Driver
from .inputs import load_json, unsafe_field
from .messages import access_changes, channels, notify
from .oauth import tokens
from .web import (
    boundary,
    errors,
    forget_request_state,
    language,
    register_blueprints,
    request_log,
    session_store,
    static_files,
)
from .web import metrics as web_metrics
from .web.headers import add_security_headers

ROOT = broker_config.ROOT


class Broker(Flask):
    """Flask, with one hot-path cost cut: `ensure_sync` runs for every hook and view of every
    request, and Flask's own asks `inspect.iscoroutinefunction` each time (a dozen calls an
    API request). A plain function's code says at once that it is not a coroutine."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        code = getattr(getattr(func, "__func__", func), "__code__", None)
        if code is not None and not code.co_flags & inspect.CO_COROUTINE:
            return func
        return super().ensure_sync(func)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment, with `test_config` on top."""
    instance_path = Path((test_config or {}).get("INSTANCE_PATH", broker_config.DEFAULT_INSTANCE))
    app = Broker(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_mapping(broker_config.from_environment(instance_path))
    if test_config:
        app.config.update(test_config)
    refused = broker_config.environment_refusal(app.config) or logs.settings_refusal(
        app.config.get("BROKER_LOG_FORMAT"), app.config.get("BROKER_LOG_LEVEL")
    )
    if refused:
        raise RuntimeError(refused)
    logs.configure(app.config)  # before anything logs (a key generated below, a migration)
    production = broker_config.is_production(app.config)
    if production:
        # security.md 67: production never runs on an http issuer.
        refused = broker_config.issuer_refusal(str(app.config.get("BROKER_ISSUER") or ""))
        if refused:
            raise RuntimeError(refused)
    if not production:
        # Development's own files (instance/: its database, keys and secret). Production is
        # given every one of them and never writes beside the code, which may be read-only.
        instance_path.mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or _secret_key(
        instance_path, production
    )
    if production:
        # security.md 33, 67: a short or guessable key lets anyone who guesses it forge a session.
        refused = broker_config.secret_key_refusal(str(app.config["SECRET_KEY"]))
        metrics_token = app.config.get("BROKER_METRICS_TOKEN")
        if not refused and metrics_token:  # security.md 73: nobody guesses their way in
            refused = broker_config.secret_key_refusal(metrics_token, "BROKER_METRICS_TOKEN")
        if refused:
            raise RuntimeError(refused)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        # A CSRF token is bound to its session's secret, which lives in the session's row and
        # ends with it (security.md 27); no token outlives the absolute session limit either.
        WTF_CSRF_TIME_LIMIT=int(app.config.get("BROKER_SESSION_HOURS") or 12) * 3600,
        # An error's message never quotes the values it was sent with (names, journal text,
        # hashes): such a message may be logged (security.md 74).
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "hide_parameters": True},
        # security.md 30: any body larger is refused (413) before it is read; /verify takes
        # signed files up to UPLOAD_MAX_BYTES (a statement is about 1 KB per audit event).
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    app.config.setdefault("UPLOAD_MAX_BYTES", UPLOAD_MAX_BYTES)
    app.json = SafeJSONProvider(app)
    hops = int(app.config.get("BROKER_PROXY_HOPS", 0))
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    request_log.init_app(app)  # each answer's X-Request-ID and access line (issue 26)

    # Bound by attribute, not imported by name: `broker.db` must stay the module.
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(ROOT / "migrations"))
    session_store.init_app(app)
    web_metrics.init_app(app)  # first: each request's time covers every other hook
    app.before_request(forget_request_state)
    app.before_request(session_store.load)  # before CSRFProtect: an ended session's tokens fail
    app.before_request(_request_boundary)  # before CSRF protection reads the form
    extensions.csrf.init_app(app)
    configure_engine(app, will_write=boundary.request_writes)

    bound = build_services(app.config, production=production)
    app.config["BROKER_ISSUER"] = bound.issuer
    services.bind(app, bound)
    # A grant's changes reach the other side (issue 23): bound here, so grants.py calls nothing
    # above it.
    grant_events.react_with(access_changes.grant_changed)

    register_blueprints(app)
    _close_when_discarded(app)
    errors.register(app)
    cli.register(app)
    i18n.init_app(app, locale_selector=language.select)  # English and Welsh (issue 5)
    static_files.init_app(app)  # hashed names, a year's caching, compression (issue 14)
    app.after_request(_security_headers)
    app.extensions[KEYS_READY] = True
    return app


UPLOAD_MAX_BYTES = 20 * 1024 * 1024  # a statement with ~20 000 events (the /verify page says so)
UPLOADS = frozenset({"proof.verify_file"})


def _request_boundary() -> None:
    """The request-parsing boundary (security.md 30), before CSRF protection reads the form.

    The upload page takes signed files up to UPLOAD_MAX_BYTES; every other body is held to
    MAX_CONTENT_LENGTH (413). No query or form value may hold a NUL or another control
    character (400), so no view, form or OAuth grant ever sees one.
    """
    if request.endpoint in UPLOADS:
        request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"] + 64 * 1024
    name = unsafe_field(request.args.items(multi=True))
    if name is None and request.method == "POST":
        name = unsafe_field(request.form.items(multi=True))
    if name is not None:
        abort(400, description=f"{name} holds a control character")


class SafeJSONProvider(DefaultJSONProvider):
    """Every `request.get_json()` goes through the one JSON boundary (security.md 30)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return load_json(s)


def _secret_key(instance_path: Path, production: bool) -> str:
    """Development only: a random key kept in instance/ so sessions survive a restart."""
    if production:
        raise RuntimeError("SECRET_KEY must be set in production")
    path = instance_path / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def _security_headers(response: Response) -> Response:
    return add_security_headers(
        response, production=broker_config.is_production(current_app.config)
    )


def _close_when_discarded(app: Flask) -> None:
    """An app that is garbage-collected closes its database connections (the engine's pool and
    the guard's driver) instead of leaving them to the driver's own clean-up, which warns. A
    server keeps its one app for its life; tests build many. Not at interpreter exit: a forked
    worker exiting must not close what its parent opened."""
    with app.app_context():
        engines = list(extensions.db.engines.values())
    closer = weakref.finalize(
        app, _close_connections, engines, app.extensions.get(DRIVER), os.getpid()
    )
    closer.atexit = False


def _close_connections(engines: list[Engine], driver: Driver | None, pid: int) -> None:
    if os.getpid() != pid:
        return
    if driver is not None:
        driver.close()
    for engine in engines:
        engine.dispose()


def main() -> None:
    """The `consent-broker` command: Flask's CLI on this app, with the broker's commands."""
    FlaskGroup(create_app=create_app, help="The consent broker's commands.")()


def build_services(config: Mapping[str, Any], *, production: bool) -> services.Services:
    """Build every service from `config`. The signing keys are not read here but on first use
    (broker/chain/keyring.py): the database may not have its tables yet."""
    key_dir = Path(config["BROKER_KEY_DIR"])
    issuer = services.normalise_issuer(str(config["BROKER_ISSUER"]))
    ring = keyring.KeyRing(
        lambda: extensions.db.engine,
        kek=keys.key_encryption_key(
            config.get("BROKER_KEY_ENCRYPTION_KEY"), key_dir, create=not production
        ),
        key_dir=key_dir,
        create=not production,
        refresh=timedelta(seconds=float(config.get("BROKER_KEY_REFRESH_SECONDS", 30))),
    )
    return services.Services(
        issuer=issuer,
        tokens=tokens.TokenService(ring, issuer, audience=f"{issuer}/api/v1"),
        statement_key=signed.load_or_create_statement_key(key_dir, create=not production),
        hasher=services.password_hasher(config),
        sender=(
            notify.load_sender(config["BROKER_OUTBOX_SENDER"])
            if config.get("BROKER_OUTBOX_SENDER")
            else channels.from_config(config)
        ),
        checkpoint_copy=Path(config.get("BROKER_CHECKPOINT_COPY") or key_dir / rollback.COPY_FILE),
    )


KEYS_READY = "broker.keys_ready"


@appcontext_pushed.connect
def _prepare_keys(sender: Flask, **_: Any) -> None:
    """Read the signing keys (making the first) as an app context begins, once per process:
    before the context's unit opens a transaction, so that on SQLite the first key's write
    never waits on a write lock its own request already holds. Not while create_app runs."""
    if sender.extensions.get(KEYS_READY):
        services.of(sender).tokens.ring.prepare()
