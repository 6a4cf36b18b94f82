"""An adviser with `mr:read` turns on "Tell me when a decision arrives" for a client; when a
decision arrives they get a message with the decision date, the outcome and the appeal deadline,
audited in the client's chain under the grant and the token that set the watch. Nothing is sent
once the consent has stopped."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from broker.consent import grants
from broker.consent.clients import CONSOLE_CLIENT_ID
from broker.extensions import db
from broker.models import AccessToken, MRDecisionNotice, MRDecisionWatch
from tests.conftest import csrf_from, sign_in
from tests.factories import (
    chain_events,
    make_adviser,
    make_claimant,
    make_grant,
    messages_to,
    signer,
)
from tests.watch.helpers import LATER, arrives, turn_on


@pytest.fixture
def watching(app, ctx, frozen_clock):  # noqa: ANN001, ANN201
    frozen_clock.now = LATER - timedelta(days=40)
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah")
    grant = make_grant(claimant, adviser, "mr:read journal:read", months=6)
    client = app.test_client()
    sign_in(client, adviser.account.username)
    turn_on(client, grant.id)
    frozen_clock.now = LATER
    sign_in(client, adviser.account.username)  # sessions end after hours; 40 days have passed
    return client, claimant, adviser, grant


def test_the_switch_sets_a_watch_recording_the_consoles_token(watching):
    client, claimant, _adviser, grant = watching

    watch = db.session.scalar(
        db.select(MRDecisionWatch).where(MRDecisionWatch.grant_id == grant.id)
    )
    page = client.get(f"/adviser/clients/{grant.id}")

    assert watch is not None and watch.ended_at is None
    assert db.session.get(AccessToken, watch.token_id).client_id == CONSOLE_CLIENT_ID
    [setting] = chain_events(claimant.id, "mr.watch")
    assert (setting.token_id, setting.grant_id, setting.outcome) == (
        watch.token_id,
        grant.id,
        "allowed",
    )
    assert "We will tell you when a new decision arrives for Alex Morgan" in page.text
    assert "Stop telling me" in page.text


@pytest.mark.parametrize(
    ("decided_on", "deadline", "outside"),
    [
        (date(2027, 1, 31), "28 February 2027", "29 February 2028"),
        (date(2028, 1, 31), "29 February 2028", "28 February 2029"),
    ],
)
def test_a_decision_sends_the_adviser_its_date_outcome_and_deadline(
    watching, decided_on, deadline, outside
):
    _client, claimant, adviser, grant = watching

    decision = arrives(claimant, decided_on, "partly_changed")

    [message] = messages_to(adviser.id)
    assert message.kind == "mr_decision_arrived"
    assert message.grant_id == grant.id
    assert f"Decided on {decided_on.day} January {decided_on.year}" in message.body
    assert "Outcome: partly changed" in message.body
    assert f"Appeal by {deadline}" in message.body
    assert outside in message.body
    watch = db.session.scalar(
        db.select(MRDecisionWatch).where(MRDecisionWatch.grant_id == grant.id)
    )
    [told] = chain_events(claimant.id, "mr_decision.notified")
    assert told.resource == f"mr_decision:{decision.id}"
    assert (told.grant_id, told.token_id) == (grant.id, watch.token_id)
    assert told.actor == f"adviser:{adviser.id}"


def test_the_console_lists_the_decision_until_it_is_marked_seen(watching):
    client, claimant, _adviser, _grant = watching
    arrives(claimant, date(2028, 2, 20), "changed")

    page = client.get("/adviser/")
    notice = db.session.scalar(db.select(MRDecisionNotice))
    seen = client.post(
        f"/adviser/decisions/{notice.id}/seen", data={"csrf_token": csrf_from(page.text)}
    )
    after = client.get("/adviser/")

    assert "New decisions" in page.text
    assert "20 March 2028" in page.text  # the appeal deadline
    assert seen.status_code == 303
    assert "New decisions" not in after.text
    assert "20 March 2028" in after.text  # still in the list of watched clients


def test_only_in_the_console_queues_no_email_but_shows_the_decision(watching):
    client, claimant, adviser, _grant = watching
    page = client.get("/adviser/")
    saved = client.post(
        "/adviser/tell-by", data={"tell_by": "console", "csrf_token": csrf_from(page.text)}
    )

    arrives(claimant, date(2028, 2, 20))

    assert saved.status_code == 303
    assert messages_to(adviser.id) == []
    assert "New decisions" in client.get("/adviser/").text
    assert len(chain_events(claimant.id, "mr_decision.notified")) == 1


@pytest.mark.parametrize("how", ["revoked", "expired", "narrowed"])
def test_no_message_once_the_consent_stops_or_no_longer_covers_decisions(
    watching, frozen_clock, how
):
    _client, claimant, adviser, grant = watching
    grant = db.session.get(type(grant), grant.id)
    if how == "revoked":
        grants.revoke(grant, signer=signer(), by=f"claimant:{claimant.id}", now=LATER)
    elif how == "narrowed":
        grants.narrow(
            grant, ["journal:read"], by=f"claimant:{claimant.id}", now=LATER, signer=signer()
        )
    db.session.commit()
    later = grant.ends_at + timedelta(days=40) if how == "expired" else LATER
    frozen_clock.now = later

    arrives(claimant, date(2028, 2, 20), now=later)

    assert messages_to(adviser.id) == [
        m for m in messages_to(adviser.id) if m.kind != "mr_decision_arrived"
    ]
    assert chain_events(claimant.id, "mr_decision.notified") == []
    watch = db.session.scalar(
        db.select(MRDecisionWatch).where(MRDecisionWatch.grant_id == grant.id)
    )
    assert watch.ended_at is not None
    assert watch.end_reason == ("scope_removed" if how == "narrowed" else "grant_inactive")
    assert len(chain_events(claimant.id, "mr.watch_end")) == 1


def test_turning_it_off_stops_the_messages(watching):
    client, claimant, adviser, grant = watching

    turn_on(client, grant.id, switch="unwatch")
    arrives(claimant, date(2028, 2, 20))

    assert [m for m in messages_to(adviser.id) if m.kind == "mr_decision_arrived"] == []
    assert len(chain_events(claimant.id, "mr.unwatch")) == 1
    assert "Tell me when a decision arrives" in client.get(f"/adviser/clients/{grant.id}").text


def test_without_mr_read_there_is_no_switch_and_a_forced_post_sets_nothing(app, ctx):
    claimant = make_claimant()
    adviser = make_adviser()
    grant = make_grant(claimant, adviser, "journal:read")
    client = app.test_client()
    sign_in(client, adviser.account.username)

    page = client.get(f"/adviser/clients/{grant.id}")
    forced = client.post(
        f"/adviser/clients/{grant.id}/watch", data={"csrf_token": csrf_from(page.text)}
    )

    assert "Tell me when a decision arrives" not in page.text
    assert forced.status_code == 303
    assert db.session.scalar(db.select(MRDecisionWatch)) is None
    assert [e.outcome for e in chain_events(claimant.id, "mr.watch")] == ["refused:scope"]


def test_another_adviser_can_neither_watch_my_client_nor_mark_my_notice(watching, app):
    _client, claimant, _adviser, grant = watching
    arrives(claimant, date(2028, 2, 20))
    notice = db.session.scalar(db.select(MRDecisionNotice))
    other = make_adviser("Other Adviser")
    intruder = app.test_client()
    sign_in(intruder, other.account.username)
    token = csrf_from(intruder.get("/adviser/").text)

    watch = intruder.post(f"/adviser/clients/{grant.id}/watch", data={"csrf_token": token})
    seen = intruder.post(f"/adviser/decisions/{notice.id}/seen", data={"csrf_token": token})

    assert watch.status_code == 404
    assert seen.status_code == 404
    assert "Alex Morgan" not in intruder.get("/adviser/").text


def test_the_switch_needs_the_csrf_token(watching):
    client, _claimant, _adviser, grant = watching

    answer = client.post(f"/adviser/clients/{grant.id}/unwatch")

    assert answer.status_code == 400
    assert db.session.scalar(db.select(MRDecisionWatch)).ended_at is None


def test_deadlines_in_the_next_14_days_come_first(app, ctx, frozen_clock):
    frozen_clock.now = LATER - timedelta(days=40)
    adviser = make_adviser()
    people = {}
    for name in ("Aaron Early", "Zoe Soon", "Mia Nothing"):
        people[name] = make_claimant(name)
        grant = make_grant(people[name], adviser, "mr:read", months=6)
        client = app.test_client()
        sign_in(client, adviser.account.username)
        turn_on(client, grant.id)
    frozen_clock.now = LATER
    sign_in(client, adviser.account.username)
    arrives(people["Aaron Early"], date(2028, 1, 2))  # deadline 2 February: already past
    arrives(people["Zoe Soon"], date(2028, 2, 10))  # deadline 10 March: in 9 days

    page = client.get("/adviser/").text
    listed = page[page.index("Clients you are watching") :]

    assert listed.index("Zoe Soon") < listed.index("Aaron Early") < listed.index("Mia Nothing")
    assert "None yet" in listed
