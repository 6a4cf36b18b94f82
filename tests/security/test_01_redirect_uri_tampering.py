"""security.md 1: redirect URI tampering. The redirect URI must match a registered one exactly;
https only, with http allowed for loopback. A tampered URI gets a 400 page and no redirect."""

from __future__ import annotations

import pytest

from broker.consent import clients
from broker.extensions import db
from broker.models import AuthorizationCode, Grant
from tests.conftest import sign_in
from tests.oauth.helpers import REDIRECT_URI, authorize_query, pkce_pair

TAMPERED = [
    "https://case.example/callback/",  # trailing slash
    "https://CASE.example/callback",  # case change in the host
    "https://case.example/Callback",  # case change in the path
    "https://case.example/x/../callback",  # dot segments
    "https://case.example/callback?next=https://evil.example",  # extra query
    "http://case.example/callback",  # downgraded scheme
    "https://case.example@evil.example/callback",  # user info: really evil.example
    "https://case.example.evil.example/callback",  # look-alike host
]


@pytest.mark.parametrize("tampered", TAMPERED)
def test_a_tampered_redirect_uri_gets_a_400_page_and_no_redirect(app, case, tampered):
    browser = app.test_client()
    sign_in(browser, case.username)
    _verifier, challenge = pkce_pair()

    response = browser.get(authorize_query(case.client_id, challenge, redirect_uri=tampered))

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "This link to give access does not work" in response.text
    assert 'href="' + tampered not in response.text
    assert db.session.scalars(db.select(Grant)).all() == []
    assert db.session.scalars(db.select(AuthorizationCode)).all() == []


def test_the_registered_uri_exactly_is_accepted(app, case):
    browser = app.test_client()
    sign_in(browser, case.username)
    _verifier, challenge = pkce_pair()

    response = browser.get(authorize_query(case.client_id, challenge, redirect_uri=REDIRECT_URI))

    assert response.status_code == 200
    assert "Northside case system asks to see your journal" in response.text


def test_an_unknown_client_gets_a_400_page_and_no_redirect(app, case):
    browser = app.test_client()
    sign_in(browser, case.username)
    _verifier, challenge = pkce_pair()

    response = browser.get(authorize_query("no-such-client", challenge))

    assert response.status_code == 400
    assert "Location" not in response.headers


@pytest.mark.parametrize(
    "uri",
    [
        "http://case.example/callback",
        "https://user@case.example/callback",
        "https://case.example/callback#fragment",
        "https://*.case.example/callback",
        "ftp://case.example/callback",
        "/callback",
    ],
)
def test_only_https_or_loopback_http_redirect_uris_can_be_registered(uri):
    with pytest.raises(clients.ClientRefused):
        clients.check_redirect_uri(uri)


@pytest.mark.parametrize(
    "uri",
    [
        "https://case.example/callback",
        "http://127.0.0.1:8765/cb",
        "http://[::1]:8765/cb",
        "http://127.0.0.1/cb",
    ],
)
def test_https_and_loopback_http_redirect_uris_are_registered_as_given(uri):
    assert clients.check_redirect_uri(uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "http://localhost:8765/cb",  # a name: DNS or /etc/hosts may point it anywhere
        "http://127.0.0.2:8765/cb",
        "http://127.1:8765/cb",
        "http://[::ffff:127.0.0.1]:8765/cb",
        "http://[0:0:0:0:0:0:0:1]:8765/cb",
        "http://LOCALHOST/cb",
    ],
)
def test_http_redirect_hosts_are_exactly_127_0_0_1_or_ipv6_loopback(uri):
    """RFC 8252 7.3 / RFC 9700 2.1: http only on the loopback literals the README names."""
    with pytest.raises(clients.ClientRefused):
        clients.check_redirect_uri(uri)
