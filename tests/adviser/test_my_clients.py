""" "My clients" lists each client once: a second consent from the same client amends the one
grant (issue 12), and the page links it."""

from __future__ import annotations

import re

from broker.extensions import db
from tests.conftest import sign_in
from tests.factories import make_adviser, make_claimant, make_grant
from tests.staff.helpers import assert_page, text_of


def test_a_client_who_gave_access_twice_is_listed_once_linking_the_one_grant(
    app, ctx, frozen_clock
):
    adviser = make_adviser("Priya Shah")
    alex, sam = make_claimant("Alex Morgan"), make_claimant("Sam Morgan")
    make_grant(alex, adviser, "mr:read", months=6)
    frozen_clock.advance(minutes=5)
    newest = make_grant(alex, adviser, "mr:read journal:read", months=3)  # amends the first
    db.session.commit()
    make_grant(sam, adviser, "payments:read")
    browser = app.test_client()
    sign_in(browser, adviser.account.username)

    html = assert_page(browser.get("/adviser/"))

    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', html, re.S)[1:]  # after heads
    names = [text_of(row).split(" UC-")[0] for row in rows]
    assert sorted(names) == ["Alex Morgan", "Sam Morgan"]
    assert html.count(alex.reference) == 1
    assert re.findall(r'href="/adviser/clients/([^"]+)">Alex Morgan<', html) == [newest.id]
    alex_row = next(text_of(row) for row in rows if "Alex Morgan" in row)
    assert "Their journal" in alex_row
    assert f"{newest.ends_at:%-d %B %Y}" in alex_row
