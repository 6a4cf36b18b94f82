"""security.md 19: RFC 7009 misuse. token_type_hint is only a hint; revoking a refresh token
revokes its access tokens; a client cannot revoke another client's token."""

from __future__ import annotations

import pytest

from tests.factories import bearer
from tests.oauth.helpers import basic, make_client, refresh

from .conftest import audit_trail


def revoke(api, client_id: str, secret: str | None, token: str, hint: str | None = None):  # noqa: ANN001, ANN201
    form = {"token": token} if hint is None else {"token": token, "token_type_hint": hint}
    return api.post("/oauth/revoke", data=form, headers=basic(client_id, secret))


def read(api, case, access: str) -> int:  # noqa: ANN001
    return api.get(f"/api/v1/mr-decisions/{case.decision_id}", headers=bearer(access)).status_code


@pytest.mark.parametrize("hint", ["refresh_token", "not-a-real-hint", None])
def test_an_access_token_is_revoked_whatever_the_hint_says(app, case, tokens, hint):
    api = app.test_client()

    response = revoke(api, case.client_id, case.secret, tokens["access_token"], hint)

    assert response.status_code == 200
    assert read(api, case, tokens["access_token"]) == 401
    jti = api.post(
        "/oauth/introspect",
        data={"token": tokens["refresh_token"]},
        headers=basic(case.client_id, case.secret),
    ).json
    assert jti["active"] is True  # only the access token was revoked
    assert ("token.revoke", "done") in [(a, o) for a, o, _t in audit_trail(case.claimant_id)]


def test_revoking_a_refresh_token_with_the_wrong_hint_takes_its_access_tokens_too(
    app, case, tokens
):
    api = app.test_client()

    response = revoke(api, case.client_id, case.secret, tokens["refresh_token"], "access_token")

    assert response.status_code == 200
    assert read(api, case, tokens["access_token"]) == 401
    again = refresh(api, case.client_id, case.secret, tokens["refresh_token"])
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"


def test_another_client_cannot_revoke_the_token(app, case, tokens):
    other, other_secret = make_client(name="Other system")
    api = app.test_client()
    events_before = audit_trail(case.claimant_id)

    for token in (tokens["access_token"], tokens["refresh_token"]):
        response = revoke(api, other.id, other_secret, token)
        assert response.status_code == 400
        assert response.json["error"] == "invalid_grant"

    assert read(api, case, tokens["access_token"]) == 200
    assert refresh(api, case.client_id, case.secret, tokens["refresh_token"]).status_code == 200
    assert [e for e in audit_trail(case.claimant_id)[: len(events_before)]] == events_before
    assert "token.revoke" not in [a for a, _o, _t in audit_trail(case.claimant_id)]


def test_revoking_an_unknown_token_is_a_harmless_200(app, case):
    response = revoke(app.test_client(), case.client_id, case.secret, "never-issued")

    assert response.status_code == 200
