"""A draft nobody answers expires after 7 days: the sweep or the first look at it expires it,
audited with the adviser's token ID, and it can no longer be sent."""

from __future__ import annotations

from broker import sweep
from broker.services import of as services_of
from tests.conftest import csrf_from, sign_in
from tests.drafts.conftest import (
    draft_events,
    fresh_token,
    mr_entries,
    send_request,
    status_path,
    the_draft,
)
from tests.factories import bearer, messages_to
from tests.lifecycle.senders import Collecting
from tests.staff.helpers import text_of


def test_a_look_after_7_days_expires_it(frozen_clock, people, client):
    made = send_request(client, people.token)

    frozen_clock.advance(days=7, seconds=-1)
    assert client.get(status_path(made), headers=bearer(fresh_token(people))).json["status"] == (
        "pending"
    )
    frozen_clock.advance(seconds=1)
    status = client.get(status_path(made), headers=bearer(fresh_token(people))).json

    assert status["status"] == "expired"
    assert [a for a, *_ in draft_events(people.claimant.id)] == [
        "mr.request.drafted",
        "mr.request.expired",
    ]
    assert draft_events(people.claimant.id)[-1][1] == people.jti  # the token that drafted it


def test_a_look_after_7_days_tells_the_adviser_once(frozen_clock, people, client):
    made = send_request(client, people.token)
    frozen_clock.advance(days=7)

    client.get(status_path(made), headers=bearer(fresh_token(people)))
    client.get(status_path(made), headers=bearer(fresh_token(people)))

    [to_adviser] = messages_to(people.adviser.id, "mr_draft_expired")
    assert "did not answer within 7 days" in to_adviser.body


def test_the_sweep_expires_it_and_tells_the_adviser(app, frozen_clock, people, client, phone):
    draft_id = send_request(client, people.token).json["draft_id"]
    frozen_clock.advance(days=7)

    report = sweep.run(
        now=frozen_clock.now,
        sender=Collecting(),
        services=services_of(app),
        checkpoint=False,
    )

    assert report.drafts_expired == 1
    assert the_draft(draft_id).status == "expired"
    assert draft_events(people.claimant.id)[-1] == (
        "mr.request.expired",
        people.jti,
        f"mr_draft:{draft_id}",
    )
    [to_adviser] = messages_to(people.adviser.id, "mr_draft_expired")
    assert "did not answer within 7 days" in to_adviser.body
    assert "Check this before it is sent" not in text_of(phone.get("/").text)


def test_an_expired_draft_cannot_be_sent(app, frozen_clock, people, client):
    draft_id = send_request(client, people.token).json["draft_id"]
    frozen_clock.advance(days=8)
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)
    home = phone.get("/")
    assert "Check this before it is sent" not in text_of(home.text)

    phone.post(f"/drafts/{draft_id}/send", data={"csrf_token": csrf_from(home.text)})

    assert "This was not sent. It was too late: you had 7 days." in text_of(phone.get("/").text)
    assert mr_entries(people.claimant.id) == []
    assert the_draft(draft_id).status == "expired"
    assert draft_events(people.claimant.id)[-1][0] == "mr.request.expired"


def test_the_sweep_command_says_how_many_drafts_expired(frozen_clock, people, client, runner):
    send_request(client, people.token)
    frozen_clock.advance(days=7, hours=1)

    result = runner.invoke(args=["sweep"])

    assert result.exit_code == 0, result.output
    assert "Expired 1 draft request(s) not answered in 7 days." in result.output
