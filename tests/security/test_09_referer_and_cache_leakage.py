"""security.md 9: referer and cache leakage. No-referrer everywhere; no-store on token responses
and on pages with personal data; no third-party assets in any page."""

from __future__ import annotations

import re

from broker.consent import clients
from tests.conftest import sign_in
from tests.oauth.helpers import (
    CODE_AND_REFRESH,
    answer_device,
    approve_code,
    authorize_query,
    make_client,
    pkce_pair,
    poll_device,
    query_of,
    redeem,
    refresh,
    start_device,
)

ATTRIBUTE_URL = re.compile(r'(?:src|href|action)="([^"]*)"')


def assert_no_third_party_urls(html: str) -> None:
    for url in ATTRIBUTE_URL.findall(html):
        assert not re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.I), url  # relative URLs only


def test_token_responses_are_never_stored_whatever_the_grant(app, case):
    api = app.test_client()
    verifier, challenge = pkce_pair()
    location = approve_code(
        app.test_client(), case.username, authorize_query(case.client_id, challenge)
    )
    code_answer = redeem(api, case.client_id, case.secret, query_of(location)["code"], verifier)
    refresh_answer = refresh(api, case.client_id, case.secret, code_answer.json["refresh_token"])
    device_client, _ = make_client(
        name="Desk",
        redirect_uris=(),
        auth_method="none",
        grant_types=(clients.DEVICE_GRANT, *CODE_AND_REFRESH[1:]),
    )
    started = start_device(api, device_client.id)
    answer_device(app.test_client(), case.username, started.json["user_code"])
    device_answer = poll_device(api, device_client.id, None, started.json["device_code"])
    refused = redeem(api, case.client_id, case.secret, "not-a-code", verifier)

    for response in (code_answer, refresh_answer, started, device_answer, refused):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Pragma"] == "no-cache"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert code_answer.status_code == refresh_answer.status_code == device_answer.status_code == 200


def test_consent_pages_are_not_stored_send_no_referrer_and_load_nothing_third_party(app, case):
    browser = app.test_client()
    sign_in(browser, case.username)
    _verifier, challenge = pkce_pair()

    pages = [
        browser.get(authorize_query(case.client_id, challenge)),
        browser.get("/device"),
        browser.get("/access"),
    ]

    for page in pages:
        assert page.status_code == 200
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        assert_no_third_party_urls(page.text)


def test_the_adviser_qr_page_loads_only_its_own_assets(app, ctx):
    from tests.conftest import csrf_from
    from tests.factories import make_adviser

    adviser = make_adviser()
    browser = app.test_client()
    sign_in(browser, adviser.account.username)
    form = browser.get("/adviser/ask")
    waiting = browser.post(
        "/adviser/ask",
        data={
            "csrf_token": csrf_from(form.text),
            "scopes": ["mr:read"],
            "months": "1",
            "purpose": "Appeal",
            "relationship": "Adviser",
        },
    ).headers["Location"]

    page = browser.get(waiting)

    assert page.headers["Cache-Control"] == "no-store"
    assert_no_third_party_urls(page.text)
    assert "<script>" not in page.text and " style=" not in page.text  # the CSP forbids inline
