"""security.md 14: stolen access token replay. Access tokens live 5 minutes (at most 10), and an
expired one is refused."""

from __future__ import annotations

import jwt

from tests.factories import bearer

from .conftest import audit_trail


def test_an_access_token_is_refused_once_it_has_expired(app, case, tokens, frozen_clock):
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] <= 600
    api = app.test_client()
    fresh = api.get(
        f"/api/v1/mr-decisions/{case.decision_id}", headers=bearer(tokens["access_token"])
    )
    events_before = len(audit_trail(case.claimant_id))

    frozen_clock.advance(seconds=tokens["expires_in"])
    replayed = api.get(
        f"/api/v1/mr-decisions/{case.decision_id}", headers=bearer(tokens["access_token"])
    )

    assert fresh.status_code == 200
    assert replayed.status_code == 401
    assert replayed.json["error"] == "invalid_token"
    assert "Limited capability" not in replayed.text
    assert len(audit_trail(case.claimant_id)) == events_before  # nothing read, nothing recorded
