"""On the home page and on "Who can see your journal", the ways to stop access come before
anything else below the heading: before the news, the banners and the details of each grant. A
caller check or a draft waiting on the home page is one short line above "Stop all access",
leading down to its full card (issue 23)."""

from __future__ import annotations

import re

from broker import clock
from broker.casework import caller_checks, drafts
from broker.extensions import db
from tests.conftest import csrf_from, sign_in
from tests.drafts.conftest import send_request
from tests.factories import (
    issue_token,
    make_adviser,
    make_claimant,
    make_grant,
    make_staff,
    record_by_phone,
)
from tests.i18n.readability import GRADE, grade, readable_text


def test_stop_all_and_each_stop_access_come_before_news_and_details(app, ctx, frozen_clock):
    alex = make_claimant("Alex Morgan")
    priya = make_grant(alex, make_adviser("Priya Shah", "Northside"), "mr:read journal:read")
    sign_in(app.test_client(), alex.account.username)  # the sign-in the news counts from
    frozen_clock.advance(hours=1)
    record_by_phone(alex, make_adviser("Tom Reed", "Riverside"), review_months=1)
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


def test_a_caller_and_drafts_are_one_line_each_above_stop_all_leading_to_their_cards(app, ctx):
    alex = make_claimant("Alex Morgan")
    priya = make_grant(alex, make_adviser("Priya Shah", "Northside"), "mr:read mr:request")
    drafts.set_checking(priya, True, by=f"claimant:{alex.id}", now=clock.now())
    caller_checks.start(
        alex.id, caller_checks.Caller.staff(make_staff("Jordan Lee")), now=clock.now()
    )
    db.session.commit()
    token, _ = issue_token(priya)
    for _ in range(2):
        assert send_request(app.test_client(), token).status_code == 202
    phone = app.test_client()
    sign_in(phone, alex.account.username)

    home = phone.get("/").text

    waiting = home[home.index('<div class="app-waiting">') : home.index("Stop all access")]
    assert "Someone is calling you." in waiting
    assert "You have 2 requests to check before they are sent" in waiting
    caller, draft = re.findall(r'href="#([^"]+)"', waiting)
    assert home.index("<h1") < home.index(waiting) < home.index("Stop all access")
    assert (
        home.index("Stop all access") < home.index(f'id="{caller}"') < home.index(f'id="{draft}"')
    )
    assert caller.startswith("caller-check-") and draft.startswith("draft-")
    assert grade(readable_text(f"<main>{waiting}</main>")) <= GRADE

    phone.post(
        f"/who-is-calling/{caller.removeprefix('caller-check-')}/not-genuine",
        data={"csrf_token": csrf_from(home)},
    )
    home = phone.get("/").text
    assert "Someone is calling you." not in home  # reported: nothing waits on it, the card stays
    assert f'id="{caller}"' in home and "You have 2 requests" in home
