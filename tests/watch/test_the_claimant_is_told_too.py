"""When a claimant's own MR decision arrives, they are told too, by letter: in their letters
inbox (and wherever they chose letters from DWP to go), in their language, with the last day to
appeal. Whether or not any adviser watches."""

from __future__ import annotations

from datetime import date

from tests.conftest import sign_in
from tests.contact.conftest import choose, deliveries
from tests.factories import make_claimant, messages_to
from tests.watch.helpers import LATER, arrives


def test_the_claimant_finds_the_decision_and_the_appeal_date_in_their_letters(
    app, ctx, frozen_clock
):
    frozen_clock.now = LATER
    claimant = make_claimant("Alex Morgan")

    arrives(claimant, date(2028, 1, 31))

    [letter] = messages_to(claimant.id)
    assert "It is dated 31 January 2028" in letter.body
    assert "Send your appeal by 29 February 2028" in letter.body
    browser = app.test_client()
    sign_in(browser, claimant.account.username)
    home = browser.get("/").text
    assert "1 new letter" in home
    inbox = browser.get("/letters").text
    assert "Your reconsideration decision has arrived" in inbox


def test_it_goes_where_they_chose_letters_to_go_in_welsh(app, ctx, frozen_clock):
    frozen_clock.now = LATER
    claimant = make_claimant("Alun Morgan")
    choose(claimant.id, mobile="07700 900 123", language="cy", letters=["sms"])

    arrives(claimant, date(2027, 1, 31))

    [letter] = messages_to(claimant.id)
    assert "Anfonwch eich apêl erbyn 28 Chwefror 2027" in letter.body
    assert [d.channel for d in deliveries(claimant.id, "sms")] == ["sms"]
