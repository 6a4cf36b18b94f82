"""A real OpenID Connect provider (node-oidc-provider 9, tests/oidc/provider.mjs) for the sign-in
tests (issue 25), and an app configured to use it for GOV.UK One Login and for staff.

The provider is started once per test process on a free localhost port, with a configuration
written here: the broker's One Login client (private_key_jwt, with the public half of the key
the app loads), a staff client with a secret and one with private_key_jwt (ES256), the accounts
it vouches for, and its own signing key, so that tests can sign logout tokens (and forgeries) as
the provider would. If node or the package cannot start, the tests fail: they are never skipped.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server

from broker import create_app
from broker.web.oidc_flow import ClientKey
from tests.conftest import FAST_PASSWORD_HASHING, BufferedClient

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "tests" / "oidc" / "provider.mjs"
ONE_LOGIN_CLIENT = "broker-one-login"
STAFF_CLIENT = "broker-staff"
STAFF_SECRET = "staff-client-secret-for-tests"
# A second staff client that authenticates with private_key_jwt (BROKER_STAFF_OIDC_KEY_FILE).
STAFF_JWT_CLIENT = "broker-staff-jwt"
ROLE_CLAIM = "roles"
STAFF_ROLE = "dwp-consent-broker-staff"
PROVIDER_KID = "provider-key-1"
# Who the provider vouches for: the login name typed on its page is the subject. `vot` is the
# vector of trust One Login says it achieved (in the ID token); staff accounts have none.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "alex": {"email": "alex@example.com", "email_verified": True, "vot": "Cl.Cm"},
    "alex-unverified": {"email": "alex@example.com", "email_verified": False, "vot": "Cl.Cm"},
    "alex-low": {"email": "alex@example.com", "email_verified": True, "vot": "Cl"},
    "alex-no-vot": {"email": "alex@example.com", "email_verified": True},
    "stranger": {"email": "stranger@example.net", "email_verified": True, "vot": "Cl.Cm"},
    "jordan": {
        "email": "jordan@dwp.example",
        "email_verified": True,
        "name": "Jordan Lee",
        ROLE_CLAIM: [STAFF_ROLE],
    },
    "casey": {
        "email": "casey@dwp.example",
        "email_verified": True,
        "name": "Casey Shaw",
        ROLE_CLAIM: ["someone-else"],
    },
}


@dataclass
class OidcProvider:
    issuer: str
    broker: str  # the broker's own address (its BROKER_ISSUER), where the callbacks go
    private_jwk: dict[str, Any]
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        """A JWT signed with the provider's own key, as it signs ID and logout tokens."""
        key = jwt.PyJWK(self.private_jwk, algorithm="RS256").key
        return jwt.encode(
            claims, key, algorithm="RS256", headers={"kid": PROVIDER_KID, **(headers or {})}
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def _rsa_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="session")
def broker_port() -> int:
    """The port the broker is served on in the browser tests; its address is the app's issuer
    in every OIDC test, so the redirect URIs registered at the provider are the same."""
    return free_port()


@pytest.fixture(scope="session")
def client_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("oidc") / "one-login-client.pem"
    path.write_bytes(_rsa_pem())
    path.chmod(0o600)
    return path


