"""The OAuth error codes the RFCs ask for: invalid_grant for a device code that is unknown or
another client's (RFC 6749 5.2), a bare challenge when no token was sent (RFC 6750 3.1), the
needed scope on insufficient_scope (RFC 6750 3), and one client authentication method per
request (RFC 6749 2.3)."""

from __future__ import annotations

import pytest

from broker.consent import clients
from broker.extensions import db
from broker.models import AccessToken, DeviceAuthorization
from tests.factories import bearer, issue_token, make_adviser, make_claimant, make_grant
from tests.oauth.helpers import (
    CODE_AND_REFRESH,
    approve_code,
    authorize_query,
    basic,
    make_client,
    pkce_pair,
    poll_device,
    query_of,
    start_device,
)
from tests.security.conftest import audit_trail

DEVICE_AND_REFRESH = (clients.DEVICE_GRANT, *CODE_AND_REFRESH[1:])


@pytest.fixture
def desks(ctx):  # noqa: ANN001, ANN201
    """Two device clients; the first has opened a device request."""
    first, first_secret = make_client(
        name="Desk A", redirect_uris=(), grant_types=DEVICE_AND_REFRESH
    )
    second, second_secret = make_client(
        name="Desk B", redirect_uris=(), grant_types=DEVICE_AND_REFRESH
    )
    started = start_device(ctx.test_client(), first.id, first_secret, scope="mr:read")
    assert started.status_code == 200
    return first, first_secret, second, second_secret, started.json["device_code"]


def test_an_unknown_device_code_is_invalid_grant(client, desks):
    first, first_secret, *_rest = desks

    response = poll_device(client, first.id, first_secret, "no-such-device-code")

    assert response.status_code == 400
    assert response.json["error"] == "invalid_grant"


def test_another_clients_device_code_is_invalid_grant_and_leaves_it_alone(client, desks):
    first, first_secret, second, second_secret, device_code = desks

    stolen = poll_device(client, second.id, second_secret, device_code)
    own = poll_device(client, first.id, first_secret, device_code)

    assert stolen.status_code == 400
    assert stolen.json["error"] == "invalid_grant"
    assert (
        stolen.json["error_description"]
        == poll_device(client, second.id, second_secret, "no-such-device-code").json[
            "error_description"
        ]
    )  # the same answer whether the code exists or not
    assert own.json["error"] == "authorization_pending"
    row = db.session.scalars(db.select(DeviceAuthorization)).one()
    assert row.client_id == first.id


@pytest.fixture
def reader(ctx):  # noqa: ANN001, ANN201
    claimant = make_claimant()
    grant = make_grant(claimant, make_adviser(), "mr:read")
    token, jti = issue_token(grant)
    return claimant, token, jti


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}],
    ids=["none", "basic", "empty-bearer"],
)
def test_a_request_without_a_bearer_token_gets_a_challenge_with_no_error_code(client, headers):
    response = client.get("/api/v1/mr-decisions", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="consent-broker"'


def test_a_bad_token_still_gets_its_error_code(client, reader):
    response = client.get("/api/v1/mr-decisions", headers=bearer("not-a-token"))

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_insufficient_scope_names_the_scope_needed(client, reader):
    claimant, token, jti = reader

    response = client.post(
        "/api/v1/mr-requests",
        json={"decision_about": "x", "reasons": "y"},
        headers=bearer(token),
    )

    assert response.status_code == 403
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="mr:request"' in challenge
    assert audit_trail(claimant.id)[-1] == ("mr.request", "refused:scope", jti)


@pytest.fixture
def code_for_a(app, ctx):  # noqa: ANN001, ANN201
    """Client A's fresh authorization code (with its verifier), and client B."""
    claimant = make_claimant("Alex Morgan")
    a, a_secret = make_client(name="Case system A")
    b, b_secret = make_client(name="Case system B")
    verifier, challenge = pkce_pair()
    location = approve_code(
        app.test_client(), claimant.account.username, authorize_query(a.id, challenge)
    )
    return a, a_secret, b, b_secret, query_of(location)["code"], verifier


def _redeem(client, code: str, verifier: str, headers: dict, **form: str):  # noqa: ANN001, ANN202
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": "https://case.example/callback",
        **form,
    }
    return client.post("/oauth/token", data=data, headers=headers)


def test_basic_and_client_secret_post_together_are_invalid_request(client, code_for_a):
    a, a_secret, _b, _b_secret, code, verifier = code_for_a

    response = _redeem(
        client, code, verifier, basic(a.id, a_secret), client_id=a.id, client_secret=a_secret
    )

    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"
    assert db.session.scalars(db.select(AccessToken)).all() == []
    assert _redeem(client, code, verifier, basic(a.id, a_secret)).status_code == 200


def test_basic_as_one_client_with_another_client_id_in_the_body_is_invalid_client(
    client, code_for_a
):
    a, a_secret, b, _b_secret, code, verifier = code_for_a

    response = _redeem(client, code, verifier, basic(a.id, a_secret), client_id=b.id)

    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"
    assert db.session.scalars(db.select(AccessToken)).all() == []


def test_basic_with_its_own_client_id_in_the_body_is_fine(client, code_for_a):
    a, a_secret, _b, _b_secret, code, verifier = code_for_a

    response = _redeem(client, code, verifier, basic(a.id, a_secret), client_id=a.id)

    assert response.status_code == 200
