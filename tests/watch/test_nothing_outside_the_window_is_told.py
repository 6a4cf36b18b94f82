"""A consent with a date window tells its holder only of decisions dated inside it, by every
channel: the console's list, the adviser's email and a case system's pushed SET. A decision
dated outside is told nowhere and leaves no `allowed` event; one inside is told everywhere, as
reading it by ID with the same grant's token would be allowed. A window narrowed after a
telling was queued or listed is asked again at the moment of telling (issue 23)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from broker import sweep
from broker.casework import watches
from broker.consent import grants, windows
from broker.consent.windows import Window
from broker.extensions import db
from broker.messages import push
from broker.models import Delivery, MRDecisionNotice, MRDecisionWatch, PushDelivery
from tests.conftest import sign_in
from tests.factories import (
    bearer,
    bound,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    messages_to,
    signer,
)
from tests.lifecycle import senders
from tests.watch.helpers import (
    CLIENT_ID,
    arrives,
    decisions_pushed,
    pushed_events,
    register_case_system,
    run_sweep,
)
from tests.window.dated import windowed

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
TWELVE_DAYS_AGO = date(2026, 11, 22)
FORTY_DAYS_AGO = date(2026, 10, 25)  # the day the clocks went back


@pytest.fixture
def priya_watches_sam(app, ctx, frozen_clock):  # noqa: ANN001, ANN201
    """Sam lets Priya see things dated from 12 days ago; Priya's console watches, by email."""
    frozen_clock.now = NOW
    sam = make_claimant("Sam Patel")
    priya = make_adviser("Priya Shah")
    priya.tell_by = watches.EMAIL
    grant = windowed(sam, priya, Window(TWELVE_DAYS_AGO, None), "mr:read journal:read")
    _token, jti = issue_token(grant, client_id="adviser-console")
    watches.set_for_demo(grant, token_id=jti, now=NOW)
    db.session.commit()
    client = app.test_client()
    sign_in(client, priya.account.username)
    return client, sam, priya, grant, jti


def _notices() -> list[MRDecisionNotice]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(MRDecisionNotice)))


def test_an_older_decision_reaches_neither_the_console_nor_the_email(priya_watches_sam):
    client, sam, priya, grant, jti = priya_watches_sam

    old = arrives(sam, FORTY_DAYS_AGO, "not_changed", now=NOW)
    clients_page = client.get("/adviser/")
    read = client.get(f"/api/v1/mr-decisions/{old.id}")  # a browser session reads nothing
    token, _ = issue_token(grant)
    by_id = client.get(f"/api/v1/mr-decisions/{old.id}", headers=bearer(token))

    assert by_id.status_code == 404 and read.status_code != 200
    assert _notices() == []
    assert messages_to(priya.id) == []
    assert "not changed" not in clients_page.text
    assert "Sam Patel" in clients_page.text  # still watched: the next decision may be inside
    assert [e for e in chain_events(sam.id, "mr_decision.notified")] == []
    watch = db.session.scalar(db.select(MRDecisionWatch).where(MRDecisionWatch.token_id == jti))
    assert watch.ended_at is None


def test_a_decision_inside_the_window_is_told_everywhere(priya_watches_sam):
    client, sam, priya, grant, _jti = priya_watches_sam

    inside = arrives(sam, date(2026, 12, 1), "changed", now=NOW)
    clients_page = client.get("/adviser/")
    token, _ = issue_token(grant)
    by_id = client.get(f"/api/v1/mr-decisions/{inside.id}", headers=bearer(token))

    assert by_id.status_code == 200
    assert [n.decision_id for n in _notices()] == [inside.id]
    [email] = messages_to(priya.id)
    assert email.kind == "mr_decision_arrived" and "1 December 2026" in email.body
    assert "changed" in clients_page.text
    [told] = chain_events(sam.id, "mr_decision.notified")
    assert told.outcome == "allowed" and told.resource == f"mr_decision:{inside.id}"


def test_narrowing_the_window_takes_a_told_decision_off_the_console(priya_watches_sam):
    client, sam, _priya, grant, _jti = priya_watches_sam
    arrives(sam, date(2026, 11, 30), "partly_changed", now=NOW)
    before = client.get("/adviser/")

    grants.narrow_window(
        grant, windows.Window(date(2026, 12, 1), None), signer=signer(), by="claimant", now=NOW
    )
    db.session.commit()
    after = client.get("/adviser/")

    assert "partly changed" in before.text
    assert "partly changed" not in after.text
    assert "Sam Patel" in after.text


