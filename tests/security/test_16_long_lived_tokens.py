"""security.md 16: long-lived tokens. expires_in is at most 600 seconds for access tokens from
every grant type (Authlib's own default for code-grant tokens is ten days)."""

from __future__ import annotations

import jwt

from broker.consent import clients
from tests.oauth.helpers import answer_device, make_client, poll_device, refresh, start_device


def assert_short_lived(answer: dict) -> None:
    assert 0 < answer["expires_in"] <= 600
    claims = jwt.decode(answer["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] <= 600


def test_every_grant_type_issues_access_tokens_of_at_most_ten_minutes(app, case, tokens):
    api = app.test_client()
    refreshed = refresh(api, case.client_id, case.secret, tokens["refresh_token"]).json
    device_client, _ = make_client(
        name="Desk", redirect_uris=(), auth_method="none", grant_types=(clients.DEVICE_GRANT,)
    )
    started = start_device(api, device_client.id).json
    answer_device(app.test_client(), case.username, started["user_code"])
    from_device = poll_device(api, device_client.id, None, started["device_code"]).json

    for answer in (tokens, refreshed, from_device):  # authorization_code, refresh_token, device
        assert_short_lived(answer)
