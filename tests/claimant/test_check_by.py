"""Wherever "Check by <date>" appears, one sentence says what happens if the claimant does not
check: the access pauses until they do (disclosure.authorises refuses once the date has passed)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from broker import clock
from broker.consent import grants
from broker.extensions import db
from tests.conftest import sign_in
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_staff,
    record_by_phone,
)

PAUSES = "their access pauses until you check."


@pytest.fixture
def phone_consent(app, ctx, frozen_clock):  # noqa: ANN001, ANN201
    """DWP staff took Alex's consent for Priya by phone: review in one month, end in three."""
    alex = make_claimant("Alex Morgan")
    grant = record_by_phone(
        alex,
        make_adviser("Priya Shah", "Northside"),
        staff=make_staff("Jordan Lee"),
        scope_names="mr:read journal:read",
        review_months=1,
    )
    return alex, grant


def test_check_by_on_who_can_see_your_journal_says_what_happens_if_you_do_not(app, phone_consent):
    alex, _ = phone_consent
    page = app.test_client()
    sign_in(page, alex.account.username)

    html = page.get("/access").text

    assert "Check by" in html
    assert f"If you do not check by then, {PAUSES}" in html


def test_the_check_by_banner_and_review_page_say_what_happens_if_you_do_not(
    app, phone_consent, frozen_clock
):
    alex, grant = phone_consent
    frozen_clock.now = grant.review_at - timedelta(days=10)
    page = app.test_client()
    sign_in(page, alex.account.username)

    home = page.get("/").text
    review = page.get(f"/access/{grant.id}/review").text

    assert "that Priya Shah should still see your journal." in home
    assert f"If you do not, {PAUSES}" in home
    assert f"If you do not, {PAUSES}" in review


def test_what_the_sentence_says_is_what_happens(app, phone_consent, frozen_clock):
    _, grant = phone_consent
    frozen_clock.now = grant.review_at + timedelta(minutes=1)
    token, _ = issue_token(grant, now=grant.review_at - timedelta(minutes=1))

    read = app.test_client().get("/api/v1/mr-decisions", headers=bearer(token))

    assert read.status_code == 401  # paused: not ended
    assert grants.state_at(db.session.get(type(grant), grant.id), clock.now()) == "review_overdue"
