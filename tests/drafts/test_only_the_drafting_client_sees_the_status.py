"""The status URL answers only the client whose token drafted it: another client under the same
consent, or another claimant's adviser, is told there is no such draft (404), audited."""

from __future__ import annotations

from broker.extensions import db
from tests.conftest import csrf_from
from tests.drafts.conftest import send_request, status_path
from tests.factories import (
    bearer,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    make_grant,
)


def test_another_client_under_the_same_consent_gets_404(people, client):
    made = send_request(client, people.token)
    other, _ = issue_token(people.grant, client_id="another-client")

    answer = client.get(status_path(made), headers=bearer(other))

    assert answer.status_code == 404
    assert "pending" not in answer.text


def test_another_claimants_adviser_gets_404_and_it_is_audited_on_their_chain(people, client):
    made = send_request(client, people.token)
    stranger = make_claimant("Sam Other")
    token, jti = issue_token(make_grant(stranger, make_adviser("Eve"), "mr:read mr:request"))

    answer = client.get(status_path(made), headers=bearer(token))

    assert answer.status_code == 404
    last = chain_events(stranger.id)[-1]
    assert (last.action, last.token_id, last.outcome) == ("mr.draft.read", jti, "refused:not_found")


def test_a_token_without_the_write_scope_cannot_read_the_status(people, client):
    made = send_request(client, people.token)
    reader, _ = issue_token(people.grant, scope_names=("mr:read",))

    assert client.get(status_path(made), headers=bearer(reader)).status_code == 403


def test_a_claimant_cannot_press_another_claimants_draft(app, people, client, phone):
    stranger = make_claimant("Sam Other")
    grant = make_grant(stranger, make_adviser("Eve"), "mr:read mr:request")
    grant.check_before_send = True
    db.session.commit()
    token, _ = issue_token(grant)
    theirs = send_request(client, token).json["draft_id"]
    home = phone.get("/")

    for button in ("send", "decline"):
        answer = phone.post(f"/drafts/{theirs}/{button}", data={"csrf_token": csrf_from(home.text)})
        assert answer.status_code == 404
