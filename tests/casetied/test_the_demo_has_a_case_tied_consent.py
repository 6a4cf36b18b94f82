"""`make run`'s demo: Sam gave Priya access until Sam's reconsideration is decided. Sam's old
decision did not end it; adding a new one with the README's command does."""

from __future__ import annotations

from broker import clock
from broker.consent import case_tied
from broker.extensions import db
from broker.models import Claimant, Grant
from tests.demo import demo_client, seed_demo_twice


def test_sams_card_waits_for_the_decision_then_the_command_gives_it_an_end(app, ctx, runner):
    seed_demo_twice(runner)
    sam = db.session.scalar(db.select(Claimant).where(Claimant.reference == "UC-1002-SM"))
    [grant] = db.session.scalars(
        db.select(Grant).where(Grant.claimant_id == sam.id, Grant.until_event.is_not(None))
    )
    phone = demo_client(app, "sam@example.com")
    assert "Until your reconsideration is decided, and no later than" in phone.get("/").text

    today = clock.uk_day(clock.now())
    result = runner.invoke(
        args=["journal", "add-mr-decision", "UC-1002-SM", "--outcome", "changed",
              "--decided-on", today.isoformat()]
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Grant, grant.id).ends_at == case_tied.ends_after(today)
    assert "Until your reconsideration is decided" not in phone.get("/").text
