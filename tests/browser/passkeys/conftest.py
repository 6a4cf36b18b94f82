"""Chromium with the DevTools Protocol's virtual authenticator, for the passkey journeys (a
platform authenticator that keeps discoverable credentials and verifies its user).

WebAuthn needs a secure context and an RP ID that is a domain, so these pages are opened at
http://localhost:<port> (loopback counts as secure) and the app is told that is its origin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.browser.conftest import NARROW_PHONE, new_page


@pytest.fixture
def base_url(app: Flask, live_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(app.config, "BROKER_PASSKEY_RP_ID", "localhost")
    monkeypatch.setitem(app.config, "BROKER_PASSKEY_ORIGIN", live_server)
    return live_server


@pytest.fixture
def page(browser, base_url: str) -> Iterator[object]:  # noqa: ANN001
    """A 320-pixel phone with JavaScript on and a virtual passkey authenticator."""
    page = new_page(browser, base_url, NARROW_PHONE, javascript=True)
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    authenticator = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page.devtools = devtools
    page.authenticator_id = authenticator["authenticatorId"]
    yield page
    page.context.close()
