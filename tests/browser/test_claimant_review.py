"""A claimant, on a phone with JavaScript off, is asked to check a grant whose review date has
passed, and keeps it (or ends it) with one tap."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from broker import clock
from broker.extensions import db
from tests.browser.conftest import sign_in_page
from tests.factories import make_adviser, make_claimant, make_staff
from tests.staff.helpers import phone_grant

pytestmark = pytest.mark.browser


@pytest.fixture
def overdue(ctx, frozen_clock):  # noqa: ANN001, ANN201
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = phone_grant(claimant, adviser, make_staff("Jordan Lee"), now=clock.now(), months=3)
    frozen_clock.now = grant.review_at + timedelta(days=2)
    db.session.rollback()  # hold no transaction open while the live server answers
    return claimant, grant


def test_the_claimant_keeps_access_with_one_tap(phone, overdue):
    claimant, grant = overdue
    sign_in_page(phone, claimant.account.username)

    expect(phone.get_by_role("region", name="Important")).to_contain_text(
        "Priya Shah cannot see your journal until you check their access."
    )
    phone.get_by_role("link", name=re.compile("Check their access")).first.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Should Priya Shah still see your journal?"
    )
    until = f"{grant.ends_at:%-d %B %Y}"
    phone.get_by_role("button", name=f"Yes, keep it until {until}").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Who can see your journal")
    expect(phone.get_by_role("alert")).to_contain_text(
        f"You kept Priya Shah's access until {until}"
    )
    expect(phone.get_by_text("Current", exact=True)).to_be_visible()
    expect(phone.get_by_role("region", name="Important")).to_have_count(0)


def test_the_claimant_ends_access_with_one_tap(phone, overdue):
    claimant, _grant = overdue
    sign_in_page(phone, claimant.account.username)

    phone.get_by_role("link", name=re.compile("Check their access")).first.click()
    phone.get_by_role("button", name="No, stop it now").click()

    expect(phone.get_by_role("alert")).to_contain_text("Priya Shah can no longer see your journal")
    expect(phone.get_by_text("Nobody can see your journal now.")).to_be_visible()


def test_both_choices_fit_the_width_of_a_small_phone(phone, overdue):
    claimant, grant = overdue
    sign_in_page(phone, claimant.account.username)
    phone.goto(f"/access/{grant.id}/review")

    width = phone.viewport_size["width"]
    for name in (re.compile("Yes, keep it until"), "No, stop it now"):
        box = phone.get_by_role("button", name=name).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
