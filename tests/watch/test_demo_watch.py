"""`make run`'s demo: Tom watches Alex's decisions and one has arrived, so his console lists it
with its appeal deadline, and Alex's history shows that Tom was told."""

from __future__ import annotations

from datetime import timedelta

from broker import clock
from broker.casework import appeals
from broker.extensions import db
from broker.models import MRDecisionNotice, OutboxMessage
from tests.demo import demo_client, seed_demo_twice


def test_tom_sees_the_decision_that_arrived_and_alex_sees_he_was_told(app, ctx, runner):
    seed_demo_twice(runner)
    tom = demo_client(app, "tom@riverside.example")
    alex = demo_client(app, "alex@example.com")

    console = tom.get("/adviser/").text
    history = alex.get("/history").text

    deadline = appeals.deadline(clock.uk_day(clock.now()) - timedelta(days=3))
    assert "New decisions" in console and "Alex Morgan" in console
    assert f"{deadline.day} {deadline:%B %Y}" in console
    assert db.session.scalar(db.select(db.func.count()).select_from(MRDecisionNotice)) == 1
    assert db.session.scalar(
        db.select(OutboxMessage.body).where(OutboxMessage.kind == "mr_decision_arrived")
    ).startswith("A Mandatory Reconsideration decision has arrived for Alex Morgan")
    assert "Was told about a new reconsideration decision: Work capability: mobilising" in history
