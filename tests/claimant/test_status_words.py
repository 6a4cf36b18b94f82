"""The claimant is told a grant's state in plain words: Stopped, Paused, Ended, Review needed,
never the system's own names (Revoked, Suspended, Expired)."""

from __future__ import annotations

import re

from broker import clock
from broker.consent import grants
from broker.extensions import db
from tests.conftest import sign_in
from tests.factories import (
    make_adviser,
    make_claimant,
    make_grant,
    make_staff,
    record_by_phone,
    signer,
)

SYSTEM_WORDS = re.compile(r"\b(Revoked|Suspended|Expired|Review overdue)\b")


def _tags(html: str) -> list[str]:
    return re.findall(r'<strong class="govuk-tag[^"]*">([^<]+)</strong>', html)


def test_each_state_is_told_in_plain_words_on_who_can_see_your_journal(app, ctx, frozen_clock):
    alex = make_claimant("Alex Morgan")
    paused = make_grant(alex, make_adviser("Priya Shah", "Northside"))
    stopped = make_grant(alex, make_adviser("Tom Reed", "Riverside"))
    make_grant(alex, make_adviser("Sam Green", "Eastside"), "todo:read", months=1)
    grants.suspend(
        paused, staff=make_staff(), reason="Checking identity", now=clock.now(), signer=signer()
    )
    grants.revoke(stopped, by=f"claimant:{alex.id}", now=clock.now(), signer=signer())
    due = record_by_phone(alex, make_adviser("Ruth Evans", "Eastgate"), review_months=1)
    frozen_clock.advance(days=40)  # Sam's month is over; Ruth's review date has passed
    assert grants.state_at(due, clock.now()) == "review_overdue"
    page = app.test_client()
    sign_in(page, alex.account.username)

    html = page.get("/access").text

    assert sorted(_tags(html)) == ["Ended", "Paused", "Review needed", "Stopped"]
    assert SYSTEM_WORDS.search(html) is None


def test_the_status_words_are_in_welsh_for_a_welsh_speaker(app, ctx):
    alex = make_claimant("Alex Morgan")
    alex.account.language = "cy"
    grant = make_grant(alex, make_adviser("Priya Shah", "Northside"))
    grants.revoke(grant, by=f"claimant:{alex.id}", now=clock.now(), signer=signer())
    db.session.commit()
    page = app.test_client()
    sign_in(page, alex.account.username)

    tags = _tags(page.get("/access").text)

    assert len(tags) == 1 and tags[0] not in ("Stopped", "Revoked")
