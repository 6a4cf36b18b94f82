"""The claimant's phone: "Who is calling me?" says plainly when nobody is calling through this
service and what to do; a live check shows on it and at the top of the home page for 5 minutes,
then is gone. Showing is audited once per check (not on every refresh); the end is audited once,
by whichever notices it first: the phone, or the sweep."""

from __future__ import annotations

from broker import clock, sweep
from broker.extensions import db
from tests.caller_checks.conftest import signed_in
from tests.caller_checks.helpers import caller_events, checks_of, codes_on, staff_starts
from tests.factories import bound, make_claimant
from tests.lifecycle.senders import Collecting
from tests.staff.helpers import assert_page, text_of


def test_with_no_check_the_page_says_nobody_is_calling_and_what_to_do(people, phone):
    text = text_of(assert_page(phone.get("/who-is-calling")))

    assert "Nobody from DWP or your advisers is calling you now through this service." in text
    assert "hang up" in text
    assert "call back on the number on GOV.UK" in text
    assert "Check again" in text
    assert "Someone is calling you" not in text_of(phone.get("/").text)


def test_the_nav_links_to_who_is_calling(people, phone):
    assert 'href="/who-is-calling"' in phone.get("/").text


def test_the_check_shows_for_five_minutes_then_is_gone_and_its_end_is_audited(
    people, staff, phone, frozen_clock
):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)

    frozen_clock.advance(minutes=4, seconds=59)
    assert codes_on(phone.get("/who-is-calling").text) == [check.code]
    frozen_clock.advance(seconds=1)
    gone = text_of(phone.get("/who-is-calling").text)

    assert check.code not in gone
    assert "Nobody from DWP or your advisers is calling you now" in gone
    assert [a for a, _, _ in caller_events(people.claimant.id)] == [
        "caller_check.started",
        "caller_check.shown",
        "caller_check.expired",
    ]
    phone.get("/")
    phone.get("/who-is-calling")
    assert len(caller_events(people.claimant.id)) == 3  # each noted once


def test_showing_is_audited_once_however_often_the_phone_refreshes(people, staff, phone):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)

    for path in ("/", "/who-is-calling", "/who-is-calling", "/"):
        assert codes_on(phone.get(path).text) == [check.code]

    assert caller_events(people.claimant.id)[1:] == [
        ("caller_check.shown", f"claimant:{people.claimant.id}", f"caller_check:{check.id}")
    ]


def test_the_sweep_audits_the_end_of_a_check_nobody_looked_at(people, staff, phone, frozen_clock):
    staff_starts(staff, people.claimant.reference)
    frozen_clock.advance(minutes=6)

    report = sweep.run(now=clock.now(), sender=Collecting(), services=bound())
    again = sweep.run(now=clock.now(), sender=Collecting(), services=bound())
    phone.get("/who-is-calling")

    assert (report.caller_checks_ended, again.caller_checks_ended) == (1, 0)
    assert [a for a, _, _ in caller_events(people.claimant.id)] == [
        "caller_check.started",
        "caller_check.expired",
    ]
    [check] = checks_of(people.claimant.id)
    assert check.shown_at is None and check.end_reason == "expired"


def test_another_claimant_never_sees_the_check(app, people, staff):
    staff_starts(staff, people.claimant.reference)
    other = make_claimant("Sam Morgan")
    db.session.commit()
    other_phone = signed_in(app, other.account.username)
    [check] = checks_of(people.claimant.id)

    page = other_phone.get("/who-is-calling").text

    assert codes_on(page) == []
    assert "Nobody from DWP" in page
