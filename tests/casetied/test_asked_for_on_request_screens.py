"""An adviser's system asks for access until the claimant's reconsideration is decided, with
RFC 9396 `authorization_details` `until_event: "mr_decided"`, by the code flow or the device
flow; the claimant sees it on the consent screen; any other event is refused."""

from __future__ import annotations

import pytest

from broker.consent import clients, grants
from broker.extensions import db
from broker.models import DeviceAuthorization, Grant
from tests.conftest import sign_in
from tests.factories import make_claimant
from tests.oauth.helpers import (
    CODE_AND_REFRESH,
    answer_device,
    approve_code,
    authorize_query,
    details,
    make_client,
    pkce_pair,
    query_of,
    redeem,
    start_device,
)


@pytest.fixture
def case(ctx):  # noqa: ANN001, ANN201
    claimant = make_claimant("Alex Morgan")
    system, secret = make_client()
    return claimant, system, secret


def grant_of(claimant_id: str) -> Grant:
    db.session.expire_all()
    return db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant_id)).one()


def test_the_claimant_sees_it_and_approving_ties_the_consent_to_the_case(app, case):
    claimant, system, secret = case
    verifier, challenge = pkce_pair()
    url = authorize_query(
        system.id, challenge, authorization_details=details(until_event="mr_decided")
    )
    browser = app.test_client()
    sign_in(browser, claimant.account.username)
    page = browser.get(url)
    assert "Until your reconsideration is decided." in page.text
    assert "It will end 31 days after the decision." in page.text

    location = approve_code(app.test_client(), claimant.account.username, url)
    token = redeem(app.test_client(), system.id, secret, query_of(location)["code"], verifier)

    assert token.status_code == 200, token.text
    assert token.json["authorization_details"][0]["until_event"] == "mr_decided"
    grant = grant_of(claimant.id)
    assert grant.until_event == grants.MR_DECIDED
    assert grant.ends_at == grants.add_months(grant.starts_at, 3)  # still its own latest end


def test_asking_again_without_the_event_keeps_the_tie(app, case):
    claimant, system, _secret = case
    _v, challenge = pkce_pair()
    tied = authorize_query(
        system.id, challenge, authorization_details=details(until_event="mr_decided")
    )
    approve_code(app.test_client(), claimant.account.username, tied)
    again = authorize_query(system.id, challenge, scope="mr:read journal:read mr:request")
    approve_code(app.test_client(), claimant.account.username, again)

    grant = grant_of(claimant.id)
    assert "mr:request" in grant.scope_names
    assert grant.until_event == grants.MR_DECIDED


@pytest.mark.parametrize("event", ["appeal_heard", "", 7, ["mr_decided"]])
def test_an_event_we_do_not_know_is_invalid_authorization_details(app, case, event):
    claimant, system, _secret = case
    browser = app.test_client()
    sign_in(browser, claimant.account.username)
    _v, challenge = pkce_pair()

    response = browser.get(
        authorize_query(system.id, challenge, authorization_details=details(until_event=event))
    )

    assert response.status_code in (302, 303)
    assert "error=invalid_authorization_details" in response.location
    assert db.session.scalars(db.select(Grant)).all() == []


def test_the_device_flow_carries_it_and_refuses_unknown_events(app, ctx, client):
    claimant = make_claimant("Alex Morgan")
    desk, secret = make_client(
        name="Desk", redirect_uris=(), grant_types=(clients.DEVICE_GRANT, *CODE_AND_REFRESH[1:])
    )

    refused = start_device(client, desk.id, secret, until_event="appeal_heard")
    assert refused.status_code == 400
    assert refused.json["error"] == "invalid_authorization_details"
    assert db.session.scalars(db.select(DeviceAuthorization)).all() == []

    started = start_device(client, desk.id, secret, until_event="mr_decided")
    assert started.status_code == 200, started.text
    answered = answer_device(
        app.test_client(), claimant.account.username, started.json["user_code"]
    )
    assert answered.status_code == 303, answered.text
    assert grant_of(claimant.id).until_event == grants.MR_DECIDED
