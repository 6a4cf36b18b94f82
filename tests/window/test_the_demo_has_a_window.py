"""`make run`'s demo: Sam lets Priya see their journal only from the day their payment was cut,
so Priya's client page shows the newer message and not the older one, and Sam's card says so."""

from __future__ import annotations

from datetime import timedelta

from broker import clock
from broker.extensions import db
from broker.models import Grant
from tests.demo import demo_client, seed_demo_twice


def test_priya_sees_sams_journal_only_from_the_day_the_payment_was_cut(app, ctx, runner):
    seed_demo_twice(runner)
    priya = demo_client(app, "priya@northside.example")
    sam = demo_client(app, "sam@example.com")
    grant = db.session.scalars(
        db.select(Grant).where(Grant.representative_name == "Priya Shah", Grant.date_from != None)  # noqa: E711
    ).one()
    cut = clock.uk_day(clock.now() - timedelta(days=12))

    client_page = priya.get(f"/adviser/clients/{grant.id}").text
    cards = sam.get("/access").text

    assert grant.date_from == cut
    assert "Your payment is lower this month" in client_page
    assert "Your housing costs" not in client_page
    assert f"Only entries from {cut.day} {cut:%B %Y}" in client_page
    assert f"Only from {cut.day} {cut:%B %Y}" in cards
