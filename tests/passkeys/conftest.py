"""Passkey tests: the app under test's relying party is its issuer, http://broker.test."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import csrf_from

from .authenticator import SoftAuthenticator

ORIGIN = "http://broker.test"
RP_ID = "broker.test"


@pytest.fixture
def device() -> SoftAuthenticator:
    return SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)


def token(client: FlaskClient, path: str = "/account/sign-in") -> str:
    return csrf_from(client.get(path).text)


def add_passkey(
    client: FlaskClient, device: SoftAuthenticator, name: str = "My phone", **how
) -> object:
    """Signed in already: ask for options, answer them with `device`, post the answer."""
    csrf = token(client)
    options = client.post("/account/passkeys/options", headers={"X-CSRFToken": csrf}).get_json()
    credential = device.create(options, **how)
    return client.post(
        "/account/passkeys",
        json={"credential": credential, "name": name},
        headers={"X-CSRFToken": csrf},
    )


def passkey_options(client: FlaskClient) -> tuple[str, dict]:
    csrf = token(client, "/sign-in")
    options = client.post("/sign-in/passkey/options", headers={"X-CSRFToken": csrf}).get_json()
    return csrf, options


def post_assertion(client: FlaskClient, csrf: str, credential: dict, next_url: str = "") -> object:
    return client.post(
        "/sign-in/passkey",
        json={"credential": credential, "next": next_url},
        headers={"X-CSRFToken": csrf},
    )
