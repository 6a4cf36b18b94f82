"""Issue 25 in Chromium, from the front door: the broker's admin adds Riverside Law Centre, its
first organisation admin joins from the emailed link, invites an adviser who joins with a code
carrying Riverside's prefix, and later pauses that adviser, whose token is refused at once over
real HTTP. With SCREENSHOTS set (`make screenshots`), each step is photographed there."""

from __future__ import annotations

import pytest
from flask import Flask

from broker.extensions import db
from broker.models import Adviser, Organisation
from tests.agencies.helpers import invitation_link, make_admin
from tests.browser.conftest import PHONE, assert_fits, new_page, sign_in_page, snap
from tests.factories import issue_token, make_claimant, make_grant

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1024, "height": 900}


PASSWORD = "a long password for tests"  # noqa: S105


def join(browser, live_server: str, link: str, name: str):  # noqa: ANN001, ANN201
    """Open an invitation link in a browser of one's own and join with a password."""
    page = new_page(browser, live_server, PHONE)
    page.goto(link)
    page.get_by_label("Your full name").fill(name)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    return page


def api_status(page, live_server: str, token: str) -> int:  # noqa: ANN001
    answer = page.request.get(
        f"{live_server}/api/v1/mr-decisions", headers={"Authorization": f"Bearer {token}"}
    )
    return answer.status


def test_an_agency_is_onboarded_invites_an_adviser_and_pauses_them(
    app: Flask, ctx, browser, live_server: str
):  # noqa: ANN001
    make_admin("robin@broker.example")
    admin = new_page(browser, live_server, DESKTOP)
    sign_in_page(admin, "robin@broker.example")
    admin.goto("/admin/organisations/new")
    admin.get_by_label("Organisation name").fill("Riverside Law Centre")
    admin.get_by_label("Law centre").check()
    admin.get_by_label("Lexcel").check()
    admin.get_by_label("Reference number").fill("654321")
    admin.get_by_label("Email of its first organisation admin").fill("olu@riverside.example")
    admin.get_by_role("button", name="Add the organisation").click()
    # The POST's 303 lands on the list: read it once loaded, not mid-navigation (CI once read "").
    admin.wait_for_url("**/admin/organisations")
    assert "Riverside Law Centre" in admin.content()
    snap(admin, "agency-1-admin-adds-riverside")

    db.session.rollback()  # see what the live server committed
    olu = join(browser, live_server, invitation_link(app, "olu@riverside.example"), "Olu Bello")
    assert "Your account is ready" in olu.content()
    snap(olu, "agency-2-olu-joins")
    sign_in_page(olu, "olu@riverside.example", PASSWORD)
    olu.goto("/organisation/invite")
    olu.get_by_label("Email address").fill("priya@riverside.example")
    olu.get_by_role("button", name="Send the invitation").click()
    snap(olu, "agency-3-olu-invites-priya")

    priya = join(
        browser, live_server, invitation_link(app, "priya@riverside.example"), "Priya Shah"
    )
    db.session.rollback()
    adviser = db.session.scalar(
        db.select(Adviser)
        .join(Organisation, Organisation.id == Adviser.organisation_id)
        .where(Organisation.name == "Riverside Law Centre", Adviser.is_org_admin.is_(False))
    )
    org = db.session.get(Organisation, adviser.organisation_id)
    prefix = org.code_prefix
    assert adviser.code.startswith(prefix)
    assert f"{prefix}-{adviser.code.removeprefix(prefix)}" in priya.content()
    snap(priya, "agency-4-priya-joins-with-her-code")

    grant = make_grant(make_claimant("Alex Morgan"), adviser, "mr:read journal:read")
    token, _ = issue_token(grant)
    assert api_status(priya, live_server, token) == 200

    olu.goto("/organisation/")
    assert "Alex Morgan" not in olu.content()  # counts only, never a client
    olu.get_by_role("link", name="Suspend Priya Shah").click()
    olu.get_by_role("button", name="Yes, suspend").click()
    assert "Suspended" in olu.content()
    # On a phone the advisers' table scrolls in its own region; the page never does.
    assert_fits(olu)
    snap(olu, "agency-5-olu-pauses-priya")

    assert api_status(priya, live_server, token) == 401
    for page in (admin, olu, priya):
        page.context.close()
