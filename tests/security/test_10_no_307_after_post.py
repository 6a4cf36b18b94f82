"""security.md 10: 307 forwarding credentials. Every redirect after a POST is a 303 (or 302), so
the browser never re-sends the form (with its password or consent) to the next address."""

from __future__ import annotations

from broker.consent import clients
from tests.conftest import csrf_from, sign_in
from tests.factories import PASSWORD, make_adviser
from tests.oauth.helpers import authorize_query, consent, make_client, pkce_pair, start_device


def test_redirects_after_every_oauth_post_are_303(app, case):
    browser = app.test_client()
    page = browser.get("/sign-in")
    signed_in = browser.post(
        "/sign-in",
        data={"username": case.username, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    _v, challenge = pkce_pair()
    approved = consent(browser, authorize_query(case.client_id, challenge))
    _v, challenge = pkce_pair()
    refused = consent(browser, authorize_query(case.client_id, challenge), decision="refuse")
    device_client, _ = make_client(
        name="Desk", redirect_uris=(), auth_method="none", grant_types=(clients.DEVICE_GRANT,)
    )
    user_code = start_device(app.test_client(), device_client.id).json["user_code"]
    device_answer = consent(browser, f"/device?user_code={user_code}")
    adviser_browser = app.test_client()
    sign_in(adviser_browser, make_adviser().account.username)
    form = adviser_browser.get("/adviser/ask")
    asked = adviser_browser.post(
        "/adviser/ask",
        data={
            "csrf_token": csrf_from(form.text),
            "scopes": ["mr:read"],
            "months": "1",
            "purpose": "Appeal",
            "relationship": "Adviser",
        },
    )

    for response in (signed_in, approved, refused, device_answer, asked):
        assert response.status_code == 303, response.request.path
    assert approved.headers["Location"].startswith("https://case.example/callback?")
    assert refused.headers["Location"].startswith("https://case.example/callback?")