@pytest.fixture
def case_system_watches(app, ctx, client, frozen_clock, receiver):  # noqa: ANN001, ANN201
    """A case system whose consent's window is 22 to 30 November watches for decisions."""
    frozen_clock.now = NOW
    register_case_system(receiver)
    sam = make_claimant("Sam Patel")
    grant = windowed(sam, make_adviser("Tom Reed"), Window(date(2026, 11, 22), date(2026, 11, 30)))
    token, jti = issue_token(grant, client_id=CLIENT_ID)
    answer = client.post("/api/v1/mr-decision-watch", headers=bearer(token))
    assert answer.status_code == 201, answer.text
    return sam, grant, jti


def test_a_case_system_is_pushed_only_the_decision_inside_its_window(case_system_watches, receiver):
    sam, _grant, _jti = case_system_watches

    arrives(sam, date(2026, 11, 1), now=NOW)
    inside = arrives(sam, date(2026, 11, 25), "changed", now=NOW)
    arrives(sam, date(2026, 12, 4), now=NOW)
    report = run_sweep(receiver)

    assert report.pushed == 1
    assert decisions_pushed(receiver) == [inside.id]
    pushed = chain_events(sam.id, "mr_decision.pushed")
    assert [(e.resource, e.outcome) for e in pushed] == [(f"mr_decision:{inside.id}", "allowed")]


def test_a_push_queued_before_the_window_narrowed_is_never_sent(case_system_watches, receiver):
    sam, grant, _jti = case_system_watches
    inside = arrives(sam, date(2026, 11, 25), now=NOW)

    grants.narrow_window(
        grant,
        windows.Window(date(2026, 11, 26), date(2026, 11, 30)),
        signer=signer(),
        by="claimant",
        now=NOW,
    )
    db.session.commit()
    run_sweep(receiver)

    assert decisions_pushed(receiver) == []
    [(told, event)] = pushed_events(receiver)  # only that its dates changed (CAEP)
    assert told == push.TOKEN_CLAIMS_CHANGE and event["claims"]["date_from"] == "2026-11-26"
    db.session.expire_all()
    delivery = db.session.scalar(db.select(PushDelivery).where(PushDelivery.notice_id.is_not(None)))
    assert delivery.given_up_at is not None and delivery.last_error == "outside_window"
    [given_up] = chain_events(sam.id, "mr_decision.pushed")
    assert given_up.outcome == "refused:outside_window"
    assert given_up.resource == f"mr_decision:{inside.id}"
    watch = db.session.scalar(db.select(MRDecisionWatch))
    assert watch.ended_at is None  # later decisions inside the dates are still pushed


def test_an_email_queued_before_the_window_narrowed_is_never_sent(priya_watches_sam):
    _client, sam, priya, grant, _jti = priya_watches_sam
    arrives(sam, date(2026, 11, 30), now=NOW)
    grants.narrow_window(
        grant, windows.Window(date(2026, 12, 1), None), signer=signer(), by="claimant", now=NOW
    )
    db.session.commit()
    senders.COLLECTED.clear()

    sweep.run(now=NOW, sender=senders.Collecting(), services=bound(), checkpoint=False)

    assert [m.kind for m in senders.COLLECTED if m.account_id == priya.id] in (
        ["grant_narrowed"],
        ["grant_revoked"],
    )  # told that the access changed, never of the decision
    [email] = [m for m in messages_to(priya.id) if m.kind == watches.ARRIVED]
    delivery = db.session.scalar(db.select(Delivery).where(Delivery.message_id == email.id))
    assert (delivery.status, delivery.last_error) == ("withheld", "outside_window")


def test_an_email_queued_before_the_consent_stopped_is_never_sent(priya_watches_sam):
    _client, sam, priya, grant, _jti = priya_watches_sam
    arrives(sam, date(2026, 12, 1), now=NOW)
    grants.revoke(grant, signer=signer(), by="claimant", now=NOW)
    db.session.commit()
    senders.COLLECTED.clear()

    sweep.run(now=NOW, sender=senders.Collecting(), services=bound(), checkpoint=False)

    assert [m.kind for m in senders.COLLECTED if m.account_id == priya.id] in (
        ["grant_narrowed"],
        ["grant_revoked"],
    )  # told that the access changed, never of the decision