def _ec_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="session")
def staff_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The staff client's private_key_jwt key: P-256 (ES256), where One Login's is RSA."""
    path = tmp_path_factory.mktemp("oidc") / "staff-client.pem"
    path.write_bytes(_ec_pem())
    path.chmod(0o600)
    return path


@pytest.fixture(scope="session")
def oidc_provider(
    tmp_path_factory: pytest.TempPathFactory,
    broker_port: int,
    client_key_file: Path,
    staff_key_file: Path,
) -> Iterator[OidcProvider]:
    folder = tmp_path_factory.mktemp("provider")
    port = free_port()
    issuer = f"http://localhost:{port}"
    broker = f"http://localhost:{broker_port}"
    provider_key = jwt.algorithms.RSAAlgorithm.to_jwk(
        serialization.load_pem_private_key(_rsa_pem(), password=None), as_dict=True
    )
    provider_key.update(kid=PROVIDER_KID, use="sig", alg="RS256")
    accounts = ACCOUNTS
    config = {
        "issuer": issuer,
        "port": port,
        "role_claim": ROLE_CLAIM,
        "jwks": {"keys": [provider_key]},
        "accounts": accounts,
        "clients": [
            {
                "client_id": ONE_LOGIN_CLIENT,
                "token_endpoint_auth_method": "private_key_jwt",
                "token_endpoint_auth_signing_alg": "RS256",
                "jwks": {"keys": [ClientKey.load(str(client_key_file)).public]},
                "redirect_uris": [f"{broker}/one-login/callback"],
                "post_logout_redirect_uris": [f"{broker}/signed-out"],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "id_token_signed_response_alg": "RS256",
                "backchannel_logout_uri": f"{broker}/oidc/backchannel-logout",
                "backchannel_logout_session_required": True,
            },
            {
                "client_id": STAFF_CLIENT,
                "client_secret": STAFF_SECRET,
                "token_endpoint_auth_method": "client_secret_post",
                "redirect_uris": [f"{broker}/staff-sign-in/callback"],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "id_token_signed_response_alg": "RS256",
            },
            {
                "client_id": STAFF_JWT_CLIENT,
                "token_endpoint_auth_method": "private_key_jwt",
                "token_endpoint_auth_signing_alg": "ES256",
                "jwks": {"keys": [ClientKey.load(str(staff_key_file)).public]},
                "redirect_uris": [f"{broker}/staff-sign-in/callback"],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "id_token_signed_response_alg": "RS256",
            },
        ],
    }
    provider = OidcProvider(issuer, broker, provider_key, accounts)
    process = _start(folder, config)
    try:
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start(folder: Path, config: dict[str, Any]) -> subprocess.Popen[bytes]:
    """Start node on the configuration, and wait until discovery answers; fail, never skip."""
    path = folder / "provider.json"
    path.write_text(json.dumps(config))
    log = (folder / "provider.log").open("wb")
    try:
        process = subprocess.Popen(  # noqa: S603
            ["node", str(SCRIPT), str(path)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
    except OSError as error:
        pytest.fail(f"cannot start node for the OIDC provider: {error}")
    finally:
        log.close()
    deadline = time.monotonic() + 30
    url = f"{config['issuer']}/.well-known/openid-configuration"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the OIDC provider stopped: {(folder / 'provider.log').read_text()}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.kill()
    process.wait()
    pytest.fail(f"the OIDC provider never answered: {(folder / 'provider.log').read_text()}")


def oidc_settings(provider: OidcProvider, key_file: Path) -> dict[str, Any]:
    return {
        "BROKER_ONELOGIN_ISSUER": provider.issuer,
        "BROKER_ONELOGIN_CLIENT_ID": ONE_LOGIN_CLIENT,
        "BROKER_ONELOGIN_KEY_FILE": str(key_file),
        "BROKER_ONELOGIN_VTR": '["Cl.Cm"]',
        "BROKER_STAFF_OIDC_ISSUER": provider.issuer,
        "BROKER_STAFF_OIDC_CLIENT_ID": STAFF_CLIENT,
        "BROKER_STAFF_OIDC_CLIENT_SECRET": STAFF_SECRET,
        "BROKER_STAFF_OIDC_ROLE_CLAIM": ROLE_CLAIM,
        "BROKER_STAFF_OIDC_ROLE_VALUE": STAFF_ROLE,
    }


def build_app(app: Flask, provider: OidcProvider, key_file: Path, **extra: Any) -> Flask:
    """An app on the same database as `app`, signing in through the provider."""
    instance = Path(app.instance_path)
    built = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "test-secret-key",
            "BROKER_KEY_DIR": app.config["BROKER_KEY_DIR"],
            "BROKER_ISSUER": provider.broker,
            "BROKER_SQLITE_SYNC": "normal",
            **FAST_PASSWORD_HASHING,
            **oidc_settings(provider, key_file),
            **extra,
        }
    )
    built.test_client_class = BufferedClient
    return built


@pytest.fixture(scope="session")
def oidc_app(app: Flask, oidc_provider: OidcProvider, client_key_file: Path) -> Iterator[Flask]:
    built = build_app(app, oidc_provider, client_key_file)
    yield built
    with built.app_context():
        from broker.extensions import db

        db.engine.dispose()


@pytest.fixture
def oidc_client(oidc_app: Flask) -> FlaskClient:
    return oidc_app.test_client()


@pytest.fixture
def oidc_live_server(oidc_app: Flask, broker_port: int) -> Iterator[str]:
    """The OIDC app served on http://localhost:<broker_port>, its issuer, for the browser."""
    server: BaseWSGIServer = make_server("localhost", broker_port, oidc_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{broker_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


def at_provider(
    provider: OidcProvider,
    authorize_url: str,
    login: str,
    *,
    edit=None,  # noqa: ANN001
) -> str:
    """Go through the provider's own pages (its dev login form) as a browser would, from the
    authorization URL to the redirect back to the broker; that redirect's address."""
    browser = requests.Session()
    url = edit(authorize_url) if edit else authorize_url
    answer = browser.get(url, allow_redirects=False, timeout=10)
    for _ in range(12):
        if answer.is_redirect:
            url = urljoin(answer.url, answer.headers["Location"])
            if url.startswith(provider.broker):
                return url
            answer = browser.get(url, allow_redirects=False, timeout=10)
            continue
        assert answer.status_code == 200, answer.text
        action = urljoin(answer.url, FORM_ACTION.search(answer.text).group(1))
        prompt = "login" if 'name="login"' in answer.text else "consent"
        form = (
            {"prompt": prompt, "login": login, "password": "any"}
            if prompt == "login"
            else {"prompt": prompt}
        )
        answer = browser.post(action, data=form, allow_redirects=False, timeout=10)
    raise AssertionError("the provider never sent the browser back")


def local(url: str) -> str:
    """The path and query of an address on the broker, for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def one_login(
    client: FlaskClient,
    provider: OidcProvider,
    login: str,
    *,
    edit=None,  # noqa: ANN001
    next_url: str | None = None,
):  # noqa: ANN201
    """Sign in through One Login with the test client (from a sign-in page that had `next_url`):
    the callback's answer."""
    start = client.get("/one-login/start", query_string={"next": next_url} if next_url else None)
    assert start.status_code == 302, start.text
    back = at_provider(provider, start.headers["Location"], login, edit=edit)
    return client.get(local(back))


def staff_sign_in(client: FlaskClient, provider: OidcProvider, login: str):  # noqa: ANN201
    """Sign in through the department's provider with the test client: the callback's answer."""
    start = client.get("/staff-sign-in/start")
    assert start.status_code == 302, start.text
    back = at_provider(provider, start.headers["Location"], login)
    return client.get(local(back))
