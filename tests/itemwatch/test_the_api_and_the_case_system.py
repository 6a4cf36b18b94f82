"""The API of watches on to-dos and payments (issue 27 item 5, security.md 80): set, read and
stop a watch with the scope it watches; and a case system's watch is pushed a Security Event
Token carrying only what the rule lets it be told (IDs, the kind of event, its day), asked
again as it is sent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from broker.casework import item_watches
from broker.consent import grants
from broker.extensions import db
from broker.models import ItemWatch, PushDelivery, Todo
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
from tests.watch.helpers import CLIENT_ID, LATER, pushed_events, register_case_system, run_sweep

DAY = timedelta(days=1)


@pytest.fixture
def alex(app, ctx, frozen_clock):  # noqa: ANN001, ANN201
    frozen_clock.now = LATER
    claimant = make_claimant("Alex Morgan")
    grant = make_grant(claimant, make_adviser("Tom Reed"), "todo:read payments:read")
    db.session.commit()
    return claimant, grant


def test_set_read_and_stop_a_watch(alex, client):
    claimant, grant = alex
    token, jti = issue_token(grant, client_id="adviser-console")
    db.session.commit()
    headers = bearer(token)

    made = client.post("/api/v1/todo-watch", headers=headers)
    again = client.post("/api/v1/todo-watch", headers=headers)
    read = client.get("/api/v1/todo-watch", headers=headers)
    none = client.get("/api/v1/payment-watch", headers=headers)
    stopped = client.delete("/api/v1/todo-watch", headers=headers)
    stopped_again = client.delete("/api/v1/todo-watch", headers=headers)

    assert (made.status_code, again.status_code) == (201, 200)
    assert made.json["id"] == again.json["id"] == read.json["id"]
    assert made.json["topic"] == "todos" and made.json["set_by_token"] == jti
    assert made.json["delivery"] == "console"
    assert none.status_code == 404
    assert (stopped.status_code, stopped_again.status_code) == (204, 404)
    (watch,) = db.session.scalars(db.select(ItemWatch))
    assert watch.end_reason == "stopped"
    assert [e.action for e in chain_events(claimant.id, "todo.%")] == [
        "todo.watch",
        "todo.watch",
        "todo.watch_list",
        "todo.unwatch",
        "todo.unwatch",
    ]


def test_without_the_scope_the_watch_is_refused(app, ctx, client, frozen_clock):
    frozen_clock.now = LATER
    grant = make_grant(make_claimant(), make_adviser(), "todo:read")
    token, _ = issue_token(grant, client_id="adviser-console")
    db.session.commit()

    for method in (client.post, client.get, client.delete):
        assert method("/api/v1/payment-watch", headers=bearer(token)).status_code == 403
    assert client.post("/api/v1/payment-watch").status_code == 401
    assert db.session.scalars(db.select(ItemWatch)).all() == []


def test_a_case_system_without_a_push_endpoint_is_refused(alex, client):
    _claimant, grant = alex
    token, _ = issue_token(grant, client_id="test-client")
    db.session.commit()

    answer = client.post("/api/v1/todo-watch", headers=bearer(token))

    assert answer.status_code == 400
    assert "push endpoint" in answer.json["error_description"]


def test_the_case_system_is_pushed_only_what_the_rule_allows(alex, client, receiver):
    claimant, grant = alex
    register_case_system(receiver, "todo:read payments:read")
    token, jti = issue_token(grant, client_id=CLIENT_ID)
    db.session.commit()
    assert client.post("/api/v1/todo-watch", headers=bearer(token)).status_code == 201
    todo = Todo(claimant_id=claimant.id, title="Upload your fit note", due_at=LATER - DAY)
    db.session.add(todo)
    db.session.commit()

    first = run_sweep(receiver)
    run_sweep(receiver)

    assert first.pushed == 1
    [(uri, event)] = pushed_events(receiver)
    assert uri == f"{bound().issuer}/events/todo"
    assert event == {
        "todo_id": todo.id,
        "claimant_id": claimant.id,
        "grant_id": grant.id,
        "kind": "overdue",
        "dated_on": (LATER - DAY).date().isoformat(),
    }
    [pushed] = chain_events(claimant.id, "todo.pushed")
    assert (pushed.token_id, pushed.outcome) == (jti, "allowed")


def test_a_set_queued_before_revocation_is_never_sent(alex, client, receiver):
    claimant, grant = alex
    register_case_system(receiver, "todo:read payments:read")
    token, _ = issue_token(grant, client_id=CLIENT_ID)
    db.session.commit()
    assert client.post("/api/v1/todo-watch", headers=bearer(token)).status_code == 201
    db.session.add(Todo(claimant_id=claimant.id, title="Upload", due_at=LATER + DAY))
    db.session.commit()
    item_watches.check(LATER, limit=10, signer=signer())
    grants.revoke(grant, signer=signer(), by=f"claimant:{claimant.id}", now=LATER)
    db.session.commit()

    run_sweep(receiver)

    assert [e for e in pushed_events(receiver) if "todo_id" in e[1]] == []
    (delivery,) = db.session.scalars(
        db.select(PushDelivery).where(PushDelivery.item_notice_id.is_not(None))
    )
    assert delivery.given_up_at is not None and delivery.last_error == "grant_inactive"
    assert [e.outcome for e in chain_events(claimant.id, "todo.pushed")] == [
        "refused:grant_inactive"
    ]
