"""Staff find a claimant by reference and see the consent banner, with its state computed at the
moment of viewing."""

from __future__ import annotations

import pytest

from broker import clock
from broker.extensions import db
from tests.conftest import csrf_from, sign_in
from tests.factories import make_adviser, make_claimant, make_grant
from tests.staff.helpers import (
    DAY,
    STATE_WORDS,
    assert_page,
    grant_in_state,
    phone_grant,
    signed_in_staff,
    text_of,
)


def record(client, claimant) -> str:  # noqa: ANN001
    return assert_page(client.get(f"/staff/claimants/{claimant.reference}"))


def banner(html: str) -> str:
    start = html.index('id="consent-banner"')
    return html[start : html.index("</div>\n</div>", start)]


def test_finding_a_claimant_by_reference_opens_their_record(staff_client, people):
    page = staff_client.get("/staff/")
    typed = f"  {people.claimant.reference.lower()} "

    found = staff_client.post(
        "/staff/", data={"reference": typed, "csrf_token": csrf_from(page.text)}
    )

    assert found.status_code == 303
    assert found.headers["Location"] == f"/staff/claimants/{people.claimant.reference}"


def test_a_name_or_partial_reference_finds_nobody(staff_client, people):
    page = staff_client.get("/staff/")
    for typed in ("Alex Morgan", people.claimant.reference[:-2]):
        csrf = csrf_from(page.text)
        answer = staff_client.post("/staff/", data={"reference": typed, "csrf_token": csrf})
        html = assert_page(answer, 400)
        assert "No claimant has that reference. Check it and try again" in html


def test_banner_shows_the_five_facts_dates_and_who_recorded_it(staff_client, people):
    grant = make_grant(people.claimant, people.adviser, "mr:read journal:read")

    html = record(staff_client, people.claimant)
    words = text_of(banner(html))

    assert "Consent recorded" in words
    assert "Priya Shah, Northside Citizens Advice Current" in words
    assert "Relationship Welfare rights adviser" in words
    assert "Information Their reconsideration decisions; Their journal" in words
    assert "Why Help with an appeal" in words
    assert f"Started {grant.starts_at:%-d %B %Y}" in words
    assert f"Review by {grant.review_at:%-d %B %Y}" in words
    assert f"Ends {grant.ends_at:%-d %B %Y}" in words
    assert f"Recorded by Claimant online on {grant.created_at:%-d %B %Y}" in words


def test_consent_recorded_by_phone_names_the_staff_member(staff_client, people):
    phone_grant(people.claimant, people.adviser, people.staff, now=clock.now())

    words = text_of(banner(record(staff_client, people.claimant)))

    assert "Recorded by Staff member Jordan Lee, by phone" in words


@pytest.mark.parametrize("state", ["current", "review_overdue", "suspended"])
def test_a_live_grant_shows_in_the_banner_with_its_state(staff_client, people, state):
    grant_in_state(state, people.claimant, people.adviser, people.staff)

    html = record(staff_client, people.claimant)

    assert f"Priya Shah, Northside Citizens Advice {STATE_WORDS[state]}" in text_of(banner(html))
    assert 'id="ended-consent"' not in html


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_an_ended_grant_is_listed_collapsed_below_the_banner(staff_client, people, state):
    grant_in_state(state, people.claimant, people.adviser, people.staff)

    html = record(staff_client, people.claimant)

    assert "No consent is current." in text_of(banner(html))
    ended = html[html.index('<details class="govuk-details" id="ended-consent">') :]
    assert " open" not in ended[: ended.index(">")]  # collapsed until staff open it
    assert f"Priya Shah, Northside Citizens Advice {STATE_WORDS[state]}" in text_of(ended)


def test_state_is_computed_when_the_record_is_viewed_not_when_stored(app, frozen_clock, people):
    grant = phone_grant(people.claimant, people.adviser, people.staff, now=clock.now(), months=3)
    client = signed_in_staff(app, people.staff)

    before = text_of(banner(record(client, people.claimant)))
    frozen_clock.advance(days=32)  # past the one-month review date, nothing run in between
    client = signed_in_staff(app, people.staff)  # a session lasts 12 hours at most
    after = text_of(banner(record(client, people.claimant)))
    frozen_clock.advance(days=70)  # past the end date, still before any sweep
    client = signed_in_staff(app, people.staff)
    ended = record(client, people.claimant)

    assert "Current" in before and "Review overdue" in after
    assert "overdue: it stopped working until the claimant confirms it" in after
    assert "Expired" in text_of(ended[ended.index('id="ended-consent"') :])
    db.session.expire_all()
    assert db.session.get(type(grant), grant.id).status == "active"  # computed, never stored


def test_a_record_with_no_consent_says_so(staff_client, people):
    html = record(staff_client, people.claimant)

    assert 'id="consent-banner"' not in html
    assert "No consent is recorded for this claimant." in html


def test_an_unknown_reference_is_404(staff_client, people):
    assert staff_client.get("/staff/claimants/UC-0000-XX").status_code == 404


@pytest.mark.parametrize("who", ["claimant", "adviser"])
def test_claimants_and_advisers_cannot_open_a_staff_record(app, people, who):
    client = app.test_client()
    account = people.claimant.account if who == "claimant" else people.adviser.account
    sign_in(client, account.username)

    assert client.get(f"/staff/claimants/{people.claimant.reference}").status_code == 403


def test_a_record_shows_only_that_claimants_grants(staff_client, people):
    other = make_claimant("Blake Other")
    make_grant(other, make_adviser("Tom Reed", "Riverside Law Centre"))
    make_grant(people.claimant, people.adviser)

    html = record(staff_client, people.claimant)

    assert "Priya Shah" in html and "Tom Reed" not in html


def test_review_overdue_grant_made_days_ago_still_lists_dates(staff_client, people):
    grant = grant_in_state("review_overdue", people.claimant, people.adviser, people.staff)

    words = text_of(banner(record(staff_client, people.claimant)))

    assert f"Review by {grant.review_at:%-d %B %Y}" in words
    assert grant.review_at < clock.now() - 5 * DAY
