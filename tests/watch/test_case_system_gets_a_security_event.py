"""A case system whose token carries `mr:read` subscribes to a client's decisions; when one
arrives, the sweep POSTs a Security Event Token (RFC 8417) to the HTTPS endpoint its client
registered (RFC 8935), retrying with a doubling wait, and audits every try in the claimant's
chain. The SET verifies against the broker's JWKS with a JOSE library that is not PyJWT."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from broker import clock, sweep
from broker.consent import clients, grants
from broker.extensions import db
from broker.messages import push
from broker.models import MRDecisionWatch, PushDelivery
from tests.factories import (
    bearer,
    bound,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    make_grant,
    signer,
)
from tests.lifecycle.senders import Collecting
from tests.watch.helpers import (
    CLIENT_ID,
    LATER,
    arrives,
    decisions_pushed,
    pushed_events,
    register_case_system,
    run_sweep,
)


@pytest.fixture
def subscribed(app, ctx, client, frozen_clock, receiver):  # noqa: ANN001, ANN201
    frozen_clock.now = LATER
    register_case_system(receiver)
    claimant = make_claimant("Alex Morgan")
    grant = make_grant(claimant, make_adviser("Tom Reed"), "mr:read journal:read")
    token, jti = issue_token(grant, client_id=CLIENT_ID)
    answer = client.post("/api/v1/mr-decision-watch", headers=bearer(token))
    assert answer.status_code == 201, answer.text
    return claimant, grant, token, jti


def test_the_set_arrives_and_verifies_against_the_jwks(subscribed, receiver, client):
    claimant, grant, _token, jti = subscribed
    decision = arrives(claimant, date(2027, 1, 31), "changed")

    report = run_sweep(receiver)

    assert report.pushed == 1
    [sent] = receiver.received
    assert sent.content_type == "application/secevent+jwt"
    assert sent.accept == "application/json"
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").json)
    verified = jws.deserialize_compact(sent.body, keys, algorithms=["ES256"])
    header, claims = verified.headers(), json.loads(verified.payload)
    assert header["typ"] == "secevent+jwt"
    assert header["kid"] == signer().key.kid
    assert claims["iss"] == bound().issuer
    assert claims["aud"] == CLIENT_ID
    assert claims["jti"] and claims["iat"] == int(LATER.timestamp())
    [(uri, event)] = claims["events"].items()
    assert uri == f"{bound().issuer}/events/mr-decision-arrived"
    assert event == {
        "decision_id": decision.id,
        "claimant_id": claimant.id,
        "grant_id": grant.id,
        "decided_on": "2027-01-31",
        "outcome": "changed",
        "appeal_deadline": "2027-02-28",
        "appeal_outside_limit": "2028-02-29",
    }
    [pushed] = chain_events(claimant.id, "mr_decision.pushed")
    assert (pushed.grant_id, pushed.token_id, pushed.outcome) == (grant.id, jti, "allowed")
    assert pushed.resource == f"mr_decision:{decision.id}"


def test_a_failed_push_is_retried_after_a_doubling_wait_and_each_try_audited(
    subscribed, receiver, frozen_clock
):
    claimant, _grant, _token, _jti = subscribed
    receiver.answers = [(500, None), (503, None)]
    arrives(claimant, date(2028, 2, 20))

    first = run_sweep(receiver)
    frozen_clock.advance(seconds=30)  # the first wait is a minute: nothing is due yet
    early = run_sweep(receiver)
    frozen_clock.advance(seconds=31)
    second = run_sweep(receiver)
    frozen_clock.advance(minutes=1)  # the second wait is two minutes
    early_again = run_sweep(receiver)
    frozen_clock.advance(minutes=1, seconds=1)
    third = run_sweep(receiver)

    assert (first.push_failed, early.push_failed + early.pushed) == (1, 0)
    assert (second.push_failed, early_again.pushed + early_again.push_failed) == (1, 0)
    assert third.pushed == 1
    assert len(receiver.received) == 3
    assert len({r.body for r in receiver.received}) == 1  # the same SET each time
    assert [e.outcome for e in chain_events(claimant.id, "mr_decision.pushed")] == [
        "failed:http_500",
        "failed:http_503",
        "allowed",
    ]
    db.session.expire_all()
    delivery = db.session.scalar(db.select(PushDelivery))
    assert delivery.attempts == 3 and delivery.delivered_at is not None


def test_a_400_with_an_err_code_is_final(subscribed, receiver, frozen_clock):
    claimant, _grant, _token, _jti = subscribed
    receiver.answers = [(400, {"err": "invalid_key", "description": "unknown kid"})]
    arrives(claimant, date(2028, 2, 20))

    run_sweep(receiver)
    frozen_clock.advance(hours=2)
    later = run_sweep(receiver)

    assert len(receiver.received) == 1
    assert later.pushed + later.push_failed == 0
    assert [e.outcome for e in chain_events(claimant.id, "mr_decision.pushed")] == [
        "failed:invalid_key"
    ]
    db.session.expire_all()
    assert db.session.scalar(db.select(PushDelivery)).given_up_at is not None


def test_tries_stop_after_the_last_attempt(subscribed, receiver, frozen_clock):
    claimant, _grant, _token, _jti = subscribed
    receiver.answers = [(500, None)] * push.MAX_ATTEMPTS
    arrives(claimant, date(2028, 2, 20))

    for _ in range(push.MAX_ATTEMPTS + 2):
        run_sweep(receiver)
        frozen_clock.advance(hours=1)

    assert len(receiver.received) == push.MAX_ATTEMPTS
    assert len(chain_events(claimant.id, "mr_decision.pushed")) == push.MAX_ATTEMPTS


def test_nothing_is_pushed_once_the_consent_stops(subscribed, receiver):
    claimant, grant, _token, _jti = subscribed
    arrives(claimant, date(2028, 2, 20))  # queued while the consent was live
    grant = db.session.get(type(grant), grant.id)
    grants.revoke(grant, signer=signer(), by=f"claimant:{claimant.id}", now=LATER)
    db.session.commit()

    report = run_sweep(receiver)
    arrives(claimant, date(2028, 2, 21))
    run_sweep(receiver)

    # The case system is told its access ended (a CAEP event), never of the decisions.
    assert report.pushed == 1
    assert decisions_pushed(receiver) == []
    assert [uri for uri, _event in pushed_events(receiver)] == [push.SESSION_REVOKED]
    assert [e.outcome for e in chain_events(claimant.id, "mr_decision.pushed")] == [
        "refused:grant_inactive"
    ]
    db.session.expire_all()
    assert db.session.scalar(db.select(MRDecisionWatch)).end_reason == "grant_inactive"


def test_subscribing_twice_keeps_one_watch_and_delete_ends_it(subscribed, receiver, client):
    claimant, _grant, token, _jti = subscribed

    again = client.post("/api/v1/mr-decision-watch", headers=bearer(token))
    gone = client.delete("/api/v1/mr-decision-watch", headers=bearer(token))
    gone_again = client.delete("/api/v1/mr-decision-watch", headers=bearer(token))
    arrives(claimant, date(2028, 2, 20))
    run_sweep(receiver)

    assert again.status_code == 200 and again.json["delivery"] == "push"
    assert gone.status_code == 204
    assert gone_again.status_code == 404
    assert receiver.received == []
    assert [e.outcome for e in chain_events(claimant.id, "mr.unwatch")] == [
        "allowed",
        "refused:not_found",
    ]


def test_a_client_without_a_push_endpoint_cannot_subscribe(app, ctx, client):
    claimant = make_claimant()
    grant = make_grant(claimant, make_adviser(), "mr:read")
    token, _jti = issue_token(grant, client_id="no-endpoint")

    answer = client.post("/api/v1/mr-decision-watch", headers=bearer(token))

    assert answer.status_code == 400
    assert "push endpoint" in answer.json["error_description"]
    assert db.session.scalar(db.select(MRDecisionWatch)) is None


def test_a_token_without_mr_read_cannot_subscribe(subscribed, client):
    claimant = make_claimant()
    grant = make_grant(claimant, make_adviser(), "journal:read")
    token, _jti = issue_token(grant, client_id=CLIENT_ID)

    answer = client.post("/api/v1/mr-decision-watch", headers=bearer(token))

    assert answer.status_code == 403
    assert answer.json["error"] == "insufficient_scope"


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://cases.example/events",
        "ftp://cases.example",
        "https://",
        "https://u:p@cases.example/",
    ],
)
def test_a_push_endpoint_must_be_https(ctx, endpoint):
    with pytest.raises(clients.ClientRefused, match="https"):
        clients.register(
            "Bad system",
            organisation=None,
            redirect_uris=["https://cases.example/callback"],
            scope_names="mr:read",
            grant_types=[clients.CODE_GRANT],
            auth_method="client_secret_basic",
            now=clock.now(),
            push_endpoint=endpoint,
        )


def test_a_push_to_a_server_we_do_not_trust_is_not_delivered(subscribed, receiver):
    claimant, _grant, _token, _jti = subscribed
    arrives(claimant, date(2028, 2, 20))

    report = sweep.run(
        now=clock.now(),
        sender=Collecting(),
        services=bound(),
        checkpoint=False,
        pusher=push.Pusher(
            allow_loopback=True
        ),  # the system's CAs: the self-signed certificate is not among them
    )

    assert (report.pushed, report.push_failed) == (0, 1)
    assert receiver.received == []
    assert [e.outcome for e in chain_events(claimant.id, "mr_decision.pushed")] == [
        "failed:unreachable"
    ]
    assert timedelta(minutes=1) == push.wait_after(1)
