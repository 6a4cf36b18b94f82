"""security.md 8: clickjacking. Every HTML page forbids framing: CSP frame-ancestors 'none' and
X-Frame-Options DENY, the consent and verification pages above all."""

from __future__ import annotations

import re

from broker import clock
from broker.consent import clients
from broker.extensions import db
from broker.people import accounts
from tests.conftest import sign_in
from tests.factories import PASSWORD, bound, make_adviser
from tests.oauth.helpers import authorize_query, make_client, pkce_pair, start_device


def assert_unframeable(response) -> None:  # noqa: ANN001
    assert response.mimetype == "text/html", response.request.path
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_every_oauth_page_refuses_to_be_framed(app, case):
    device_client, _ = make_client(
        name="Desk", redirect_uris=(), auth_method="none", grant_types=(clients.DEVICE_GRANT,)
    )
    user_code = start_device(app.test_client(), device_client.id).json["user_code"]
    adviser = make_adviser()
    admin = accounts.create_account(
        "robin@broker.example", PASSWORD, "admin", "Robin", clock.now(), hasher=bound().hasher
    )
    db.session.commit()
    _verifier, challenge = pkce_pair()
    anonymous, claimant, adviser_browser, admin_browser = (app.test_client() for _ in range(4))
    sign_in(claimant, case.username)
    sign_in(adviser_browser, adviser.account.username)
    sign_in(admin_browser, admin.username)
    ask_page = adviser_browser.get("/adviser/ask")
    waiting = adviser_browser.post(
        "/adviser/ask",
        data={
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', ask_page.text).group(1),
            "scopes": ["mr:read"],
            "months": "1",
            "purpose": "Appeal",
            "relationship": "Adviser",
        },
    )

    pages = [
        anonymous.get("/sign-in"),
        claimant.get(authorize_query(case.client_id, challenge)),  # the consent screen
        claimant.get(authorize_query("no-such-client", challenge)),  # its error page
        claimant.get("/device"),
        claimant.get(f"/device?user_code={user_code}"),  # the verification consent screen
        claimant.get("/device?user_code=BBBB-BBBB"),  # a wrong code
        adviser_browser.get("/adviser/ask"),
        adviser_browser.get(waiting.headers["Location"]),
        admin_browser.get("/admin/"),
        admin_browser.get("/admin/clients/new"),
    ]
    for page in pages:
        assert_unframeable(page)
