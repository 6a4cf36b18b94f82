"""Attack 62: one bad push endpoint (or any one failing step) stopping every sweep. A case system
whose endpoint has a port out of range, stored directly as an old database could have it, fails
alone: the sweep still sends the other case system's event and the outbox, signs its audit
checkpoint, names the refused delivery, and the CLI exits 1 so cron tells someone. A step that
raises is undone, named, and the steps after it still run."""

from __future__ import annotations

import pytest

from broker import clock, sweep
from broker.casework import caller_checks, deliveries
from broker.consent import clients, grants
from broker.extensions import db
from broker.messages import push
from broker.models import AuditCheckpoint, Delivery, OAuthClient, PushDelivery, RefreshToken
from tests.factories import bound, signer
from tests.lifecycle.senders import RecordingSender
from tests.other_side.conftest import alex_and_priya  # noqa: F401 - the fixture
from tests.watch.helpers import CLIENT_ID


@pytest.fixture
def a_broken_case_system(app, request, receiver):  # noqa: ANN001, ANN201
    s = request.getfixturevalue("alex_and_priya")
    app.config["BROKER_PUSH_CA_BUNDLE"] = receiver.ca_bundle
    app.config["BROKER_CHECKPOINT_ON_SWEEP"] = True
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
    db.session.flush()
    # Written directly, as a database from before registration checked the port could hold it.
    db.session.execute(
        db.update(OAuthClient)
        .where(OAuthClient.id == broken.id)
        .values(push_endpoint="https://cases.example:99999/events")
    )
    db.session.add(
        RefreshToken(
            token_hash="2" * 64,
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
    return s


def test_the_sweep_runs_to_its_checkpoint_and_exits_1_naming_the_refusal(
    a_broken_case_system, runner, receiver
):
    result = runner.invoke(args=["sweep"])

    assert result.exit_code == 1, result.output
    assert "Signed audit checkpoint 1" in result.output
    assert "Pushed 1 security event(s)" in result.output
    assert "1 security event(s) were given up for good" in result.stderr
    assert len(receiver.received) == 1  # the other case system was told
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditCheckpoint)) == 1
    sent = db.session.scalars(db.select(Delivery).where(Delivery.sent_at.is_not(None))).all()
    assert sent  # the claimant's and adviser's messages went out
    refused = db.session.scalars(
        db.select(PushDelivery).where(PushDelivery.given_up_at.is_not(None))
    ).all()
    assert [d.client_id for d in refused] == ["broken-cases"]


def test_a_step_that_raises_fails_alone_and_is_reported(
    a_broken_case_system, receiver, monkeypatch
):
    def broken_step(now, *, limit):  # noqa: ANN001, ANN202, ARG001
        raise RuntimeError("caller checks table unreadable")

    monkeypatch.setattr(caller_checks, "expire_due", broken_step)
    sender = RecordingSender()

    report = sweep.run(
        now=clock.now(),
        sender=sender,
        services=bound(),
        pusher=push.Pusher(receiver.ca_bundle, allow_loopback=True),
    )

    assert report.errors == ["ending caller checks: RuntimeError: caller checks table unreadable"]
    assert report.sent == len(sender.sent) > 0  # the steps after it ran
    assert (report.pushed, report.push_failed, report.push_refused) == (1, 1, 1)
    assert report.checkpoint == 1


def test_a_delivery_that_raises_fails_alone(a_broken_case_system, receiver, monkeypatch):
    real = deliveries.prepare

    def prepare(delivery_id, *, now):  # noqa: ANN001, ANN202
        delivery = db.session.get(PushDelivery, delivery_id)
        if delivery is not None and delivery.client_id == "broken-cases":
            raise UnicodeError("label too long")
        return real(delivery_id, now=now)

    monkeypatch.setattr(deliveries, "prepare", prepare)
    report = sweep.run(
        now=clock.now(),
        sender=RecordingSender(),
        services=bound(),
        pusher=push.Pusher(receiver.ca_bundle, allow_loopback=True),
    )

    assert (report.pushed, report.push_failed) == (1, 1)
    assert len(report.errors) == 1 and "UnicodeError" in report.errors[0]
    assert report.checkpoint == 1
    db.session.expire_all()
    told = db.session.scalars(db.select(PushDelivery).where(PushDelivery.delivered_at.is_not(None)))
    assert [d.client_id for d in told] == [CLIENT_ID]
