"""An authorization server whose issuer is its own address, for clients that discover it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from broker import create_app
from broker.extensions import db
from tests.conftest import FAST_PASSWORD_HASHING


@pytest.fixture(scope="session")
def issuer_server(app: Flask) -> Iterator[str]:
    """The broker over real HTTP on a loopback port, built with BROKER_ISSUER set to that very
    address: the metadata, the `iss` parameter and the tokens' `iss` all name the URL a client
    uses (RFC 8414 3.3). Same database and signing key as the `app` fixture."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://localhost:{server.server_port}"
    served = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": app.instance_path,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "BROKER_KEY_DIR": app.config["BROKER_KEY_DIR"],
            "BROKER_ISSUER": base,
            **FAST_PASSWORD_HASHING,
        }
    )
    server.app = served
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        with served.app_context():
            db.engine.dispose()
