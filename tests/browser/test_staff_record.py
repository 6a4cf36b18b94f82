"""A DWP staff member, on a laptop, opens a claimant's record: the consent banner shows each
grant's state as it is right now (current, review overdue, suspended), ended grants (revoked,
expired) are collapsed below, and the contact and vulnerability notes sit above the banner."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from broker import clock
from broker.extensions import db
from broker.people import records
from tests.browser.conftest import axe_violations, sign_in_page
from tests.factories import make_adviser, make_claimant, make_staff
from tests.staff.helpers import STATE_WORDS, contact_grant, grant_in_state

pytestmark = pytest.mark.browser


@pytest.fixture
def record(ctx):  # noqa: ANN001, ANN201
    claimant = make_claimant("Alex Morgan")
    staff = make_staff("Jordan Lee")
    names = {}
    for state, (name, organisation) in {
        "current": ("Priya Shah", "Northside Citizens Advice"),
        "review_overdue": ("Tom Reed", "Riverside Law Centre"),
        "suspended": ("Uma Patel", "Eastgate Advice"),
        "revoked": ("Ravi Singh", "Westfield Law"),
        "expired": ("Erin Cole", "Southbank Advice"),
    }.items():
        grant_in_state(state, claimant, make_adviser(name, organisation), staff)
        names[state] = name
    contact_grant(claimant, staff, now=clock.now())
    records.pin_note(claimant, "Hard of hearing: use text relay", staff=staff, now=clock.now())
    records.set_additional_support(claimant, "Finds phone calls hard", staff=staff, now=clock.now())
    db.session.commit()
    db.session.rollback()  # hold no transaction open while the live server answers
    return claimant, staff, names


def open_record(laptop, claimant, staff):  # noqa: ANN001
    sign_in_page(laptop, staff.account.username)
    expect(laptop.get_by_role("heading", level=1)).to_have_text("Find a claimant")
    laptop.get_by_label("Claimant reference").fill(claimant.reference)
    laptop.get_by_role("button", name="Find").click()
    expect(laptop.get_by_role("heading", level=1)).to_have_text(claimant.name)


def test_the_banner_shows_each_live_grant_in_its_state_and_ended_ones_collapsed(laptop, record):
    claimant, staff, names = record
    open_record(laptop, claimant, staff)

    banner = laptop.get_by_role("region", name="Consent recorded")
    for state in ("current", "review_overdue", "suspended"):
        heading = banner.get_by_role("heading", name=re.compile(names[state]))
        expect(heading).to_contain_text(STATE_WORDS[state])
    for state in ("revoked", "expired"):
        expect(banner.get_by_text(names[state])).to_have_count(0)

    ended = laptop.locator("#ended-consent")
    revoked = ended.get_by_role("heading", name=re.compile(names["revoked"]))
    expect(revoked).not_to_be_visible()  # collapsed until staff open it
    ended.get_by_text("Consent that has ended (2)").click()
    for state in ("revoked", "expired"):
        expect(ended.get_by_role("heading", name=re.compile(names[state]))).to_contain_text(
            STATE_WORDS[state]
        )
    expect(
        banner.get_by_text("overdue: it stopped working until the claimant confirms it")
    ).to_be_visible()


def test_contact_and_vulnerability_sit_above_the_banner(laptop, record):
    claimant, staff, _names = record
    open_record(laptop, claimant, staff)

    contact = laptop.get_by_text("Contact through: Jo Morgan, Daughter")
    support = laptop.get_by_text("Needs additional support: Finds phone calls hard")
    note = laptop.get_by_text("Hard of hearing: use text relay")
    banner = laptop.get_by_role("region", name="Consent recorded")
    for item in (contact, support, note, banner):
        expect(item).to_be_visible()
    tops = [item.bounding_box()["y"] for item in (contact, support, note, banner)]
    assert tops == sorted(tops)


def test_staff_suspend_a_grant_and_lift_the_suspension(laptop, record):
    claimant, staff, names = record
    open_record(laptop, claimant, staff)
    banner = laptop.get_by_role("region", name="Consent recorded")

    banner.get_by_role("link", name=f"Suspend consent for {names['current']}").click()
    expect(laptop.get_by_role("heading", level=1)).to_contain_text("Suspend consent for")
    laptop.get_by_role("button", name="Suspend consent").click()
    expect(laptop.get_by_role("alert")).to_contain_text("Enter why you are suspending")
    laptop.get_by_label("Why are you suspending this consent?").fill("Possible financial abuse")
    laptop.get_by_role("button", name="Suspend consent").click()

    expect(laptop.get_by_role("alert")).to_contain_text("is suspended. It has stopped working")
    heading = banner.get_by_role("heading", name=re.compile(names["current"]))
    expect(heading).to_contain_text("Suspended")
    expect(banner.get_by_text("Possible financial abuse")).to_be_visible()

    banner.get_by_role("button", name=f"Lift the suspension for {names['current']}").click()
    expect(laptop.get_by_role("alert")).to_contain_text("is working again")
    expect(heading).to_contain_text("Current")


def test_staff_confirm_and_give_a_reason_to_remove_the_support_flag(laptop, record):
    claimant, staff, _names = record
    open_record(laptop, claimant, staff)

    laptop.get_by_role("link", name="Remove the additional support flag").click()
    expect(laptop.get_by_role("heading", level=1)).to_have_text(
        "Remove the additional support flag"
    )
    expect(laptop.get_by_text("Needs additional support: Finds phone calls hard")).to_be_visible()
    assert axe_violations(laptop) == []
    laptop.get_by_role("button", name="Remove the flag").click()
    expect(laptop.get_by_role("alert")).to_contain_text("Enter why you are removing the flag")
    assert axe_violations(laptop) == []

    laptop.get_by_label("Why are you removing the flag?").fill("Claimant says calls are fine now")
    laptop.get_by_role("button", name="Remove the flag").click()

    expect(laptop.get_by_role("heading", level=1)).to_have_text(claimant.name)
    expect(laptop.get_by_role("alert")).to_contain_text("The additional support flag is removed")
    expect(laptop.locator("#additional-support")).to_have_count(0)
    expect(laptop.locator("#support-removed")).to_contain_text(
        "by Jordan Lee: Claimant says calls are fine now"
    )
