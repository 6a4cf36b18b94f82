"""A case system holding tokens under a grant, with a push endpoint, is pushed an OpenID CAEP
event as a signed Security Event Token when its access changes (issue 23): `session-revoked`
when it ends, `token-claims-change` with the grant's claims as they now stand when its scopes,
dates or status change. Each is signed with the broker's key, checked here with joserfc against
the published JWKS, retried like a decision's SET, and every try is on the claimant's chain."""

from __future__ import annotations

import json
from datetime import date

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from broker import clock
from broker.consent import clients, grants, windows
from broker.extensions import db
from broker.messages import push
from broker.models import PushDelivery, RefreshToken
from tests.factories import bound, chain_events, signer
from tests.watch.helpers import CLIENT_ID, run_sweep


def verified(receiver, client) -> list[tuple[dict, dict]]:  # noqa: ANN001
    """Each SET the case system received, verified against the JWKS: (header, claims)."""
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").json)
    found = []
    for received in receiver.received:
        assert received.content_type == "application/secevent+jwt"
        token = jws.deserialize_compact(received.body, keys, algorithms=["ES256"])
        found.append((token.headers(), json.loads(token.payload)))
    return found


def test_stopping_access_pushes_a_signed_session_revoked(alex_and_priya, receiver, client):
    s = alex_and_priya

    grants.revoke(s.grant, signer=signer(), by=f"claimant:{s.claimant.id}", now=clock.now())
    db.session.commit()
    report = run_sweep(receiver)

    assert report.pushed == 1
    [(header, claims)] = verified(receiver, client)
    assert header == {"typ": "secevent+jwt", "alg": "ES256", "kid": signer().key.kid}
    assert claims["iss"] == bound().issuer and claims["aud"] == CLIENT_ID
    assert claims["sub_id"] == {
        "format": "complex",
        "user": {"format": "opaque", "id": s.claimant.id},
        "session": {"format": "opaque", "id": s.grant.id},
    }
    assert claims["events"] == {
        push.SESSION_REVOKED: {
            "event_timestamp": int(clock.now().timestamp()),
            "initiating_entity": "user",
            "reason_admin": {"en": "The claimant's consent was stopped"},
        }
    }
    [audited] = chain_events(s.claimant.id, "grant.event_pushed")
    assert (audited.actor, audited.outcome, audited.resource) == (
        f"client:{CLIENT_ID}",
        "allowed",
        f"grant:{s.grant.id}",
    )


def test_narrowing_scopes_or_dates_pushes_the_claims_as_they_now_stand(
    alex_and_priya, receiver, client
):
    s = alex_and_priya

    grants.narrow(s.grant, ["mr:read"], signer=signer(), by="claimant", now=clock.now())
    grants.narrow_window(
        s.grant,
        windows.Window(date(2026, 11, 1), date(2026, 11, 30)),
        signer=signer(),
        by="claimant",
        now=clock.now(),
    )
    db.session.commit()
    run_sweep(receiver)

    changes = [claims["events"] for _header, claims in verified(receiver, client)]
    assert [list(events) for events in changes] == [[push.TOKEN_CLAIMS_CHANGE]] * 2
    # Both were due at once, so they may arrive in either order.
    first, second = sorted(
        (events[push.TOKEN_CLAIMS_CHANGE]["claims"] for events in changes),
        key=lambda claims: claims["date_from"] or "",
    )
    assert first["scope"] == "mr:read" and first["date_from"] is None
    assert (second["date_from"], second["date_to"]) == ("2026-11-01", "2026-11-30")
    assert second["grant_status"] == "current"


def test_a_pause_by_dwp_is_a_claims_change_started_by_an_admin(alex_and_priya, receiver, client):
    s = alex_and_priya

    grants.suspend(s.grant, signer=signer(), staff=s.staff, reason="Checking", now=clock.now())
    db.session.commit()
    run_sweep(receiver)

    [(_header, claims)] = verified(receiver, client)
    event = claims["events"][push.TOKEN_CLAIMS_CHANGE]
    assert event["initiating_entity"] == "admin"
    assert event["claims"]["grant_status"] == "suspended"
    assert "Checking" not in json.dumps(claims)  # never the reason staff wrote


def test_a_failed_push_is_retried_and_one_bad_endpoint_stops_nothing_else(
    alex_and_priya, receiver, frozen_clock
):
    s = alex_and_priya
    receiver.answers = [(503, None)]
    grants.revoke(s.grant, signer=signer(), by=f"claimant:{s.claimant.id}", now=clock.now())
    db.session.commit()

    first = run_sweep(receiver)
    frozen_clock.advance(minutes=1, seconds=1)
    second = run_sweep(receiver)

    assert (first.push_failed, second.pushed) == (1, 1)
    assert [e.outcome for e in chain_events(s.claimant.id, "grant.event_pushed")] == [
        "failed:http_503",
        "allowed",
    ]
    db.session.expire_all()
    [delivery] = db.session.scalars(db.select(PushDelivery)).all()
    assert delivery.attempts == 2 and delivery.delivered_at is not None


def test_one_bad_endpoint_never_stops_the_sweep_or_the_other_deliveries(
    alex_and_priya, receiver, client
):
    s = alex_and_priya
    broken, _secret = clients.register(
        "Broken case system",
        organisation=clients.organisation_named("Riverside Law Centre"),
        redirect_uris=["https://broken.example/callback"],
        scope_names="mr:read",
        grant_types=[clients.CODE_GRANT, clients.REFRESH_GRANT],
        auth_method="client_secret_basic",
        now=clock.now(),
        client_id="broken-cases",
        push_endpoint="https://broken.example/events",
    )
    broken.push_endpoint = "https://127.0.0.1:99999/events"  # stored before it was checked
    db.session.add(
        RefreshToken(
            token_hash="1" * 64,
            family_id="broken",
            grant_id=s.grant.id,
            client_id=broken.id,
            scopes="mr:read",
            issued_at=clock.now(),
            expires_at=s.grant.ends_at,
        )
    )
    db.session.commit()
    grants.revoke(s.grant, signer=signer(), by=f"claimant:{s.claimant.id}", now=clock.now())
    db.session.commit()

    report = run_sweep(receiver)

    assert report.ran and (report.pushed, report.push_failed) == (1, 1)
    assert [claims["aud"] for _h, claims in verified(receiver, client)] == [CLIENT_ID]
    outcomes = {e.actor: e.outcome for e in chain_events(s.claimant.id, "grant.event_pushed")}
    assert outcomes == {
        f"client:{CLIENT_ID}": "allowed",
        "client:broken-cases": "failed:bad_endpoint",
    }


def test_a_push_endpoint_with_a_port_out_of_range_is_refused_at_registration():
    with pytest.raises(clients.EndpointRefused, match="port"):
        clients.check_endpoint("https://cases.example:99999/events")
