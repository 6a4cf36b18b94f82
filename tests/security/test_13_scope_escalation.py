"""security.md 13: scope escalation. Requested scope must be allowed for the client and granted
by the claimant; a refresh may only narrow; nothing is ever silently widened."""

from __future__ import annotations

from broker.consent import clients
from broker.extensions import db
from broker.models import DeviceAuthorization, Grant
from tests.conftest import csrf_from, sign_in
from tests.factories import bearer
from tests.oauth.helpers import (
    answer_device,
    authorize_query,
    make_client,
    pkce_pair,
    query_of,
    refresh,
    start_device,
)


def test_asking_for_a_scope_the_client_may_not_have_is_invalid_scope(app, case):
    browser = app.test_client()
    sign_in(browser, case.username)
    _v, challenge = pkce_pair()

    not_allowed = browser.get(
        authorize_query(case.client_id, challenge, scope="mr:read journal:sensitive")
    )
    unknown = browser.get(authorize_query(case.client_id, challenge, scope="mr:read admin"))

    for response in (not_allowed, unknown):
        assert query_of(response.headers["Location"])["error"] == "invalid_scope"
    assert db.session.scalars(db.select(Grant)).all() == []


def test_a_tampered_consent_form_cannot_add_a_scope(app, case):
    browser = app.test_client()
    sign_in(browser, case.username)
    _v, challenge = pkce_pair()
    url = authorize_query(case.client_id, challenge, scope="mr:read")
    page = browser.get(url)

    response = browser.post(
        url,
        data={
            "csrf_token": csrf_from(page.text),
            "decision": "approve",
            "scopes": ["mr:read", "mr:request"],
            "months": "3",
        },
    )

    assert response.status_code == 400
    assert "Choose from the things they asked for" in response.text
    assert db.session.scalars(db.select(Grant)).all() == []


def test_a_refresh_may_narrow_but_never_widen(app, case, tokens):
    api = app.test_client()

    wider = refresh(
        api,
        case.client_id,
        case.secret,
        tokens["refresh_token"],
        scope="mr:read journal:read mr:request",
    )
    narrower = refresh(api, case.client_id, case.secret, tokens["refresh_token"], scope="mr:read")

    assert wider.status_code == 400 and wider.json["error"] == "invalid_scope"
    assert narrower.status_code == 200  # the refused refresh did not burn the token
    assert narrower.json["scope"] == "mr:read"
    narrow_token = bearer(narrower.json["access_token"])
    assert (
        api.get(f"/api/v1/mr-decisions/{case.decision_id}", headers=narrow_token).status_code == 200
    )
    assert api.get("/api/v1/journal", headers=narrow_token).status_code == 403
    renewed = refresh(
        api,
        case.client_id,
        case.secret,
        narrower.json["refresh_token"],
        scope="mr:read journal:read",
    )
    assert renewed.status_code == 200  # the rotated token keeps the scope of the one it replaced


def test_device_requests_cannot_escalate_either(app, case):
    device_client, _ = make_client(
        name="Desk",
        redirect_uris=(),
        auth_method="none",
        scope_names="mr:read",
        grant_types=(clients.DEVICE_GRANT,),
    )
    api = app.test_client()

    too_wide = start_device(api, device_client.id, scope="mr:read journal:read")
    started = start_device(api, device_client.id, scope="mr:read")
    tampered = answer_device(
        app.test_client(),
        case.username,
        started.json["user_code"],
        scopes=["mr:read", "journal:sensitive"],
    )

    assert too_wide.status_code == 400 and too_wide.json["error"] == "invalid_scope"
    assert tampered.status_code == 400
    assert db.session.scalars(db.select(Grant)).all() == []
    assert db.session.scalars(db.select(DeviceAuthorization)).one().status == "pending"
