"""security.md 15: wrong audience. Tokens name the broker's API as audience; a token minted for
another audience, even signed with our own key, is refused."""

from __future__ import annotations

import jwt

from broker import services
from tests.factories import bearer


def test_a_token_for_another_audience_is_refused(app, case, tokens):
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["aud"] == "http://broker.test/api/v1"
    key = services.of(app).tokens.key
    elsewhere = jwt.encode(
        dict(claims, aud="https://another-service.example"),
        key.private_key,
        algorithm="ES256",
        headers={"typ": "at+jwt", "kid": key.kid},
    )
    no_audience = jwt.encode(
        {k: v for k, v in claims.items() if k != "aud"},
        key.private_key,
        algorithm="ES256",
        headers={"typ": "at+jwt", "kid": key.kid},
    )
    api = app.test_client()

    for token in (elsewhere, no_audience):
        response = api.get(f"/api/v1/mr-decisions/{case.decision_id}", headers=bearer(token))
        assert response.status_code == 401
        assert "Limited capability" not in response.text
    genuine = api.get(
        f"/api/v1/mr-decisions/{case.decision_id}", headers=bearer(tokens["access_token"])
    )
    assert genuine.status_code == 200
