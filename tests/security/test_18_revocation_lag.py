"""security.md 18: revocation lag. The moment a claimant revokes, the next API call is refused
(and audited), introspection says inactive and refresh fails: tokens are checked against their
grant in the database on every request, not trusted until they expire."""

from __future__ import annotations

from broker.extensions import db
from broker.models import Grant
from tests.conftest import csrf_from, sign_in
from tests.factories import bearer
from tests.oauth.helpers import basic, refresh

from .conftest import audit_trail


def introspect(api, case, token: str) -> dict:  # noqa: ANN001
    return api.post(
        "/oauth/introspect", data={"token": token}, headers=basic(case.client_id, case.secret)
    ).json


def test_after_the_claimant_revokes_every_token_stops_at_once(app, case, tokens):
    api = app.test_client()
    access, refresh_token = tokens["access_token"], tokens["refresh_token"]
    live = introspect(api, case, access)
    grant = db.session.scalars(db.select(Grant)).one()
    assert live["active"] is True
    assert live["sub"] == case.claimant_id
    assert live["scope"] == "mr:read journal:read"
    assert live["grant_ends_at"] == int(grant.ends_at.timestamp())
    assert introspect(api, case, refresh_token)["active"] is True

    phone = app.test_client()
    sign_in(phone, case.username)
    confirm = phone.get(f"/access/{grant.id}/revoke")
    revoked = phone.post(f"/access/{grant.id}/revoke", data={"csrf_token": csrf_from(confirm.text)})
    call = api.get(f"/api/v1/mr-decisions/{case.decision_id}", headers=bearer(access))

    assert revoked.status_code == 303
    assert call.status_code == 401 and "Limited capability" not in call.text
    assert introspect(api, case, access) == {"active": False}
    assert introspect(api, case, refresh_token) == {"active": False}
    renewed = refresh(api, case.client_id, case.secret, refresh_token)
    assert renewed.status_code == 400 and renewed.json["error"] == "invalid_grant"
    jti = live["jti"]
    assert audit_trail(case.claimant_id)[-1] == ("mr.read", "refused:grant_inactive", jti)
