"""`make run`'s demo (issue 27 item 5): Priya watches Sam's to-dos and payments from her
console, so My clients lists a to-do due soon and a payment lower than the one before, her
client page shows both switches on, and Sam's history says she was told; seeding again adds
nothing."""

from __future__ import annotations

from broker.casework import item_watches
from broker.extensions import db
from broker.models import Grant, ItemNotice, ItemWatch, OutboxMessage
from tests.demo import demo_client, seed_demo_twice
from tests.staff.helpers import text_of


def test_priya_is_told_of_sams_todo_and_lower_payment(app, ctx, runner):
    seed_demo_twice(runner)
    priya = demo_client(app, "priya@northside.example")
    sam = demo_client(app, "sam@example.com")
    grant = db.session.scalars(
        db.select(Grant).where(Grant.representative_name == "Priya Shah", Grant.date_from != None)  # noqa: E711
    ).one()

    console = text_of(priya.get("/adviser/").text)
    client_page = priya.get(f"/adviser/clients/{grant.id}").text
    history = text_of(sam.get("/history").text)

    assert "To-dos and payments" in console
    assert "A to-do is due within 3 days" in console
    assert "A payment was lower than the one before" in console
    assert "Stop telling me about to-dos" in client_page
    assert "Stop telling me about payments" in client_page
    assert sorted(db.session.scalars(db.select(ItemWatch.topic))) == ["payments", "todos"]
    assert db.session.scalar(db.select(db.func.count()).select_from(ItemNotice)) == 2
    emails = db.select(OutboxMessage.body).where(OutboxMessage.kind == item_watches.TOLD)
    assert len(db.session.scalars(emails).all()) == 2  # Priya chose email
    assert "Was told that a to-do is due soon or overdue" in history
    assert "Was told that a payment was lower or missing" in history
