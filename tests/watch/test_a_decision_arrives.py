"""Decisions enter the journal through `consent-broker journal add-mr-decision` (demo, tests)
and through the staff API `POST /api/v1/staff/claimants/<ref>/mr-decisions`, both through
`decisions.add_mr_decision`: audited, and every watching adviser is told."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from broker.extensions import db
from broker.models import MRDecision
from tests.conftest import sign_in
from tests.factories import (
    bearer,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    make_grant,
    make_staff_key,
    messages_to,
)
from tests.watch.helpers import LATER, turn_on


@pytest.fixture
def key(ctx) -> str:  # noqa: ANN001
    return make_staff_key("DWP decision system")


@pytest.fixture
def watched(app, ctx, frozen_clock):  # noqa: ANN001, ANN201
    frozen_clock.now = LATER - timedelta(days=1)
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah")
    grant = make_grant(claimant, adviser, "mr:read")
    browser = app.test_client()
    sign_in(browser, adviser.account.username)
    turn_on(browser, grant.id)
    frozen_clock.now = LATER
    return claimant, adviser


def path(reference: str) -> str:
    return f"/api/v1/staff/claimants/{reference}/mr-decisions"


def test_the_command_adds_a_decision_and_tells_the_watching_adviser(runner, watched):
    claimant, adviser = watched

    result = runner.invoke(
        args=[
            "journal",
            "add-mr-decision",
            claimant.reference,
            "--outcome",
            "not_changed",
            "--decided-on",
            "2028-01-31",
            "--subject",
            "Limited capability for work",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "appeal by 2028-02-29" in result.output
    decision = db.session.scalar(db.select(MRDecision))
    assert decision.subject == "Limited capability for work"
    [message] = messages_to(adviser.id)
    assert "Appeal by 29 February 2028" in message.body
    assert chain_events(claimant.id, "mr_decision.add")[0].actor == "system:journal-command"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["UC-0000-XX", "--outcome", "changed", "--decided-on", "2028-01-31"], "No claimant"),
        (["{ref}", "--outcome", "changed", "--decided-on", "2028-02-30"], "YYYY-MM-DD"),
        (["{ref}", "--outcome", "changed", "--decided-on", "31/01/2028"], "YYYY-MM-DD"),
        (["{ref}", "--outcome", "changed", "--decided-on", "2029-01-01"], "future"),
        (["{ref}", "--outcome", "upheld", "--decided-on", "2028-01-31"], "upheld"),
    ],
)
def test_the_command_says_what_is_wrong(runner, watched, args, error):
    claimant, _adviser = watched
    args = [a.replace("{ref}", claimant.reference) for a in args]

    result = runner.invoke(args=["journal", "add-mr-decision", *args])

    assert result.exit_code != 0
    assert error in result.output
    assert db.session.scalar(db.select(MRDecision)) is None


def test_the_staff_api_adds_a_decision_and_answers_with_its_deadline(client, watched, key):
    claimant, adviser = watched

    answer = client.post(
        path(claimant.reference.lower()),
        json={"outcome": "changed", "decided_on": "2027-01-31", "body": "We changed it."},
        headers=bearer(key),
    )

    assert answer.status_code == 201, answer.text
    assert answer.json["decided_on"] == "2027-01-31"
    assert answer.json["appeal_deadline"] == "2027-02-28"
    assert answer.json["appeal_outside_limit"] == "2028-02-29"
    assert answer.json["body"] == "We changed it."
    assert len(messages_to(adviser.id)) == 1
    [added] = chain_events(claimant.id, "mr_decision.add")
    assert added.actor.startswith("staff-system:")
    assert added.resource == f"mr_decision:{answer.json['id']}"


def test_the_staff_api_needs_a_staff_key(client, watched):
    claimant, _adviser = watched
    grant = make_grant(make_claimant(), make_adviser(), "mr:read")
    token, _jti = issue_token(grant)

    for headers in ({}, bearer("sk_not-a-key"), bearer(token)):
        answer = client.post(
            path(claimant.reference),
            json={"outcome": "changed", "decided_on": "2028-01-31"},
            headers=headers,
        )
        assert answer.status_code == 401
    assert db.session.scalar(db.select(MRDecision)) is None


def test_the_staff_api_404s_an_unknown_reference(client, watched, key):
    answer = client.post(
        path("UC-0000-XX"),
        json={"outcome": "changed", "decided_on": "2028-01-31"},
        headers=bearer(key),
    )

    assert answer.status_code == 404
    assert answer.json["error"] == "not_found"


@pytest.mark.parametrize(
    ("payload", "said"),
    [
        ({"outcome": "changed"}, "decided_on"),
        ({"outcome": "maybe", "decided_on": "2028-01-31"}, "outcome must be one of"),
        ({"outcome": "changed", "decided_on": "2028-13-01"}, "YYYY-MM-DD"),
        ({"outcome": "changed", "decided_on": 20280131}, "decided_on"),
        ({"outcome": "changed", "decided_on": "2028-01-31", "subject": "x" * 201}, "200"),
        (["changed"], "JSON object"),
    ],
)
def test_the_staff_api_says_clearly_what_is_wrong(client, watched, key, payload, said):
    claimant, adviser = watched

    answer = client.post(path(claimant.reference), json=payload, headers=bearer(key))

    assert answer.status_code == 400
    assert answer.json["error"] == "invalid_request"
    assert said in answer.json["error_description"]
    assert db.session.scalar(db.select(MRDecision)) is None
    assert messages_to(adviser.id) == []


def test_a_decision_for_one_claimant_tells_nobody_watching_another(client, watched, key):
    _claimant, adviser = watched
    other = make_claimant("Sam Morgan")

    answer = client.post(
        path(other.reference),
        json={"outcome": "changed", "decided_on": "2028-01-31"},
        headers=bearer(key),
    )

    assert answer.status_code == 201
    assert messages_to(adviser.id) == []
    assert date.fromisoformat(answer.json["decided_on"]) == date(2028, 1, 31)
