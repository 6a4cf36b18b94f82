"""What happened to the claimant's access while they were away is on their home page the next
time they sign in: consent DWP recorded for them, access DWP stopped or restarted, an adviser
giving theirs up, access that reached its end date, and anything an adviser lodged. What they
did themselves, what happened before their last sign-in, and their partner's news are not.
(Through the test client: these are the rules; the browser journey is in test_claimant_journeys.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from broker import clock
from broker.consent import grants, news
from broker.extensions import db
from tests.conftest import sign_in
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_grant,
    make_staff,
    record_by_phone,
    signer,
)

DAY = timedelta(days=1)


def kinds(claimant, since, now=None) -> list[tuple[str, str]]:  # noqa: ANN001
    found = news.since(claimant.id, moment=since, now=now or clock.now())
    return [(n.kind, n.grant.representative_name) for n in found]


@pytest.fixture
def alex(ctx, frozen_clock):  # noqa: ANN001, ANN201
    claimant = make_claimant("Alex Morgan")
    frozen_clock.advance(minutes=1)
    return claimant


def test_what_the_claimant_did_themselves_is_not_news(alex):
    since = clock.now() - DAY
    grant = make_grant(alex, make_adviser("Priya Shah"))
    grants.revoke(grant, by=f"claimant:{alex.id}", now=clock.now(), signer=signer())
    db.session.commit()

    assert kinds(alex, since) == []


def test_consent_recorded_by_phone_and_a_lodged_request_are_news(app, alex, frozen_clock):
    since = clock.now()
    frozen_clock.advance(hours=1)
    priya = make_grant(alex, make_adviser("Priya Shah"), "mr:read mr:request")
    token, _ = issue_token(priya)
    api = app.test_client()
    api.post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={"decision_about": "LCW", "reasons": "Wrong"},
    )
    api.get("/api/v1/mr-decisions", headers=bearer(token))  # a read: seen in the history only
    frozen_clock.advance(hours=1)
    record_by_phone(alex, make_adviser("Tom Reed"))

    assert kinds(alex, since) == [("recorded_by_staff", "Tom Reed"), ("lodged", "Priya Shah")]


def test_a_refused_write_is_not_news(app, alex, frozen_clock):
    since = clock.now()
    priya = make_grant(alex, make_adviser("Priya Shah"), "mr:read")  # no mr:request
    token, _ = issue_token(priya)
    frozen_clock.advance(hours=1)
    app.test_client().post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={"decision_about": "LCW", "reasons": "Wrong"},
    )

    assert kinds(alex, since) == []


def test_access_paused_then_restarted_by_dwp_is_news_once_restarted(alex, frozen_clock):
    grant = make_grant(alex, make_adviser("Priya Shah"))
    since = clock.now()
    staff = make_staff()
    frozen_clock.advance(hours=1)
    grants.suspend(grant, staff=staff, reason="Checking", now=clock.now(), signer=signer())
    db.session.commit()
    assert kinds(alex, since) == []  # the paused banner says so while it lasts

    frozen_clock.advance(hours=1)
    grants.lift_suspension(grant, staff=staff, now=clock.now(), signer=signer())
    db.session.commit()
    assert kinds(alex, since) == [("restarted", "Priya Shah")]


def test_an_adviser_giving_up_access_is_news(alex, frozen_clock):
    adviser = make_adviser("Priya Shah")
    grant = make_grant(alex, adviser)
    since = clock.now()
    frozen_clock.advance(hours=1)
    grants.revoke(grant, by=f"adviser:{adviser.id}", now=clock.now(), signer=signer())
    db.session.commit()

    assert kinds(alex, since) == [("given_up", "Priya Shah")]


def test_access_that_reached_its_end_is_news_once_whether_or_not_the_sweep_ran(alex, frozen_clock):
    swept = make_grant(alex, make_adviser("Priya Shah"), months=1)
    make_grant(alex, make_adviser("Tom Reed"), months=1)  # the sweep has not reached this one
    since = clock.now()
    frozen_clock.now = swept.ends_at + DAY
    grants.expire(swept.id, now=clock.now(), signer=signer())
    db.session.commit()

    assert sorted(kinds(alex, since)) == [("ended", "Priya Shah"), ("ended", "Tom Reed")]


def test_news_from_before_the_last_sign_in_and_a_partners_news_are_left_out(alex, frozen_clock):
    sam = make_claimant("Sam Morgan", partner=alex)
    staff = make_staff()
    tom = make_adviser("Tom Reed")
    record_by_phone(alex, tom, staff=staff)
    frozen_clock.advance(hours=1)
    since = clock.now()
    frozen_clock.advance(hours=1)
    record_by_phone(sam, tom, staff=staff)

    assert kinds(alex, since) == []
    assert kinds(sam, since) == [("recorded_by_staff", "Tom Reed")]


def test_the_home_page_shows_it_at_the_next_sign_in_and_not_at_the_one_after(
    app, alex, frozen_clock
):
    username = alex.account.username
    first = app.test_client()
    sign_in(first, username)
    assert "Since you last signed in" not in first.get("/").text
    db.session.rollback()

    frozen_clock.advance(days=2)
    record_by_phone(alex, make_adviser("Tom Reed"))
    frozen_clock.advance(days=1)

    second = app.test_client()
    sign_in(second, username)
    home = second.get("/").text
    assert "Since you last signed in" in home
    assert "DWP staff noted that you gave Tom Reed access" in home

    third = app.test_client()
    sign_in(third, username)
    assert "Since you last signed in" not in third.get("/").text


def test_after_stop_all_access_the_news_does_not_say_anyone_has_access(app, alex, frozen_clock):
    from tests.conftest import csrf_from

    username = alex.account.username
    sign_in(app.test_client(), username)
    db.session.rollback()
    frozen_clock.advance(days=2)
    record_by_phone(alex, make_adviser("Tom Reed"))
    frozen_clock.advance(days=1)
    phone = app.test_client()
    sign_in(phone, username)
    assert "Their access has now ended." not in phone.get("/").text

    confirm = phone.get("/access/stop-all")
    phone.post("/access/stop-all", data={"csrf_token": csrf_from(confirm.text)})
    home = phone.get("/").text

    news = home[home.index("Since you last signed in") : home.index("See who can see")]
    assert "DWP staff noted that you gave Tom Reed access" in news  # still told it happened
    assert "Their access has now ended." in news
    assert "Nobody can see your journal." in home
    assert "Tom Reed, until" not in home
