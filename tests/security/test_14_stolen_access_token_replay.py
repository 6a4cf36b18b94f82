"""security.md 14: stolen access token replay. Access tokens live 5 minutes (at most 10), and an
expired one is refused; a genuine one is audited on the claimant's chain with its token ID."""

from __future__ import annotations

import jwt

from tests.factories import bearer, chain_events

from .conftest import audit_trail


def test_an_access_token_is_refused_once_it_has_expired_and_audited(
    app, case, tokens, frozen_clock
):
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
    trail = audit_trail(case.claimant_id)
    assert len(trail) == events_before + 1  # nothing read; the refusal recorded
    assert trail[-1] == ("mr.read", "refused:token_expired", claims["jti"])
    event = chain_events(case.claimant_id)[-1]
    assert event.grant_id == claims["grant_id"]


def test_a_forged_expired_token_is_refused_and_audits_nothing(app, case, tokens, frozen_clock):
    """Expiry is judged only after the signature: an unsigned 'expired' token names nobody."""
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    header, _payload, signature = tokens["access_token"].split(".")
    forged = ".".join([header, jwt.utils.base64url_encode(b'{"x":1}').decode(), signature])
    events_before = len(audit_trail(case.claimant_id))
    frozen_clock.advance(seconds=tokens["expires_in"])

    replayed = app.test_client().get(
        f"/api/v1/mr-decisions/{case.decision_id}", headers=bearer(forged)
    )

    assert replayed.status_code == 401
    assert len(audit_trail(case.claimant_id)) == events_before
    assert claims["jti"] not in [t for *_rest, t in audit_trail(case.claimant_id)[events_before:]]
