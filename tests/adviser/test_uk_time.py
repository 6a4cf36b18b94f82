"""The adviser console shows times on the UK clock, summer time included (never "13:20 UTC"), and
dates as people write them ("26 November 2026"), like every other page (issue 12)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from broker.extensions import db
from broker.models import JournalEntry, MRDecision
from tests.conftest import csrf_from, sign_in
from tests.factories import make_adviser, make_claimant, make_grant
from tests.oauth.helpers import ask
from tests.staff.helpers import assert_page, text_of

SUMMER = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 July in London (BST)
WINTER = datetime(2026, 11, 26, 13, 20, tzinfo=UTC)  # 13:20 in London (GMT)


@pytest.fixture
def adviser_browser(app, ctx):  # noqa: ANN001, ANN201
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    browser = app.test_client()
    sign_in(browser, adviser.account.username)
    return browser, adviser


def test_the_code_runs_out_at_a_time_on_the_uk_clock_in_summer(adviser_browser, frozen_clock):
    browser, _adviser = adviser_browser
    frozen_clock.now = datetime(2026, 7, 1, 12, 10, tzinfo=UTC)

    words = text_of(assert_page(browser.get(ask(browser))))

    assert "The code works once, until 13:20." in words  # 12:20 UTC is 13:20 BST
    assert "UTC" not in words


def test_the_code_runs_out_at_a_time_on_the_uk_clock_in_winter(adviser_browser, frozen_clock):
    browser, _adviser = adviser_browser
    frozen_clock.now = datetime(2026, 11, 26, 13, 10, tzinfo=UTC)

    words = text_of(assert_page(browser.get(ask(browser))))

    assert "The code works once, until 13:20." in words
    assert "UTC" not in words


def test_decisions_and_journal_entries_are_dated_in_words_on_the_uk_clock(adviser_browser):
    browser, adviser = adviser_browser
    claimant = make_claimant("Alex Morgan")
    db.session.add_all(
        [
            MRDecision(
                claimant_id=claimant.id,
                decided_at=SUMMER,
                subject="Housing costs element",
                outcome="changed",
                body="We changed it.",
            ),
            JournalEntry(
                claimant_id=claimant.id,
                author_role="work_coach",
                author_name="Work coach",
                subject="Your claim",
                body="Body text",
                created_at=WINTER,
            ),
        ]
    )
    db.session.commit()
    grant = make_grant(claimant, adviser, "mr:read journal:read")

    words = text_of(assert_page(browser.get(f"/adviser/clients/{grant.id}")))

    assert "Decided 2 July 2026." in words  # 23:30 UTC on 1 July is 2 July in London
    assert "26 November 2026 Work coach" in words
    assert not re.search(r"\d{4}-\d{2}-\d{2}", words)


def test_the_statement_page_shows_uk_dates_and_times(adviser_browser, frozen_clock, runner):
    browser, adviser = adviser_browser
    frozen_clock.now = SUMMER
    grant = make_grant(make_claimant("Alex Morgan"), adviser, "mr:read")
    browser.get(f"/adviser/clients/{grant.id}")  # one read, made with a token, to list
    assert runner.invoke(args=["checkpoint"]).exit_code == 0  # cron seals it within a minute
    page = browser.get(f"/adviser/clients/{grant.id}/statement")

    shown = browser.post(
        f"/adviser/clients/{grant.id}/statement",
        data={
            "csrf_token": csrf_from(page.text),
            "date_from": "2026-07-02",
            "date_to": "2026-07-02",
        },
    )
    words = text_of(assert_page(shown))

    assert "2 July 2026 to 2 July 2026" in words
    assert "Signed 2 July 2026, 00:30," in words
    assert "Made by you: 1 in these dates" in words  # the read at 00:30 on the UK clock
    assert "2 July 2026, 00:30 mr.list" in words
    assert "UTC" not in words
