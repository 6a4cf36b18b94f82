"""The adviser console's watches on to-dos and payments (issue 27 item 5, security.md 80): the
client page's switch sets and stops the watch through the API (with a console token, so the
watch records it); My clients lists what was told while the consent allows, and no longer once
it has stopped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from broker import sweep
from broker.casework import item_watches, watches
from broker.consent import grants
from broker.extensions import db
from broker.models import ItemWatch, Todo
from tests.conftest import sign_in
from tests.factories import bound, make_adviser, make_claimant, make_grant, signer
from tests.lifecycle import senders
from tests.watch.helpers import turn_on

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_the_switch_and_the_list(app, ctx, frozen_clock):
    frozen_clock.now = NOW
    sam = make_claimant("Sam Patel")
    priya = make_adviser("Priya Shah")
    priya.tell_by = watches.CONSOLE
    grant = make_grant(sam, priya, "todo:read")
    db.session.add(Todo(claimant_id=sam.id, title="Upload", due_at=NOW - timedelta(days=1)))
    db.session.commit()
    client = app.test_client()
    sign_in(client, priya.account.username)

    page = client.get(f"/adviser/clients/{grant.id}")
    assert "Tell me about to-dos" in page.text and "Tell me about payments" not in page.text
    turn_on(client, grant.id, "watch/todos")
    (watch,) = db.session.scalars(db.select(ItemWatch))
    assert (watch.topic, watch.client_id) == ("todos", "adviser-console")
    assert "Stop telling me about to-dos" in client.get(f"/adviser/clients/{grant.id}").text

    sweep.run(now=NOW, sender=senders.Collecting(), services=bound(), checkpoint=False)
    listed = client.get("/adviser/").text
    assert "A to-do is overdue" in listed and "3 December 2026" in listed
    assert item_watches.TOLD not in listed  # not repeated among the access changes

    grants.revoke(grant, signer=signer(), by=f"claimant:{sam.id}", now=NOW)
    db.session.commit()
    assert "A to-do is overdue" not in client.get("/adviser/").text


def test_the_switch_stops_the_watch(app, ctx, frozen_clock):
    frozen_clock.now = NOW
    sam = make_claimant("Sam Patel")
    priya = make_adviser("Priya Shah")
    grant = make_grant(sam, priya, "payments:read")
    db.session.commit()
    client = app.test_client()
    sign_in(client, priya.account.username)

    turn_on(client, grant.id, "watch/payments")
    turn_on(client, grant.id, "unwatch/payments")

    (watch,) = db.session.scalars(db.select(ItemWatch))
    db.session.refresh(watch)
    assert watch.end_reason == "stopped"
    assert client.post(f"/adviser/clients/{grant.id}/watch/other").status_code == 404
