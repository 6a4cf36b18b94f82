"""On the home page and on "Who can see your journal", the ways to stop access come before
anything else below the heading: before the news, the banners and the details of each grant."""

from __future__ import annotations

from broker import clock, grants
from broker.extensions import db
from tests.conftest import sign_in
from tests.factories import make_adviser, make_claimant, make_grant, make_staff, signer


def test_stop_all_and_each_stop_access_come_before_news_and_details(app, ctx, frozen_clock):
    alex = make_claimant("Alex Morgan")
    priya = make_grant(alex, make_adviser("Priya Shah", "Northside"), "mr:read journal:read")
    sign_in(app.test_client(), alex.account.username)  # the sign-in the news counts from
    frozen_clock.advance(hours=1)
    grants.record_by_phone(
        alex,
        grants.Representative.of(make_adviser("Tom Reed", "Riverside")),
        staff=make_staff(),
        consented=True,
        scope_names="mr:read",
        purpose="Appeal",
        relationship="Adviser",
        months=3,
        review_months=1,
        now=clock.now(),
        signer=signer(),
    )
    db.session.commit()
    frozen_clock.advance(days=20)  # Tom's review is near: a banner on the home page
    phone = app.test_client()
    sign_in(phone, alex.account.username)

    home = phone.get("/").text
    access = phone.get("/access").text

    h1 = home.index("<h1")
    assert h1 < home.index("Stop all access") < home.index("Since you last signed in")
    assert home.index(f"/access/{priya.id}/revoke") < home.index('id="news-title"')
    assert home.index("Stop access") < home.index("Check by")
    assert access.index("<h1") < access.index("Stop all access") < access.index("Priya Shah")
    card = access[access.index("Priya Shah") :]
    assert card.index("Stop access") < card.index("What they can see or do")
    assert access.count("Stop all access") == 1


def test_nobody_has_access_so_there_is_nothing_to_stop(app, ctx):
    alex = make_claimant("Alex Morgan")
    phone = app.test_client()
    sign_in(phone, alex.account.username)

    home = phone.get("/").text

    assert "Nobody can see your journal." in home
    assert "Stop all access" not in home and "Stop access" not in home
